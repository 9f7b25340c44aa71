"""The program one Lambda worker process runs: AWS's Python runtime loop, on a private pipe.

:mod:`.runtime` starts it as ``python -B -P <this file> REQUEST_FD RESPONSE_FD`` (running the
file, not ``-m localiam.services.awslambda.worker``, so that no package ``__init__`` runs and the
worker imports nothing but the standard library; ``-m`` works too, for a manual run). The
worker's stdin is ``/dev/null`` and its stdout and stderr are one pipe the parent reads as the
function's log: whatever the handler prints, at the Python or the file-descriptor level, and
whatever the ``logging`` module emits, lands there and never in the protocol.

The protocol runs on the two descriptors named on the command line. A message is
``>II`` (metadata length, body length), a JSON object, then the body bytes:

* parent → worker ``{"type": "init", "handler", "code_dir", "site_dirs", "marker", "relay",
  "address_space"}``; the worker first applies its limits (``address_space``: RLIMIT_AS in bytes,
  when no cgroup limits its memory) and starts the endpoint forwarder (``relay``: ``{"socket",
  "port"}`` in a sandbox, see :mod:`.relay`), then imports the handler (the cold start) and
  answers ``{"type": "init", "error_type"}``,
  with AWS's error object as the body when the import failed; after an init error it exits with
  status 1, as ``awslambdaric`` does, so the next invocation initializes again;
* parent → worker ``{"type": "invoke", "request_id", "deadline_ms", ... , "marker"}`` with the
  event as the body; the worker answers ``{"type": "result", "error_type"}`` with the response
  (or the error object) as the body;
* end of file on the request descriptor: the worker exits with status 0;
* worker → parent ``{"type": "oom"}`` (no body) when the function ran out of memory under
  RLIMIT_AS (a ``MemoryError``): the worker then kills itself with SIGKILL, as the OOM killer
  would have, and the parent answers ``Runtime.OutOfMemory``.

Before each answer the worker flushes ``sys.stdout``/``sys.stderr`` and writes the request's
``marker`` to descriptor 1, so the parent knows where that turn's output ends.

What the handler sees mirrors ``awslambdaric`` (github.com/aws/aws-lambda-python-runtime-interface-client,
``awslambdaric/bootstrap.py``, ``lambda_context.py``, ``lambda_runtime_marshaller.py``,
``lambda_runtime_exception.py``): the handler string is split with ``rsplit(".", 1)``; ``/`` in
the module part becomes ``.``; the event is ``json.loads`` of the payload; the result is JSON
with ``Decimal`` support (``bytes`` pass through untouched); a handler exception becomes
``{"errorMessage", "errorType", "requestId", "stackTrace"}`` and is logged as ``[ERROR] Type:
message`` with the traceback; ``SystemExit`` is not caught, so ``sys.exit(3)`` ends the process
(the parent reports ``Runtime.ExitError``). ``logging`` goes to the log with AWS's text format
``[LEVEL]\\t<UTC time>Z\\t<request id>\\t<message>``; ``AWS_LAMBDA_LOG_FORMAT=JSON`` is not
emulated.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import json
import logging
import math
import os
import resource
import selectors
import signal
import site
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

HEADER = struct.Struct(">II")
"""Every protocol message starts with (metadata length, body length), big-endian."""
MAX_METADATA = 1 << 20
MAX_BODY = 64 << 20
"""A larger message is a protocol violation (the parent kills the worker)."""
RESPONSE_LIMIT = 6_291_556
"""Bytes: AWS's synchronous response limit, named in ``Function.ResponseSizeTooLarge``."""

MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

LAMBDA_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)
"""``awslambdaric/lambda_literals.py``: logged before an init error."""
_ERROR_LOG_INDENT = "\u00a0"
"""``awslambdaric`` replaces a traceback line's leading spaces with NO-BREAK SPACE in the log."""


# -- protocol ---------------------------------------------------------------------------------


def encode_message(metadata: dict[str, Any], body: bytes = b"") -> bytes:
    meta = json.dumps(metadata, separators=(",", ":")).encode()
    return HEADER.pack(len(meta), len(body)) + meta + body


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> tuple[dict[str, Any], bytes] | None:
    """The next message on a blocking descriptor; ``None`` at end of file."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    meta_size, body_size = HEADER.unpack(header)
    if meta_size > MAX_METADATA or body_size > MAX_BODY:
        raise ValueError(f"message too large: {meta_size} + {body_size} bytes")
    meta = _read_exact(fd, meta_size)
    body = _read_exact(fd, body_size) if body_size else b""
    if meta is None or body is None:
        return None
    metadata = json.loads(meta)
    if not isinstance(metadata, dict):
        raise ValueError("message metadata is not an object")
    return metadata, body


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- AWS's error objects ----------------------------------------------------------------------


class FaultException(Exception):
    """A runtime fault (``Runtime.*``): AWS's ``awslambdaric.lambda_runtime_exception``."""

    def __init__(self, exception_type: str, msg: str, trace: list[str] | None = None) -> None:
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


def make_error(message: str, error_type: str, stack_trace: list[str] | None, request_id: str | None) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def _user_frames(tb: Any) -> list[str]:
    """The traceback as AWS lists it: ``format_list`` of plain tuples (no ``^^^`` markers),
    from the first frame that is not the runtime's own."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    own = os.path.abspath(__file__)
    for index, frame in enumerate(frames):
        if os.path.abspath(frame[0]) != own:
            frames = frames[index:]
            break
    return traceback.format_list(frames)  # type: ignore[arg-type]


def _exception_error(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    return make_error(str(exc), type(exc).__name__, _user_frames(exc.__traceback__), request_id)


def _log_error(error: dict[str, Any]) -> None:
    """``awslambdaric``'s text-format ``log_error``: ``[ERROR] Type: message`` and the trace."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack_trace = error.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
                continue
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(_ERROR_LOG_INDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


# -- marshalling ------------------------------------------------------------------------------


class _Encoder(json.JSONEncoder):
    """``lambda_runtime_marshaller.Encoder``: ``Decimal`` as a number (NaN as ``NaN``);
    ``ensure_ascii`` off only on the python3.12 runtime, as AWS's marshaller has it."""

    def __init__(self) -> None:
        super().__init__(ensure_ascii=os.environ.get("AWS_EXECUTION_ENV") not in {"AWS_Lambda_python3.12"})

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            if o.is_finite() and o == o.to_integral_value():
                return int(o)
            return float(o)
        return super().default(o)


def to_json(value: Any) -> bytes:
    return _Encoder().encode(value).encode("utf-8")


def marshal_response(response: Any) -> bytes:
    if isinstance(response, bytes):
        return response
    try:
        return to_json(response)
    except Exception as exc:
        raise FaultException(MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None


def unmarshal_request(body: bytes) -> Any:
    try:
        return json.loads(body)
    except Exception as exc:
        raise FaultException(UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from None


# -- the handler ------------------------------------------------------------------------------


def get_handler(handler: str) -> Callable[[Any, Any], Any]:
    """``awslambdaric.bootstrap._get_handler``, messages and all."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultException(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultException(IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultException(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {exc}", trace) from None
    try:
        function: Callable[[Any, Any], Any] = getattr(module, fname)
    except AttributeError:
        raise FaultException(HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'") from None
    return function


# -- the context object -----------------------------------------------------------------------


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity: dict[str, Any] | None) -> None:
        identity = identity or {}
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, client: Any) -> None:
        client = client if isinstance(client, dict) else {}
        for name in self.__slots__:
            setattr(self, name, client.get(name))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, context: dict[str, Any]) -> None:
        self.custom = context.get("custom")
        self.env = context.get("env")
        self.client = Client(context["client"]) if context.get("client") is not None else None


def _parse_json_header(text: str | None, name: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except Exception as exc:
        raise FaultException(LAMBDA_CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {exc}") from None


class LambdaContext:
    """The ``context`` argument (AWS: python-context): request id, function facts, deadline."""

    def __init__(self, request: dict[str, Any]) -> None:
        client_context = _parse_json_header(request.get("client_context"), "Client Context")
        identity = _parse_json_header(request.get("identity"), "Cognito Identity")
        self.aws_request_id: str = request["request_id"]
        self.log_group_name: str | None = request.get("log_group_name")
        self.log_stream_name: str | None = request.get("log_stream_name")
        self.function_name: str | None = request.get("function_name")
        self.memory_limit_in_mb: str | None = request.get("memory_limit_in_mb")
        """A string, as on AWS (read there from ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``)."""
        self.function_version: str | None = request.get("function_version")
        self.invoked_function_arn: str | None = request.get("invoked_function_arn")
        self.tenant_id: str | None = None
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self.identity = CognitoIdentity(identity if isinstance(identity, dict) else None)
        self._epoch_deadline_time_in_ms: int = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg: Any) -> None:
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


# -- logging and output -----------------------------------------------------------------------


class _Unbuffered:
    """``awslambdaric``'s stdout/stderr wrapper: every write is flushed at once, so output
    before a crash is not lost and stdout and stderr interleave in order."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.stream, attr)

    def write(self, msg: str) -> int:
        written = self.stream.write(msg)
        self.stream.flush()
        return written

    def writelines(self, msgs: Any) -> None:
        self.stream.writelines(msgs)
        self.stream.flush()


_request_id = ""
"""The current (or last) request id, stamped on every log record, as ``awslambdaric`` does."""


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id
        record.tenant_id = None
        return True


class _LambdaLoggerHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def _setup_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLoggerHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in logging.getLevelNamesMapping():
        root.setLevel(level)
    root.addHandler(handler)


def _max_memory_mb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return math.ceil(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


def _end_of_output(marker: str) -> None:
    """Flush, then mark the end of this turn's output on descriptor 1 (best effort: a handler
    that closed or redirected it only loses the marker, and the parent stops waiting)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(OSError):
        _write_all(1, marker.encode())


# -- the way out: the endpoint's port forwarded to localiam ----------------------------------

_BUFFER = 1 << 18
"""Bytes a link holds for a peer that does not read before it stops reading from the other."""


class _Link:
    """One forwarded connection: two non-blocking sockets and what each is owed."""

    def __init__(self, selector: selectors.BaseSelector, a: socket.socket, b: socket.socket) -> None:
        self.selector = selector
        self.sockets = (a, b)
        self.owed: dict[socket.socket, bytearray] = {a: bytearray(), b: bytearray()}
        self.ended: dict[socket.socket, bool] = {a: False, b: False}
        """Whether the peer sent end of file on that socket."""
        self.events: dict[socket.socket, int] = {a: 0, b: 0}
        self.update()

    def peer(self, sock: socket.socket) -> socket.socket:
        return self.sockets[1] if sock is self.sockets[0] else self.sockets[0]

    def handle(self, sock: socket.socket, mask: int) -> None:
        peer = self.peer(sock)
        if mask & selectors.EVENT_READ:
            try:
                data = sock.recv(1 << 16)
            except BlockingIOError:
                data = None
            except OSError:
                self.close()
                return
            if data:
                self.owed[peer] += data
            elif data is not None:
                self.ended[sock] = True
                if not self.owed[peer]:
                    with contextlib.suppress(OSError):
                        peer.shutdown(socket.SHUT_WR)
        if mask & selectors.EVENT_WRITE and self.owed[sock]:
            try:
                sent = sock.send(self.owed[sock])
            except BlockingIOError:
                sent = 0
            except OSError:
                self.close()
                return
            del self.owed[sock][:sent]
            if not self.owed[sock] and self.ended[peer]:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
        self.update()

    def update(self) -> None:
        if all(self.ended.values()) and not any(self.owed.values()):
            self.close()
            return
        for sock in self.sockets:
            events = 0
            if not self.ended[sock] and len(self.owed[self.peer(sock)]) < _BUFFER:
                events |= selectors.EVENT_READ
            if self.owed[sock]:
                events |= selectors.EVENT_WRITE
            if events == self.events[sock]:
                continue
            if not self.events[sock]:
                self.selector.register(sock, events, self)
            elif not events:
                self.selector.unregister(sock)
            else:
                self.selector.modify(sock, events, self)
            self.events[sock] = events

    def close(self) -> None:
        for sock in self.sockets:
            if self.events[sock]:
                with contextlib.suppress(Exception):
                    self.selector.unregister(sock)
                self.events[sock] = 0
            sock.close()


def _forward(listeners: list[socket.socket], path: str) -> None:
    """Join every connection to a listener to a new connection to the Unix socket ``path``."""
    selector = selectors.DefaultSelector()
    for listener in listeners:
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, mask in selector.select():
            if key.data is not None:
                key.data.handle(key.fileobj, mask)
                continue
            try:
                client, _ = key.fileobj.accept()  # type: ignore[union-attr]
            except OSError:
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(path)
            except OSError:
                client.close()
                upstream.close()
                continue
            client.setblocking(False)
            upstream.setblocking(False)
            _Link(selector, client, upstream)


def start_forwarder(port: int, path: str) -> None:
    """Listen on the endpoint's port (IPv4 and, where possible, IPv6 loopback) in the sandbox's
    own network namespace, and forward to localiam's relay socket, in a daemon thread."""
    listeners = []
    for family, address in ((socket.AF_INET, ("0.0.0.0", port)), (socket.AF_INET6, ("::", port))):
        try:
            listener = socket.socket(family, socket.SOCK_STREAM)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.bind(address)
            listener.listen(64)
        except OSError:
            continue
        listeners.append(listener)
    if listeners:
        threading.Thread(target=_forward, args=(listeners, path), name="localiam-endpoint", daemon=True).start()


def limit_address_space(limit: int) -> None:
    """RLIMIT_AS for this process and its children (soft and hard: the function cannot raise it),
    with one malloc arena, so that the limit measures memory rather than per-thread reservations."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_OOM = b""
"""The ``oom`` message, made before the function runs (there is no memory to make it later)."""
_limited = False
"""Whether this worker limits its own address space (a ``MemoryError`` is then an OOM kill)."""


def _out_of_memory(response_fd: int) -> None:
    """Tell the parent, then die as the OOM killer would have killed us."""
    with contextlib.suppress(BaseException):
        _write_all(response_fd, _OOM)
    os.kill(os.getpid(), signal.SIGKILL)


# -- the loop ---------------------------------------------------------------------------------


def _prepare(init: dict[str, Any]) -> None:
    """Before any of the function's code runs: the memory limit and the way to the endpoint."""
    global _OOM, _limited
    _OOM = encode_message({"type": "oom"})
    relay = init.get("relay")
    if relay:
        start_forwarder(int(relay["port"]), str(relay["socket"]))
    if init.get("address_space"):
        limit_address_space(int(init["address_space"]))
        _limited = True


def _initialize(init: dict[str, Any]) -> tuple[Callable[[Any, Any], Any] | None, dict[str, Any] | None]:
    code_dir = init["code_dir"]
    if sys.path[:1] != [code_dir]:
        sys.path.insert(0, code_dir)
    for directory in init.get("site_dirs", []):
        site.addsitedir(directory)
    try:
        return get_handler(init["handler"]), None
    except FaultException as fault:
        error = make_error(fault.msg, fault.exception_type, fault.trace, None)
    except Exception as exc:
        if isinstance(exc, MemoryError) and _limited:
            raise
        error = _exception_error(exc, None)
    logging.warning(LAMBDA_WARNING)
    _log_error(error)
    return None, error


def _invoke(handler: Callable[[Any, Any], Any], request: dict[str, Any], event: bytes) -> tuple[bytes, str | None]:
    request_id = request["request_id"]
    try:
        context = LambdaContext(request)
        response = marshal_response(handler(unmarshal_request(event), context))
    except FaultException as fault:
        error = make_error(fault.msg, fault.exception_type, fault.trace, request_id)
    except Exception as exc:
        if isinstance(exc, MemoryError) and _limited:
            raise
        error = _exception_error(exc, request_id)
    else:
        if len(response) > MAX_BODY:
            limit = f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes)."
            too_large = {"errorMessage": limit, "errorType": "Function.ResponseSizeTooLarge"}
            return json.dumps(too_large).encode(), "Function.ResponseSizeTooLarge"
        return response, None
    _log_error(error)
    return to_json(error), error["errorType"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    request_fd, response_fd = int(args[0]), int(args[1])
    os.set_inheritable(request_fd, False)
    os.set_inheritable(response_fd, False)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    _setup_logging()

    message = read_message(request_fd)
    if message is None:
        return
    init, _ = message
    _prepare(init)
    try:
        _serve(init, request_fd, response_fd)
    except MemoryError:
        if not _limited:
            raise
        _out_of_memory(response_fd)


def _serve(init: dict[str, Any], request_fd: int, response_fd: int) -> None:
    global _request_id
    handler, init_error = _initialize(init)
    _end_of_output(init["marker"])
    metadata = {
        "type": "init",
        "error_type": init_error["errorType"] if init_error else None,
        "max_memory_mb": _max_memory_mb(),
    }
    _write_all(response_fd, encode_message(metadata, to_json(init_error) if init_error else b""))
    if handler is None:
        sys.exit(1)

    while (message := read_message(request_fd)) is not None:
        request, event = message
        _request_id = request["request_id"]
        payload, error_type = _invoke(handler, request, event)
        _end_of_output(request["marker"])
        metadata = {"type": "result", "error_type": error_type, "max_memory_mb": _max_memory_mb()}
        _write_all(response_fd, encode_message(metadata, payload))


if __name__ == "__main__":
    main()
