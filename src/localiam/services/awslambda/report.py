"""What an invocation answers and logs, in AWS's words (AWS: ``API_Invoke``, python-handler,
python-exceptions, troubleshooting-invocation, ``monitoring-cloudwatchlogs``).

* a timeout: ``{"errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds",
  "errorType":"Sandbox.Timedout"}``;
* a runtime that exits: ``Runtime.ExitError`` with Go's ``ProcessState`` text (``exit status 3``,
  ``signal: segmentation fault`` ...);
* a function out of memory: ``Runtime.OutOfMemory``, ``Runtime exited with error: signal: killed``,
  and ``Max Memory Used`` at the limit;
* the log: the init output (on a cold start), ``START RequestId: <id> Version: <v>``, what the
  function printed, ``END RequestId: <id>`` and ``REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled
  Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB[\tInit Duration: 45.67 ms]`` (then
  ``\tStatus: timeout`` or ``\tStatus: error\tError Type: Runtime.ExitError`` when Lambda ended it; a
  failed init adds ``INIT_REPORT Init Duration: ... ms\tPhase: invoke\tStatus: error\tError Type: ...``
  before START). Billed duration is the duration plus the init duration, rounded up to the
  millisecond (AWS bills the init phase since August 2025).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import signal
from dataclasses import dataclass, field

__all__ = ["InvokeContext", "InvokeResult"]

LOG_TAIL_BYTES = 4096
OUT_OF_MEMORY = "Runtime.OutOfMemory"
EXIT_ERROR = "Runtime.ExitError"


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


def exit_reason(returncode: int | None) -> str:
    """How AWS words a runtime's exit (Go's ``ProcessState`` text)."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode is None:
        return "Runtime exited with error: signal: killed"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    return f"Runtime exited with error: signal: {_SIGNAL_NAMES.get(-returncode, f'signal {-returncode}')}"


def platform_error(message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}, separators=(",", ":")).encode()


def _timestamp() -> str:
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def timed_out(request_id: str, seconds: float) -> tuple[bytes, str]:
    """A timeout's payload and log line. AWS answered ``{"errorMessage": "<time> <id> Task timed
    out after 3.00 seconds"}`` until about 2023; it now answers ``Sandbox.Timedout`` with
    ``RequestId: <id> Error: Task timed out after 3.00 seconds`` (as LocalStack's RIE fork does)."""
    text = f"Task timed out after {seconds:.2f} seconds"
    return platform_error(
        f"RequestId: {request_id} Error: {text}", "Sandbox.Timedout"
    ), f"{_timestamp()} {request_id} {text}"


@dataclass(slots=True)
class Init:
    """A cold start that succeeded: its output and duration, for the invocation's log."""

    output: bytes
    duration_ms: float


@dataclass(slots=True)
class Ending:
    """How an invocation (or its init) ended: the payload, and what the log shows of it."""

    payload: bytes
    error_type: str | None
    output: bytes = b""
    lines: list[str] = field(default_factory=list)
    """Lambda's own lines after the function's output (``Task timed out ...``)."""
    status: str = ""
    """The ``REPORT`` (or ``INIT_REPORT``) suffix: ``Status: timeout`` ..."""


def text_of(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text if not text or text.endswith("\n") else text + "\n"


def compose(
    context: InvokeContext,
    memory_mb: int,
    ending: Ending,
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
    parts = [text_of(prelude)]
    if init_failed:
        parts.append(f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: invoke\t{ending.status}\n")
    parts += [f"START RequestId: {request_id} Version: {context.function_version}\n", text_of(ending.output)]
    parts += [line + "\n" for line in ending.lines]
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms"
        f"\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB"
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


def error_status(error_type: str) -> str:
    return f"Status: error\tError Type: {error_type}"
