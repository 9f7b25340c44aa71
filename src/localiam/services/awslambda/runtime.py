"""Running Lambda functions: real Python code in warm, reusable worker processes.

A :class:`Runtime` keeps, per :attr:`FunctionSpec.key` (one deployed code + configuration), up to
``max_workers_per_function`` worker processes (:mod:`.worker`), each running one invocation at a
time, as a Lambda execution environment does. The first invocation on a worker is a cold start
(the worker imports the handler module once); later ones are warm. An idle worker is stopped
after ``idle_seconds``; :meth:`Runtime.invalidate` stops a key's workers when its code or
configuration changes, :meth:`Runtime.close` stops them all.

What an invocation returns is what AWS's Invoke returns (AWS: ``API_Invoke``,
python-handler, python-exceptions, troubleshooting-invocation):

* the handler's result as JSON, or AWS's error object with ``FunctionError: Unhandled``:
  ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` for a handler exception (the worker
  stays warm) and for an init failure (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``
  ...; ``"requestId": ""`` as AWS has it; the next invocation initializes again);
* a timeout: the worker and its process group are killed, the payload is
  ``{"errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}``
  and the next invocation cold-starts;
* a worker that exits (``sys.exit``, ``os._exit``, a signal):
  ``{"errorMessage":"RequestId: <id> Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"}``
  (``signal: segmentation fault`` ..., in Go's words as AWS prints them).

The log is AWS's: the init output (on a cold start), ``START RequestId: <id> Version: <v>``, what the
function printed, ``END RequestId: <id>`` and ``REPORT RequestId: <id>\\tDuration: 1.23 ms\\tBilled
Duration: 2 ms\\tMemory Size: 128 MB\\tMax Memory Used: 40 MB[\\tInit Duration: 45.67 ms]`` (then
``\\tStatus: timeout`` or ``\\tStatus: error\\tError Type: Runtime.ExitError`` when Lambda ended it; a
failed init adds ``INIT_REPORT Init Duration: ... ms\\tPhase: invoke\\tStatus: error\\tError Type: ...``
before START). Billed duration is the duration plus the init duration, rounded up to the
millisecond (AWS bills the init phase since August 2025). :attr:`InvokeResult.log_tail` is the
log's last 4 KB (``LogType=Tail``).

Not emulated: memory limits (only reported, from the worker's peak RSS), the 6 MB response limit
(the caller knows whether the invocation is synchronous; responses over 64 MiB are refused with
``Function.ResponseSizeTooLarge``), ``AWS_LAMBDA_LOG_FORMAT=JSON``, and processes a handler moves
out of the worker's process group (``setsid``), which outlive the worker.

Every wait has a deadline: a worker can block or crash only its own invocation, never the caller.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import select
import signal
import site
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localiam.errors import AwsError
from localiam.services.awslambda import worker as protocol

__all__ = ["FunctionSpec", "InvokeContext", "InvokeResult", "Runtime"]

INIT_SECONDS = 10.0
"""AWS limits the Init phase to 10 s (retried with the function timeout): a cold start may take
``max(INIT_SECONDS, timeout)``."""
STOP_SECONDS = 1.0
"""How long a stopped worker may take to exit after end of file before it is killed."""
EXIT_SECONDS = 2.0
"""How long a worker that closed its answer pipe may take to exit before it is killed."""
DRAIN_SECONDS = 0.25
"""How long to read a dead worker's last output (a process that left its group keeps the pipe)."""
REAP_SECONDS = 5.0
LOG_TAIL_BYTES = 4096
LOG_LIMIT = 1 << 20
"""The most of one invocation's output kept (the end of it)."""

_WORKER_FILE = str(Path(protocol.__file__).resolve())


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a worker runs: one deployed version of a function's code and configuration."""

    key: str
    """Identifies one deployed code + configuration; workers are reused only for the same key."""
    code_dir: Path
    """The unzipped deployment package: the worker's working directory and first on ``sys.path``."""
    handler: str
    """``module.function`` or ``pkg/module.function``, as AWS's ``Handler``."""
    environment: Mapping[str, str]
    """The worker's whole environment (``AWS_*`` included), plus ``PYTHONPATH`` (the code directory
    first) and ``PATH`` (when absent: the interpreter's directory, then the server's ``PATH``)."""
    timeout: float
    """Seconds."""
    memory_mb: int = 128


@dataclass(frozen=True, slots=True)
class InvokeContext:
    """One invocation's facts, as the handler's ``context`` shows them."""

    request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    log_group_name: str
    log_stream_name: str
    client_context: str | None = None
    """The client context JSON (Invoke's ``X-Amz-Client-Context``, base64-decoded)."""
    identity: str | None = None
    """The Cognito identity JSON (``{"cognitoIdentityId": ..., "cognitoIdentityPoolId": ...}``)."""


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """What Invoke answers."""

    payload: bytes
    """The JSON the function returned, or AWS's error object (JSON)."""
    function_error: str | None
    """``None`` or ``"Unhandled"`` (``X-Amz-Function-Error``)."""
    log_tail: str
    """The last 4 KB of :attr:`log` (``X-Amz-Log-Result``, before base64)."""
    duration_ms: float
    log: str = ""
    """The invocation's whole log, START to REPORT (the last MiB of the function's output)."""
    init_duration_ms: float | None = None
    """The cold start's init duration; ``None`` on a warm start."""
    billed_duration_ms: int = 0
    max_memory_used_mb: int = 0
    error_type: str | None = None
    """The payload's ``errorType`` when :attr:`function_error` is set."""


# -- one worker process -----------------------------------------------------------------------


class _Worker:
    """One worker process and the three pipes to it; owned by one thread at a time."""

    def __init__(self, key: str, process: subprocess.Popen[bytes], request_fd: int, response_fd: int) -> None:
        assert process.stdout is not None
        self.key = key
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
        """SIGKILL the worker's process group: the worker and whatever it started."""
        with self._lock:
            if self._reaped:
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    def reap(self) -> int | None:
        with self._lock:
            try:
                code = self.process.wait(REAP_SECONDS)
            except subprocess.TimeoutExpired:
                return None
            self._reaped = True
            return code

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
class _Turn:
    """How one request to a worker ended: ``answer``, ``timeout``, ``exit`` or ``protocol``."""

    outcome: str
    metadata: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    output: bytes = b""


def _parse(inbox: bytearray) -> tuple[dict[str, Any], bytes] | None:
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


def _converse(worker: _Worker, message: bytes, marker: bytes, deadline: float) -> _Turn:
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
                    return _Turn("exit", output=worker.take_output())
                inbox += chunk
                try:
                    answer = _parse(inbox)
                except ValueError:
                    return _Turn("protocol", output=worker.take_output())
                if answer is not None:
                    return _Turn("answer", answer[0], answer[1], worker.take_output(marker))
    return _Turn("timeout", output=worker.take_output())


# -- AWS's texts ------------------------------------------------------------------------------

_GO_SIGNAL_NAMES = {
    "SIGHUP": "hangup",
    "SIGINT": "interrupt",
    "SIGQUIT": "quit",
    "SIGILL": "illegal instruction",
    "SIGTRAP": "trace/breakpoint trap",
    "SIGABRT": "aborted",
    "SIGBUS": "bus error",
    "SIGFPE": "floating point exception",
    "SIGKILL": "killed",
    "SIGUSR1": "user defined signal 1",
    "SIGSEGV": "segmentation fault",
    "SIGUSR2": "user defined signal 2",
    "SIGPIPE": "broken pipe",
    "SIGALRM": "alarm clock",
    "SIGTERM": "terminated",
    "SIGXCPU": "CPU time limit exceeded",
    "SIGXFSZ": "file size limit exceeded",
    "SIGSYS": "bad system call",
}
_SIGNAL_NAMES = {int(getattr(signal, name)): text for name, text in _GO_SIGNAL_NAMES.items() if hasattr(signal, name)}


def _exit_reason(returncode: int | None) -> str:
    """How AWS words a runtime's exit (Go's ``ProcessState`` text)."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode is None:
        return "Runtime exited with error: signal: killed"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    return f"Runtime exited with error: signal: {_SIGNAL_NAMES.get(-returncode, f'signal {-returncode}')}"


def _platform_error(message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}, separators=(",", ":")).encode()


def _timestamp() -> str:
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def _timed_out(request_id: str, seconds: float) -> tuple[bytes, str]:
    """A timeout's payload and log line. AWS answered ``{"errorMessage": "<time> <id> Task timed
    out after 3.00 seconds"}`` until about 2023; it now answers ``Sandbox.Timedout`` with
    ``RequestId: <id> Error: Task timed out after 3.00 seconds`` (as LocalStack's RIE fork does)."""
    text = f"Task timed out after {seconds:.2f} seconds"
    return _platform_error(
        f"RequestId: {request_id} Error: {text}", "Sandbox.Timedout"
    ), f"{_timestamp()} {request_id} {text}"


@dataclass(slots=True)
class _Init:
    """A cold start that succeeded: its output and duration, for the invocation's log."""

    output: bytes
    duration_ms: float


@dataclass(slots=True)
class _Ending:
    """How an invocation (or its init) ended: the payload, and what the log shows of it."""

    payload: bytes
    error_type: str | None
    output: bytes = b""
    lines: list[str] = field(default_factory=list)
    """Lambda's own lines after the function's output (``Task timed out ...``)."""
    status: str = ""
    """The ``REPORT`` (or ``INIT_REPORT``) suffix: ``Status: timeout`` ..."""


def _text(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text if not text or text.endswith("\n") else text + "\n"


def _compose(
    context: InvokeContext,
    spec: FunctionSpec,
    ending: _Ending,
    *,
    duration_ms: float,
    init_ms: float | None,
    max_memory_mb: int,
    prelude: bytes = b"",
    init_failed: bool = False,
) -> InvokeResult:
    """The result, with the log as CloudWatch Logs shows it: init output, START, the function's
    output, END, REPORT (``INIT_REPORT`` first when the init failed)."""
    request_id = context.request_id
    billed_ms = math.ceil(duration_ms + (0.0 if init_failed else init_ms or 0.0))
    parts = [_text(prelude)]
    if init_failed:
        parts.append(f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: invoke\t{ending.status}\n")
    parts += [f"START RequestId: {request_id} Version: {context.function_version}\n", _text(ending.output)]
    parts += [line + "\n" for line in ending.lines]
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms"
        f"\tMemory Size: {spec.memory_mb} MB\tMax Memory Used: {max_memory_mb} MB"
    )
    if init_ms is not None and not init_failed:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if ending.status and not init_failed:
        report += "\t" + ending.status
    parts += [f"END RequestId: {request_id}\n", report + "\n"]
    log = "".join(parts)
    return InvokeResult(
        payload=ending.payload,
        function_error="Unhandled" if ending.error_type else None,
        log_tail=log.encode("utf-8")[-LOG_TAIL_BYTES:].decode("utf-8", "ignore"),
        duration_ms=duration_ms,
        log=log,
        init_duration_ms=init_ms,
        billed_duration_ms=billed_ms,
        max_memory_used_mb=max_memory_mb,
        error_type=ending.error_type,
    )


# -- the pool ---------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Pool:
    idle: list[_Worker] = field(default_factory=list)
    busy: int = 0
    """Workers checked out, including cold starts under way."""
    retired: bool = False
    """Invalidated or closed: a worker checked back in is stopped."""


def _site_dirs() -> list[str]:
    """The server's site-packages directories, which a worker adds (``.pth`` files included)."""
    dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


class Runtime:
    """Runs functions in worker processes; thread-safe; :meth:`invoke` blocks its caller.

    At most ``max_workers_per_function`` invocations of one key run at once; more wait for a
    worker up to ``queue_seconds`` and then fail with ``TooManyRequestsException`` (AWS's
    throttle). A key invalidated while invocations run lets them finish (their workers then stop),
    so for a moment the old and the new workers may together exceed the bound.
    """

    def __init__(
        self,
        *,
        max_workers_per_function: int = 4,
        idle_seconds: float = 300.0,
        python: str = sys.executable,
        queue_seconds: float = 60.0,
    ) -> None:
        if max_workers_per_function < 1:
            raise ValueError("max_workers_per_function must be at least 1")
        self._max_workers = max_workers_per_function
        self._idle_seconds = idle_seconds
        self._python = python
        self._queue_seconds = queue_seconds
        self._site_dirs = _site_dirs()
        self._cond = threading.Condition()
        self._pools: dict[str, _Pool] = {}
        self._live: set[_Worker] = set()
        self._closed = False
        self._cold_starts = 0
        self._warm_starts = 0
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap_idle, name="lambda-idle-reaper", daemon=True)
        self._reaper.start()

    # -- public ----------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, event: bytes, context: InvokeContext) -> InvokeResult:
        """Run the function on ``event`` (JSON bytes); ``RuntimeError`` once closed."""
        if len(event) > protocol.MAX_BODY:
            raise ValueError(f"event larger than {protocol.MAX_BODY} bytes")
        pool, worker = self._checkout(spec.key)
        keep = None
        try:
            init: _Init | None = None
            if worker is None:
                started = time.monotonic()
                worker = self._spawn(spec)
                cold = self._initialize(worker, spec, context, started)
                if isinstance(cold, InvokeResult):
                    return cold
                init = cold
            result, warm = self._call(worker, spec, event, context, init)
            keep = worker if warm else None
            return result
        finally:
            if worker is not None and keep is None:
                self._stop([worker])
            self._checkin(pool, keep)

    def invalidate(self, key: str) -> None:
        """Stop the key's workers: idle ones now, busy ones when their invocation ends."""
        with self._cond:
            pool = self._pools.pop(key, None)
            if pool is None:
                return
            pool.retired = True
            idle, pool.idle = pool.idle, []
            self._cond.notify_all()
        self._stop(idle)

    def close(self) -> None:
        """Stop every worker (busy ones are killed: their invocations end with an error)."""
        with self._cond:
            self._closed = True
            idle = [w for pool in self._pools.values() for w in pool.idle]
            for pool in self._pools.values():
                pool.retired = True
                pool.idle = []
            self._pools.clear()
            busy = self._live.difference(idle)
            self._cond.notify_all()
        self._stopping.set()
        for worker in busy:
            worker.kill()
        self._stop(idle)
        if self._reaper is not threading.current_thread():
            self._reaper.join(timeout=1.0)

    def stats(self) -> dict[str, int]:
        """``workers`` (processes alive), ``busy``, ``idle``, ``cold_starts``, ``warm_starts``."""
        with self._cond:
            return {
                "workers": len(self._live),
                "busy": sum(pool.busy for pool in self._pools.values()),
                "idle": sum(len(pool.idle) for pool in self._pools.values()),
                "cold_starts": self._cold_starts,
                "warm_starts": self._warm_starts,
            }

    # -- checking workers out and in -------------------------------------------------------

    def _checkout(self, key: str) -> tuple[_Pool, _Worker | None]:
        """A warm worker, or ``None``: a slot reserved for a cold start."""
        deadline = time.monotonic() + self._queue_seconds
        dead: list[_Worker] = []
        try:
            with self._cond:
                while True:
                    if self._closed:
                        raise RuntimeError("the Lambda runtime is closed")
                    pool = self._pools.setdefault(key, _Pool())
                    while pool.idle:
                        worker = pool.idle.pop()
                        if worker.running():
                            pool.busy += 1
                            self._warm_starts += 1
                            return pool, worker
                        dead.append(worker)
                    if pool.busy < self._max_workers:
                        pool.busy += 1
                        self._cold_starts += 1
                        return pool, None
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise AwsError(
                            "Rate Exceeded.",
                            code="TooManyRequestsException",
                            status=429,
                            fields={"Reason": "ConcurrentInvocationLimitExceeded"},
                        )
                    self._cond.wait(remaining)
        finally:
            self._stop(dead)

    def _checkin(self, pool: _Pool, worker: _Worker | None) -> None:
        with self._cond:
            pool.busy -= 1
            stop = worker is not None and (self._closed or pool.retired)
            if worker is not None and not stop:
                worker.last_used = time.monotonic()
                pool.idle.append(worker)
            self._cond.notify_all()
        if stop and worker is not None:
            self._stop([worker])

    def _reap_idle(self) -> None:
        interval = min(max(self._idle_seconds / 4, 0.05), 30.0)
        while not self._stopping.wait(interval):
            expired: list[_Worker] = []
            with self._cond:
                now = time.monotonic()
                for key, pool in list(self._pools.items()):
                    expired += [w for w in pool.idle if now - w.last_used >= self._idle_seconds]
                    pool.idle = [w for w in pool.idle if now - w.last_used < self._idle_seconds]
                    if not pool.idle and not pool.busy:
                        del self._pools[key]
            self._stop(expired)

    # -- one worker's life -----------------------------------------------------------------

    def _spawn(self, spec: FunctionSpec) -> _Worker:
        code_dir = str(Path(spec.code_dir).resolve())
        environment = dict(spec.environment)
        python_path = [code_dir] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else [])
        environment["PYTHONPATH"] = os.pathsep.join(python_path)
        if "PATH" not in environment:
            search_path = os.environ.get("PATH", os.defpath)
            environment["PATH"] = os.pathsep.join([os.path.dirname(self._python), search_path])
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            process = subprocess.Popen(
                [self._python, "-B", "-P", _WORKER_FILE, str(request_read), str(response_write)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=code_dir,
                env=environment,
                pass_fds=(request_read, response_write),
                start_new_session=True,
            )
        except BaseException:
            os.close(request_write)
            os.close(response_read)
            raise
        finally:
            os.close(request_read)
            os.close(response_write)
        worker = _Worker(spec.key, process, request_write, response_read)
        with self._cond:
            self._live.add(worker)
            closed = self._closed
        if closed:
            self._stop([worker])
            raise RuntimeError("the Lambda runtime is closed")
        return worker

    def _stop(self, workers: list[_Worker]) -> None:
        """End of file, a moment to exit, then SIGKILL to each process group; all reaped."""
        if not workers:
            return
        for worker in workers:
            worker.close_pipes()
        deadline = time.monotonic() + STOP_SECONDS
        for worker in workers:
            while worker.running() and time.monotonic() < deadline:
                time.sleep(0.005)
        for worker in workers:
            worker.kill()
            worker.reap()
        with self._cond:
            self._live.difference_update(workers)

    def _bury(self, worker: _Worker, turn: _Turn) -> tuple[bytes, int | None]:
        """After a timeout or an exit: kill what is left, read the last output, reap."""
        if turn.outcome == "exit":
            worker.wait_exit(time.monotonic() + EXIT_SECONDS)
        worker.kill()
        worker.drain(time.monotonic() + DRAIN_SECONDS)
        returncode = worker.reap()
        output = turn.output + worker.take_output()
        worker.close_pipes()
        with self._cond:
            self._live.discard(worker)
        return output, returncode

    def _failure(self, worker: _Worker, turn: _Turn, request_id: str, seconds: float) -> _Ending:
        """A turn that got no answer (timed out, the worker exited, or it broke the protocol)."""
        if turn.outcome == "timeout":
            output, _ = self._bury(worker, turn)
            payload, line = _timed_out(request_id, seconds)
            return _Ending(payload, "Sandbox.Timedout", output, [line], "Status: timeout")
        if turn.outcome != "exit":
            worker.kill()
        output, returncode = self._bury(worker, turn)
        reason = f"RequestId: {request_id} Error: {_exit_reason(returncode)}"
        error_type = "Runtime.ExitError"
        return _Ending(
            _platform_error(reason, error_type), error_type, output, [reason, error_type], _error(error_type)
        )

    def _initialize(
        self, worker: _Worker, spec: FunctionSpec, context: InvokeContext, started: float
    ) -> _Init | InvokeResult:
        """Have a new worker (spawned at ``started``) import the handler; the result if that failed."""
        limit = max(INIT_SECONDS, spec.timeout)
        marker = _marker()
        init = {
            "type": "init",
            "handler": spec.handler,
            "code_dir": str(Path(spec.code_dir).resolve()),
            "site_dirs": self._site_dirs,
            "marker": marker.decode(),
        }
        turn = _converse(worker, protocol.encode_message(init), marker, started + limit)
        init_ms = (time.monotonic() - started) * 1000
        if turn.outcome == "answer" and turn.metadata.get("type") == "init":
            worker.max_memory_mb = int(turn.metadata.get("max_memory_mb") or 0)
            error_type = turn.metadata.get("error_type")
            if not error_type:
                return _Init(turn.output, init_ms)
            output, _ = self._bury(worker, _Turn("exit", output=turn.output))  # it exits, as AWS's does
            ending = _Ending(turn.body, str(error_type), status=_error(str(error_type)))
        else:
            ending = self._failure(worker, turn, context.request_id, limit)
            output, ending.output = ending.output, b""
        return _compose(
            context,
            spec,
            ending,
            duration_ms=init_ms,
            init_ms=init_ms,
            max_memory_mb=worker.max_memory_mb,
            prelude=output,
            init_failed=True,
        )

    def _call(
        self, worker: _Worker, spec: FunctionSpec, event: bytes, context: InvokeContext, init: _Init | None
    ) -> tuple[InvokeResult, bool]:
        """Run one invocation on ``worker``; whether the worker is still warm afterwards."""
        marker = _marker()
        request = {
            "type": "invoke",
            "request_id": context.request_id,
            "deadline_ms": int((time.time() + spec.timeout) * 1000),
            "invoked_function_arn": context.invoked_function_arn,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": str(spec.memory_mb),
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "client_context": context.client_context,
            "identity": context.identity,
            "marker": marker.decode(),
        }
        started = time.monotonic()
        turn = _converse(worker, protocol.encode_message(request, event), marker, started + spec.timeout)
        duration_ms = min((time.monotonic() - started) * 1000, spec.timeout * 1000)
        warm = turn.outcome == "answer" and turn.metadata.get("type") == "result"
        if warm:
            worker.max_memory_mb = int(turn.metadata.get("max_memory_mb") or worker.max_memory_mb)
            error_type = turn.metadata.get("error_type")
            ending = _Ending(turn.body, str(error_type) if error_type else None, turn.output)
        else:
            ending = self._failure(worker, turn, context.request_id, spec.timeout)
        result = _compose(
            context,
            spec,
            ending,
            duration_ms=duration_ms,
            init_ms=init.duration_ms if init is not None else None,
            max_memory_mb=worker.max_memory_mb,
            prelude=init.output if init is not None else b"",
        )
        return result, warm


def _error(error_type: str) -> str:
    return f"Status: error\tError Type: {error_type}"


def _marker() -> bytes:
    """A token that ends one turn's output; no handler can guess it."""
    return b"\x00\x1blocaliam-end-of-output-" + os.urandom(16).hex().encode() + b"\x1b\x00"
