"""Running Lambda functions: real Python code in warm, reusable worker processes, each in a
sandbox of its own.

A :class:`Runtime` keeps, per :attr:`FunctionSpec.key` (one deployed code + configuration), warm
worker processes (:mod:`.worker`), each running one invocation at a time, as a Lambda execution
environment does. The first invocation on a worker is a cold start (the worker imports the
handler module once); later ones are warm. An idle worker is stopped after ``idle_seconds``;
:meth:`Runtime.invalidate` stops a key's workers when its code or configuration changes,
:meth:`Runtime.close` stops them all.

Isolation (``lambda-runtime-environment``): each worker runs in a bubblewrap sandbox
(:mod:`.sandbox`): its code read-only at ``/var/task``, a private ``/tmp``, the endpoint reachable
through a relay and nothing else of the host. Without a sandbox the runtime refuses to run
functions, unless it was made ``unsafe`` on purpose. Each worker's memory is limited to the
function's ``MemorySize`` (:mod:`.memory`); a worker that exceeds it ends the invocation with
``Runtime.OutOfMemory``.

Concurrency (``lambda-concurrency``): at most ``account_concurrency`` invocations of one account
run at once; one more is throttled at once with ``TooManyRequestsException`` (429,
``ConcurrentInvocationLimitExceeded``), as AWS throttles. Within that, a function runs at most
``max_workers_per_function`` workers (a bound on this machine, not AWS's): more invocations wait
for a worker up to ``queue_seconds``, then are throttled the same way.

What an invocation returns and logs is AWS's (:mod:`.report`):

* the handler's result as JSON, or AWS's error object with ``FunctionError: Unhandled``:
  ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` for a handler exception (the worker
  stays warm) and for an init failure (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``
  ...; ``"requestId": ""`` as AWS has it; the next invocation initializes again);
* a timeout: the worker and everything it started are killed (``Sandbox.Timedout``) and the next
  invocation cold-starts;
* a worker that exits (``sys.exit``, ``os._exit``, a signal): ``Runtime.ExitError``;
* a worker out of memory: ``Runtime.OutOfMemory``.

Not emulated: the 6 MB response limit (the caller knows whether the invocation is synchronous;
responses over 64 MiB are refused with ``Function.ResponseSizeTooLarge``), ``/tmp``'s size
(``EphemeralStorage``), and ``AWS_LAMBDA_LOG_FORMAT=JSON``.

Every wait has a deadline: a worker can block or crash only its own invocation, never the caller.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from localiam.errors import AwsError
from localiam.services.awslambda import worker as protocol
from localiam.services.awslambda.memory import ADDRESS_SPACE_ALLOWANCE, MemoryLimits, detect
from localiam.services.awslambda.process import Spawner, Turn, Worker, converse, marker, remover
from localiam.services.awslambda.relay import Relays, endpoint_address
from localiam.services.awslambda.report import (
    EXIT_ERROR,
    OUT_OF_MEMORY,
    Ending,
    Init,
    InvokeContext,
    InvokeResult,
    compose,
    error_status,
    exit_reason,
    platform_error,
    timed_out,
)
from localiam.services.awslambda.sandbox import BOOTSTRAP, ENDPOINT_SOCKET, TASK_ROOT, Sandbox

__all__ = ["CodeSource", "FunctionSpec", "InvokeContext", "InvokeResult", "Runtime"]

INIT_SECONDS = 10.0
"""AWS limits the Init phase to 10 s (retried with the function timeout): a cold start may take
``max(INIT_SECONDS, timeout)``."""
STOP_SECONDS = 1.0
"""How long a stopped worker may take to exit after end of file before it is killed."""
EXIT_SECONDS = 2.0
"""How long a worker that closed its answer pipe may take to exit before it is killed."""
DRAIN_SECONDS = 0.25
"""How long to read a dead worker's last output."""
ACCOUNT_CONCURRENCY = 1000
"""AWS's default quota of concurrent executions per account and Region."""

_WORKER_FILE = Path(protocol.__file__).resolve()


class CodeSource(Protocol):
    """A deployment package that is unpacked for the workers that run it and removed when none
    does: :meth:`acquire` once per worker, :meth:`release` when that worker is gone."""

    def acquire(self) -> Path: ...

    def release(self) -> None: ...


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a worker runs: one deployed version of a function's code and configuration."""

    key: str
    """Identifies one deployed code + configuration; workers are reused only for the same key."""
    code: Path | CodeSource
    """The unzipped deployment package (``/var/task``), or where to get it."""
    handler: str
    """``module.function`` or ``pkg/module.function``, as AWS's ``Handler``."""
    environment: Mapping[str, str]
    """The worker's whole environment (``AWS_*`` included), plus ``PYTHONPATH`` (the code directory
    first) and ``PATH`` (when absent: the interpreter's directory, then the server's ``PATH``)."""
    timeout: float
    """Seconds."""
    memory_mb: int = 128
    function: str = ""
    """The function whose workers ``max_workers_per_function`` counts (``key`` when empty)."""
    account: str = ""
    """The account whose invocations ``account_concurrency`` counts."""
    endpoint: str | None = None
    """The endpoint (``AWS_ENDPOINT_URL``) the function may reach from its sandbox."""


@dataclass(eq=False, slots=True)
class _Pool:
    idle: list[Worker] = field(default_factory=list)
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


def _throttled(reason: str) -> AwsError:
    return AwsError("Rate Exceeded.", code="TooManyRequestsException", status=429, fields={"Reason": reason})


class Runtime:
    """Runs functions in worker processes; thread-safe; :meth:`invoke` blocks its caller.

    ``sandbox`` is where workers run; without one, :meth:`invoke` refuses with ``refusal`` unless
    ``unsafe`` (then workers run as the server's user and see what it sees). ``hide`` names host
    paths no sandbox may show (the data dir). ``memory`` is how ``MemorySize`` is enforced
    (detected when not given).
    """

    def __init__(
        self,
        *,
        sandbox: Sandbox | None = None,
        unsafe: bool = False,
        refusal: str = "",
        hide: Iterable[Path | str] = (),
        memory: MemoryLimits | None = None,
        max_workers_per_function: int = 4,
        account_concurrency: int = ACCOUNT_CONCURRENCY,
        idle_seconds: float = 300.0,
        python: str = sys.executable,
        queue_seconds: float = 60.0,
    ) -> None:
        if max_workers_per_function < 1:
            raise ValueError("max_workers_per_function must be at least 1")
        if account_concurrency < 1:
            raise ValueError("account_concurrency must be at least 1")
        self.sandbox = sandbox
        self.unsafe = unsafe
        self.refusal = refusal or "no sandbox is available to run functions in"
        self._hide: set[str] = set()
        self.hide(*hide)
        self.memory = memory if memory is not None else detect()
        self._max_workers = max_workers_per_function
        self._account_concurrency = account_concurrency
        self._idle_seconds = idle_seconds
        self._python = python
        self._queue_seconds = queue_seconds
        self._site_dirs = _site_dirs()
        self._dir = Path(tempfile.mkdtemp(prefix="localiam-lambda-"))
        self._relays = Relays(self._dir)
        self._spawner = Spawner()
        self._cond = threading.Condition()
        self._pools: dict[str, _Pool] = {}
        self._busy: dict[str, int] = {}
        """Workers checked out per function."""
        self._running: dict[str, int] = {}
        """Invocations admitted per account (running or waiting for a worker)."""
        self._live: set[Worker] = set()
        self._closed = False
        self._cold_starts = 0
        self._warm_starts = 0
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap_idle, name="lambda-idle-reaper", daemon=True)
        self._reaper.start()

    # -- public ----------------------------------------------------------------------------

    @property
    def isolation(self) -> str:
        """``"bubblewrap"``, ``"none (unsafe)"`` or ``"refused"``."""
        if self.sandbox is not None:
            return "bubblewrap"
        return "none (unsafe)" if self.unsafe else "refused"

    def hide(self, *paths: Path | str) -> None:
        """Never show ``paths`` in a sandbox, even inside a directory it binds (the data dir)."""
        for path in paths:
            self._hide.update({os.path.realpath(path), os.path.abspath(path)})

    def invoke(self, spec: FunctionSpec, event: bytes, context: InvokeContext) -> InvokeResult:
        """Run the function on ``event`` (JSON bytes); ``RuntimeError`` once closed."""
        if len(event) > protocol.MAX_BODY:
            raise ValueError(f"event larger than {protocol.MAX_BODY} bytes")
        if self.sandbox is None and not self.unsafe:
            raise AwsError(f"localiam cannot run functions: {self.refusal}", code="ServiceException", status=500)
        pool, worker = self._checkout(spec)
        keep = None
        try:
            init: Init | None = None
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
            self._checkin(spec, pool, keep)

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
        deadline = time.monotonic() + STOP_SECONDS + 5
        while time.monotonic() < deadline:
            with self._cond:
                if not self._live:
                    break
            time.sleep(0.01)
        if self._reaper is not threading.current_thread():
            self._reaper.join(timeout=1.0)
        self._spawner.close()
        self._relays.close()
        self.memory.close()
        shutil.rmtree(self._dir, ignore_errors=True)

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

    def _checkout(self, spec: FunctionSpec) -> tuple[_Pool, Worker | None]:
        """A warm worker, or ``None``: a slot reserved for a cold start."""
        function = spec.function or spec.key
        deadline = time.monotonic() + self._queue_seconds
        dead: list[Worker] = []
        admitted = False
        try:
            with self._cond:
                if self._closed:
                    raise RuntimeError("the Lambda runtime is closed")
                if self._running.get(spec.account, 0) >= self._account_concurrency:
                    raise _throttled("ConcurrentInvocationLimitExceeded")
                self._running[spec.account] = self._running.get(spec.account, 0) + 1
                admitted = True
                while True:
                    if self._closed:
                        raise RuntimeError("the Lambda runtime is closed")
                    pool = self._pools.setdefault(spec.key, _Pool())
                    while pool.idle:
                        worker = pool.idle.pop()
                        if worker.running():
                            self._take(pool, function)
                            self._warm_starts += 1
                            return pool, worker
                        dead.append(worker)
                    if self._busy.get(function, 0) < self._max_workers:
                        self._take(pool, function)
                        self._cold_starts += 1
                        return pool, None
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise _throttled("ConcurrentInvocationLimitExceeded")
                    self._cond.wait(remaining)
        except BaseException:
            if admitted:
                with self._cond:
                    self._release_account(spec.account)
            raise
        finally:
            self._stop(dead)

    def _take(self, pool: _Pool, function: str) -> None:
        pool.busy += 1
        self._busy[function] = self._busy.get(function, 0) + 1

    def _release_account(self, account: str) -> None:
        left = self._running.get(account, 0) - 1
        if left > 0:
            self._running[account] = left
        else:
            self._running.pop(account, None)

    def _checkin(self, spec: FunctionSpec, pool: _Pool, worker: Worker | None) -> None:
        function = spec.function or spec.key
        with self._cond:
            pool.busy -= 1
            left = self._busy.get(function, 0) - 1
            if left > 0:
                self._busy[function] = left
            else:
                self._busy.pop(function, None)
            self._release_account(spec.account)
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
            expired: list[Worker] = []
            with self._cond:
                now = time.monotonic()
                for key, pool in list(self._pools.items()):
                    expired += [w for w in pool.idle if now - w.last_used >= self._idle_seconds]
                    pool.idle = [w for w in pool.idle if now - w.last_used < self._idle_seconds]
                    if not pool.idle and not pool.busy:
                        del self._pools[key]
            self._stop(expired)

    # -- one worker's life -----------------------------------------------------------------

    def _spawn(self, spec: FunctionSpec) -> Worker:
        """Start a worker: unpack its code, make its cgroup and ``/tmp``, start it in its sandbox."""
        leftovers = []
        if isinstance(spec.code, Path):
            code_dir = spec.code.resolve()
        else:
            code_dir = spec.code.acquire()
            leftovers.append(spec.code.release)
        group = None
        request_read = request_write = response_read = response_write = -1
        try:
            group = self.memory.group(spec.memory_mb)
            sandbox = self.sandbox
            task_root = TASK_ROOT if sandbox is not None else str(code_dir)
            environment = dict(spec.environment)
            python_path = [task_root] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else [])
            environment["PYTHONPATH"] = os.pathsep.join(python_path)
            if "PATH" not in environment:
                search_path = os.environ.get("PATH", os.defpath)
                environment["PATH"] = os.pathsep.join([os.path.dirname(self._python), search_path])
            request_read, request_write = os.pipe()
            response_read, response_write = os.pipe()
            bootstrap = BOOTSTRAP if sandbox is not None else str(_WORKER_FILE)
            argv = [self._python, "-B", "-P", bootstrap, str(request_read), str(response_write)]
            if sandbox is not None:
                tmp_dir = Path(tempfile.mkdtemp(prefix="tmp-", dir=self._dir))
                leftovers.append(remover(tmp_dir))
                socket = self._relays.socket_for(spec.endpoint) if spec.endpoint else None
                argv = sandbox.command(
                    argv,
                    code_dir=code_dir,
                    tmp_dir=tmp_dir,
                    bootstrap=_WORKER_FILE,
                    endpoint_socket=socket,
                    hide=sorted(self._hide),
                )
            if group is not None:
                argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group.procs), *argv]
            fds = (request_read, response_write)

            def start() -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd=task_root if sandbox is None else "/",
                    env=environment,
                    pass_fds=fds,
                    start_new_session=True,
                )

            process = self._spawner.start(start)
        except BaseException:
            for fd in (request_write, response_read):
                if fd >= 0:
                    os.close(fd)
            if group is not None:
                group.remove()
            for action in leftovers:
                action()
            raise
        finally:
            for fd in (request_read, response_write):
                if fd >= 0:
                    os.close(fd)
        worker = Worker(
            spec.key,
            process,
            request_write,
            response_read,
            sandboxed=self.sandbox is not None,
            group=group,
            leftovers=tuple(leftovers),
        )
        worker.task_root = task_root
        with self._cond:
            self._live.add(worker)
            closed = self._closed
        if closed:
            self._stop([worker])
            raise RuntimeError("the Lambda runtime is closed")
        return worker

    def _forget(self, workers: Iterable[Worker]) -> None:
        for worker in workers:
            worker.dispose()
        with self._cond:
            self._live.difference_update(workers)

    def _stop(self, workers: list[Worker]) -> None:
        """End of file, a moment to exit, then SIGKILL to each worker's processes; all reaped."""
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
        self._forget(workers)

    def _bury(self, worker: Worker, turn: Turn) -> tuple[bytes, int | None]:
        """After a timeout or an exit: kill what is left, read the last output, reap."""
        if turn.outcome == "exit":
            worker.wait_exit(time.monotonic() + EXIT_SECONDS)
        worker.kill()
        worker.drain(time.monotonic() + DRAIN_SECONDS)
        returncode = worker.reap()
        output = turn.output + worker.take_output()
        worker.close_pipes()
        out_of_memory = worker.out_of_memory()
        self._forget([worker])
        if out_of_memory:
            worker.oom = True
        return output, returncode

    def _failure(self, worker: Worker, spec: FunctionSpec, turn: Turn, request_id: str, seconds: float) -> Ending:
        """A turn that got no answer (timed out, the worker exited or ran out of memory, or it
        broke the protocol)."""
        if turn.outcome == "timeout":
            output, _ = self._bury(worker, turn)
            payload, line = timed_out(request_id, seconds)
            return Ending(payload, "Sandbox.Timedout", output, [line], "Status: timeout")
        reported_oom = turn.outcome == "answer" and turn.metadata.get("type") == "oom"
        if turn.outcome != "exit":
            worker.kill()
        output, returncode = self._bury(worker, turn)
        if reported_oom or worker.oom:
            worker.max_memory_mb = spec.memory_mb
            reason = f"RequestId: {request_id} Error: {exit_reason(-9)}"
            return Ending(
                platform_error(reason, OUT_OF_MEMORY),
                OUT_OF_MEMORY,
                output,
                [reason, OUT_OF_MEMORY],
                error_status(OUT_OF_MEMORY),
            )
        reason = f"RequestId: {request_id} Error: {exit_reason(returncode)}"
        return Ending(
            platform_error(reason, EXIT_ERROR), EXIT_ERROR, output, [reason, EXIT_ERROR], error_status(EXIT_ERROR)
        )

    def _memory_used(self, worker: Worker, reported: object) -> int:
        """The worker's peak: its own peak resident set, or its cgroup's peak when that is more
        (what the cgroup counts begins when the worker moved in)."""
        own = int(reported) if isinstance(reported, int | float | str) and str(reported).isdigit() else 0
        return max(own, worker.peak_memory_mb() or 0, worker.max_memory_mb)

    def _initialize(
        self, worker: Worker, spec: FunctionSpec, context: InvokeContext, started: float
    ) -> Init | InvokeResult:
        """Have a new worker (spawned at ``started``) import the handler; the result if that failed."""
        limit = max(INIT_SECONDS, spec.timeout)
        end = marker()
        init: dict[str, object] = {
            "type": "init",
            "handler": spec.handler,
            "code_dir": worker.task_root,
            "site_dirs": self._site_dirs,
            "marker": end.decode(),
            "relay": None,
            "address_space": None,
        }
        if self.sandbox is not None and spec.endpoint:
            init["relay"] = {"socket": ENDPOINT_SOCKET, "port": endpoint_address(spec.endpoint)[1]}
        if worker.group is None:
            init["address_space"] = (spec.memory_mb << 20) + ADDRESS_SPACE_ALLOWANCE
        turn = converse(worker, protocol.encode_message(init), end, started + limit)
        init_ms = (time.monotonic() - started) * 1000
        if turn.outcome == "answer" and turn.metadata.get("type") == "init":
            worker.max_memory_mb = self._memory_used(worker, turn.metadata.get("max_memory_mb"))
            error_type = turn.metadata.get("error_type")
            if not error_type:
                return Init(turn.output, init_ms)
            output, _ = self._bury(worker, Turn("exit", output=turn.output))  # it exits, as AWS's does
            ending = Ending(turn.body, str(error_type), status=error_status(str(error_type)))
        else:
            ending = self._failure(worker, spec, turn, context.request_id, limit)
            output, ending.output = ending.output, b""
        return compose(
            context,
            spec.memory_mb,
            ending,
            duration_ms=init_ms,
            init_ms=init_ms,
            max_memory_mb=worker.max_memory_mb,
            prelude=output,
            init_failed=True,
        )

    def _call(
        self, worker: Worker, spec: FunctionSpec, event: bytes, context: InvokeContext, init: Init | None
    ) -> tuple[InvokeResult, bool]:
        """Run one invocation on ``worker``; whether the worker is still warm afterwards."""
        end = marker()
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
            "marker": end.decode(),
        }
        started = time.monotonic()
        turn = converse(worker, protocol.encode_message(request, event), end, started + spec.timeout)
        duration_ms = min((time.monotonic() - started) * 1000, spec.timeout * 1000)
        warm = turn.outcome == "answer" and turn.metadata.get("type") == "result"
        if warm:
            worker.max_memory_mb = self._memory_used(worker, turn.metadata.get("max_memory_mb"))
            error_type = turn.metadata.get("error_type")
            ending = Ending(turn.body, str(error_type) if error_type else None, turn.output)
        else:
            ending = self._failure(worker, spec, turn, context.request_id, spec.timeout)
        result = compose(
            context,
            spec.memory_mb,
            ending,
            duration_ms=duration_ms,
            init_ms=init.duration_ms if init is not None else None,
            max_memory_mb=worker.max_memory_mb,
            prelude=init.output if init is not None else b"",
        )
        return result, warm
