"""One worker process of the Lambda runtime: started by one long-lived thread, spoken to over its
three pipes (requests, answers, and its output, which is the function's log), and buried: killed
with everything it started, reaped, and its sandbox's leftovers (its memory cgroup, its ``/tmp``,
its hold on the unpacked code) removed.

Workers are started by :class:`Spawner`'s thread only. A sandboxed worker dies with the thread
that started it (bubblewrap's ``--die-with-parent`` is ``PR_SET_PDEATHSIG``, which follows the
*thread*), so that thread lives as long as the runtime, and a server that is killed takes its
functions with it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localiam.services.awslambda import worker as protocol
from localiam.services.awslambda.memory import WorkerGroup

__all__ = ["Spawner", "Turn", "Worker", "converse", "marker"]

REAP_SECONDS = 5.0
LOG_LIMIT = 1 << 20
"""The most of one invocation's output kept (the end of it)."""


_Request = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


class Spawner:
    """The one thread that starts worker processes (``subprocess.Popen`` on a queue)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, make: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Run ``make`` on the spawner thread; its process, or its exception."""
        future: Future[subprocess.Popen[bytes]] = Future()
        with self._lock:
            if self._thread is None:
                self._queue = queue.SimpleQueue()  # a queue of its own: a stopped thread's may hold its stop
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="lambda-spawner", daemon=True
                )
                self._thread.start()
            self._queue.put((make, future))
        return future.result()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @staticmethod
    def _run(requests: queue.SimpleQueue[_Request | None]) -> None:
        while (item := requests.get()) is not None:
            make, future = item
            try:
                future.set_result(make())
            except BaseException as exc:
                future.set_exception(exc)


class Worker:
    """One worker process and the three pipes to it; owned by one thread at a time."""

    def __init__(
        self,
        key: str,
        process: subprocess.Popen[bytes],
        request_fd: int,
        response_fd: int,
        *,
        sandboxed: bool = False,
        group: WorkerGroup | None = None,
        leftovers: tuple[Callable[[], None], ...] = (),
    ) -> None:
        assert process.stdout is not None
        self.key = key
        self.sandboxed = sandboxed
        """Started by bubblewrap, which reports a death by signal N as exit status 128 + N."""
        self.group = group
        self._leftovers = list(leftovers)
        self.task_root = ""
        """Where the worker sees its code (``/var/task`` in a sandbox)."""
        self.oom = False
        """Whether the kernel killed it for want of memory (known once it is buried)."""
        self.process = process
        self.pid = process.pid
        self.request_fd = request_fd
        self.response_fd = response_fd
        self.output_fd = process.stdout.fileno()
        for fd in (request_fd, response_fd, self.output_fd):
            os.set_blocking(fd, False)
        self.output = bytearray()
        """Output read but not yet given to an invocation."""
        self.last_used = time.monotonic()
        self.max_memory_mb = 0
        self._lock = threading.Lock()
        self._reaped = False
        self._closed = False

    def running(self) -> bool:
        """Whether the process has not exited (without reaping it, so its group id stays ours)."""
        if self._reaped:
            return False
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False

    def kill(self) -> None:
        """SIGKILL the worker and whatever it started: its process group, its cgroup (every
        process in it, in whatever session) and, in a sandbox, its PID namespace (bubblewrap
        dies, and the namespace's processes die with it)."""
        with self._lock:
            if not self._reaped:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
        if self.group is not None:
            self.group.kill()

    def reap(self) -> int | None:
        """The exit status (``-N`` for signal N, as ``Popen`` has it); ``None`` if it did not exit."""
        with self._lock:
            try:
                code = self.process.wait(REAP_SECONDS)
            except subprocess.TimeoutExpired:
                return None
            self._reaped = True
        if self.sandboxed and 128 < code < 128 + 65:
            return -(code - 128)
        return code

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of this worker's cgroup for want of memory."""
        return self.group is not None and self.group.oom_kills() > 0

    def peak_memory_mb(self) -> int | None:
        return self.group.peak_mb() if self.group is not None else None

    def dispose(self) -> None:
        """After the worker is gone: remove its cgroup, its ``/tmp``, its hold on the code."""
        if self.group is not None:
            self.group.remove()
        leftovers, self._leftovers = self._leftovers, []
        for action in leftovers:
            action()

    def read_output(self) -> bool:
        """Read what the output pipe holds; ``False`` at end of file."""
        while True:
            try:
                chunk = os.read(self.output_fd, 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self.output += chunk
            if len(self.output) > 2 * LOG_LIMIT:
                del self.output[: len(self.output) - LOG_LIMIT]

    def take_output(self, marker: bytes | None = None) -> bytes:
        """The output up to ``marker`` (reading what the pipe already holds), or all of it."""
        if marker is not None:
            while marker not in self.output:
                before = len(self.output)
                if not self.read_output() or len(self.output) == before:
                    break
            end = self.output.find(marker)
            if end >= 0:
                taken = bytes(self.output[:end])
                del self.output[: end + len(marker)]
                return taken
        taken = bytes(self.output)
        self.output.clear()
        return taken

    def drain(self, deadline: float) -> None:
        """Read output until end of file or ``deadline``."""
        poller = select.poll()
        poller.register(self.output_fd, select.POLLIN)
        while (remaining := deadline - time.monotonic()) > 0:
            if poller.poll(math.ceil(remaining * 1000)) and not self.read_output():
                return

    def wait_exit(self, deadline: float) -> None:
        """Wait for the process to exit, reading its output meanwhile (it may be blocked on it)."""
        poller = select.poll()
        poller.register(self.output_fd, select.POLLIN)
        reading = True
        while self.running() and (remaining := deadline - time.monotonic()) > 0:
            if not reading:
                time.sleep(min(0.005, remaining))
            elif poller.poll(min(10, math.ceil(remaining * 1000))) and not self.read_output():
                reading = False

    def close_pipes(self) -> None:
        if self._closed:
            return
        self._closed = True
        for fd in (self.request_fd, self.response_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        assert self.process.stdout is not None
        self.process.stdout.close()


@dataclass(slots=True)
class Turn:
    """How one request to a worker ended: ``answer``, ``timeout``, ``exit`` or ``protocol``."""

    outcome: str
    metadata: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    output: bytes = b""


def parse(inbox: bytearray) -> tuple[dict[str, Any], bytes] | None:
    """The message in ``inbox`` once complete; ``ValueError`` if it breaks the protocol."""
    if len(inbox) < protocol.HEADER.size:
        return None
    meta_size, body_size = protocol.HEADER.unpack_from(inbox)
    if meta_size > protocol.MAX_METADATA or body_size > protocol.MAX_BODY:
        raise ValueError("message too large")
    end = protocol.HEADER.size + meta_size + body_size
    if len(inbox) < end:
        return None
    if len(inbox) > end:
        raise ValueError("bytes after the message")
    metadata = json.loads(inbox[protocol.HEADER.size : protocol.HEADER.size + meta_size])
    if not isinstance(metadata, dict):
        raise ValueError("metadata is not an object")
    return metadata, bytes(inbox[protocol.HEADER.size + meta_size :])


def converse(worker: Worker, message: bytes, marker: bytes, deadline: float) -> Turn:
    """Send ``message``, then read the answer and the output before ``marker``, by ``deadline``."""
    poller = select.poll()
    pending = memoryview(message)
    poller.register(worker.request_fd, select.POLLOUT)
    poller.register(worker.response_fd, select.POLLIN)
    poller.register(worker.output_fd, select.POLLIN)
    inbox = bytearray()
    while (remaining := deadline - time.monotonic()) > 0:
        for fd, _ in poller.poll(math.ceil(remaining * 1000)):
            if fd == worker.request_fd:
                try:
                    pending = pending[os.write(fd, pending[: 1 << 16]) :]
                except BlockingIOError:
                    continue
                except OSError:
                    pending = pending[:0]  # the worker is gone; its answer pipe will say so
                if not pending:
                    poller.unregister(fd)
            elif fd == worker.output_fd:
                if not worker.read_output():
                    poller.unregister(fd)
            else:
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    return Turn("exit", output=worker.take_output())
                inbox += chunk
                try:
                    answer = parse(inbox)
                except ValueError:
                    return Turn("protocol", output=worker.take_output())
                if answer is not None:
                    return Turn("answer", answer[0], answer[1], worker.take_output(marker))
    return Turn("timeout", output=worker.take_output())


def marker() -> bytes:
    """A token that ends one turn's output; no handler can guess it."""
    return b"\x00\x1blocaliam-end-of-output-" + os.urandom(16).hex().encode() + b"\x1b\x00"


def remover(path: Path) -> Callable[[], None]:
    """An action that removes ``path`` (a worker's ``/tmp``), read-only parts included."""

    def remove() -> None:
        shutil.rmtree(path, ignore_errors=True)

    return remove
