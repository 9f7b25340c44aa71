"""Invoke: authorized with the engine (the caller's identity side plus the function policy of
the qualifier invoked; same-account and cross-account rules, SCPs, boundaries), then the
handler runs in a warm worker process (:mod:`.runtime`) as its execution role.

The function gets what Lambda gives a function (``configuration-envvars-runtime``): temporary
credentials of a real role session ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION``,
``AWS_REGION``, ``AWS_LAMBDA_FUNCTION_NAME`` and the rest, plus ``AWS_ENDPOINT_URL`` pointing
back at localiam, so its boto3 calls are authenticated and authorized like any other caller's.
The handler runs after the transaction that authorized it has committed: a function calling
back into the endpoint never waits on its own caller.

Invocation types (``API_Invoke``): ``RequestResponse`` (200, the payload, ``FunctionError``
``Unhandled`` on an error), ``Event`` (202, run in the background), ``DryRun`` (204, only the
authorization)."""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import logging
import os
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localiam.services.awslambda import code
from localiam.services.awslambda._service import SERVICE
from localiam.services.awslambda.common import (
    LATEST,
    Deployed,
    error,
    function_ref,
    invalid,
    on_function,
    resolve,
)
from localiam.services.base import OperationContext, Params, Result
from localiam.state.sts_store import IssuedCredentials, find_role, issue_session

if TYPE_CHECKING:
    from localiam.services.awslambda.runtime import FunctionSpec, InvokeContext, Runtime

log = logging.getLogger("localiam.lambda")

SESSION_SECONDS = 6 * 3600
REFRESH_BEFORE = 3600  # issue a new session when the cached one has less than this left
EVENT_WORKERS = 16
"""Threads that run asynchronous (``Event``) invocations; more wait in the queue, as events
wait in Lambda's internal queue."""

_runtime: Runtime | None = None
_runtime_lock = threading.Lock()
_sessions: dict[tuple[int, str, str], IssuedCredentials] = {}
_session_locks: dict[tuple[int, str, str], threading.Lock] = {}
_keys: dict[str, set[str]] = {}
"""Runtime keys (warm workers) by unqualified function ARN, for :func:`retire`."""
_events: queue.SimpleQueue[tuple[FunctionSpec, bytes, InvokeContext]] = queue.SimpleQueue()
_event_threads: list[threading.Thread] = []


def retire(function_arn: str) -> None:
    """Stop the warm workers of a function whose code or configuration changed or which was
    deleted (they would only idle until reaped otherwise); its unpacked code goes with the last."""
    with _runtime_lock:
        keys = _keys.pop(function_arn, set())
        active = _runtime
    if active is not None:
        for key in keys:
            active.invalidate(key)


def configure(
    *,
    unsafe: bool = False,
    hide: Iterable[Path | str] = (),
    account_concurrency: int | None = None,
    max_workers_per_function: int | None = None,
    bwrap: str | None = None,
) -> Runtime:
    """Make the process's function runtime (stopping one made before): in a bubblewrap sandbox
    when one works here; otherwise functions are refused, unless ``unsafe``. ``hide`` names host
    paths no function may see even inside a directory its sandbox binds (the data dir)."""
    global _runtime
    from localiam.services.awslambda.runtime import ACCOUNT_CONCURRENCY, Runtime
    from localiam.services.awslambda.sandbox import SandboxUnavailable, probe

    try:
        sandbox, refusal = probe(bwrap), ""
    except SandboxUnavailable as exc:
        sandbox, refusal = None, str(exc)
    made = Runtime(
        sandbox=sandbox,
        unsafe=unsafe,
        refusal=refusal,
        hide=hide,
        account_concurrency=account_concurrency or ACCOUNT_CONCURRENCY,
        max_workers_per_function=max_workers_per_function or 4,
    )
    with _runtime_lock:
        old, _runtime = _runtime, made
        if old is None:
            atexit.register(_close)
    if old is not None:
        old.close()
    return made


def _close() -> None:
    with _runtime_lock:
        active = _runtime
    if active is not None:
        active.close()


def runtime() -> Runtime:
    """The process's function runtime (warm workers are shared by every endpoint in it); made
    with :func:`configure`'s defaults on first use."""
    with _runtime_lock:
        active = _runtime
    return active if active is not None else configure()


def _payload(params: Params) -> bytes:
    data = params.get("Payload")
    body = bytes(data) if data is not None else b""
    if not body.strip():
        return b"{}"
    try:
        json.loads(body)
    except ValueError as exc:
        raise error(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
        ) from None
    except RecursionError:  # the decoder's answer to JSON nested deeper than the stack allows
        raise error(
            "InvalidRequestContentException",
            "Could not parse request body into json: Could not parse payload into json: the JSON nests too deeply",
        ) from None
    return body


def _credentials(ctx: OperationContext, deployed: Deployed) -> IssuedCredentials:
    """A session of the execution role named after the function, reused while it has more
    than an hour left; a new one is issued in a write transaction of its own (an invoke
    otherwise writes nothing, and takes no write lock). Concurrent cold starts wait for the one
    session being issued rather than each issuing their own (their workers then share a key, so
    the per-function worker limit holds)."""
    role_arn = str(deployed.config["Role"])
    key = (id(ctx.store), role_arn, deployed.arn)
    with _runtime_lock:
        lock = _session_locks.setdefault(key, threading.Lock())
    with lock:
        cached = _sessions.get(key)
        if cached is not None and cached.expires_at - time.time() > REFRESH_BEFORE:
            return cached
        with ctx.store.write() as tx:
            role = find_role(tx, role_arn)
            if role is None:
                raise invalid("The role defined for the function cannot be assumed by Lambda.")
            name = deployed.ref.name
            issued = issue_session(
                tx,
                account_id=role.account_id,
                kind="assumed-role",
                arn=f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}",
                duration=SESSION_SECONDS,
                role=role,
                session_name=name,
            )
        _sessions[key] = issued
        return issued


def _environment(ctx: OperationContext, deployed: Deployed, creds: IssuedCredentials, task_root: str) -> dict[str, str]:
    config = deployed.config
    name = deployed.ref.name
    stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{deployed.version}]{secrets.token_hex(16)}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_REGION": deployed.ref.region,
        "AWS_DEFAULT_REGION": deployed.ref.region,
        "AWS_ENDPOINT_URL": ctx.endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config['Runtime']}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": deployed.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["MemorySize"]),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": task_root,
        "_HANDLER": str(config["Handler"]),
    }
    env.update((config.get("Environment") or {}).get("Variables") or {})
    return env


def _spec(ctx: OperationContext, deployed: Deployed, creds: IssuedCredentials) -> FunctionSpec:
    from localiam.services.awslambda.runtime import FunctionSpec
    from localiam.services.awslambda.sandbox import TASK_ROOT

    assert ctx.bodies is not None
    source = code.PackageCode(ctx.bodies, deployed.code_ref, str(deployed.config["CodeSha256"]), deployed.arn)
    active = runtime()
    task_root = TASK_ROOT if active.sandbox is not None else str(source.path())
    env = _environment(ctx, deployed, creds, task_root)
    config = deployed.config
    stable = {k: v for k, v in env.items() if k != "AWS_LAMBDA_LOG_STREAM_NAME"}
    identity = json.dumps(
        [deployed.arn, config["CodeSha256"], config["Handler"], config["Timeout"], config["MemorySize"], stable],
        sort_keys=True,
    )
    key = hashlib.sha256(identity.encode()).hexdigest()
    with _runtime_lock:
        _keys.setdefault(deployed.ref.arn, set()).add(key)
    return FunctionSpec(
        key=key,
        code=source,
        handler=str(config["Handler"]),
        environment=env,
        timeout=float(config["Timeout"]),
        memory_mb=int(config["MemorySize"]),
        function=deployed.ref.arn,
        account=deployed.ref.account,
        endpoint=ctx.endpoint,
    )


def _context(deployed: Deployed, spec: FunctionSpec, params: Params) -> InvokeContext:
    from localiam.services.awslambda.runtime import InvokeContext

    client_context = params.get("ClientContext")
    return InvokeContext(
        request_id=str(uuid.uuid4()),
        function_name=deployed.ref.name,
        function_version=deployed.version,
        invoked_function_arn=deployed.ref.qualified_arn(),
        log_group_name=spec.environment["AWS_LAMBDA_LOG_GROUP_NAME"],
        log_stream_name=spec.environment["AWS_LAMBDA_LOG_STREAM_NAME"],
        client_context=base64.b64decode(client_context).decode("utf-8", "replace") if client_context else None,
    )


@SERVICE.operation("Invoke", action="lambda:InvokeFunction", authorizer=on_function, blocking=True)
def invoke(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    deployed = resolve(ctx, ref)
    invocation = str(params.get("InvocationType") or "RequestResponse")
    if invocation not in ("RequestResponse", "Event", "DryRun"):
        raise invalid(f"Unsupported invocation type {invocation}")
    payload = _payload(params)
    if invocation == "DryRun":
        return {"StatusCode": 204}
    tail = params.get("LogType") == "Tail"

    def run() -> Result:
        creds = _credentials(ctx, deployed)
        spec = _spec(ctx, deployed, creds)
        context = _context(deployed, spec, params)
        if invocation == "Event":
            _queue_event(spec, payload, context)
            return {"StatusCode": 202}
        result = runtime().invoke(spec, payload, context)
        out: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": result.payload,
            "ExecutedVersion": deployed.version if deployed.version != LATEST else LATEST,
        }
        if result.function_error:
            out["FunctionError"] = result.function_error
        if tail:
            out["LogResult"] = base64.b64encode(result.log_tail.encode()[-4096:]).decode()
        return out

    ctx.then = run
    return {}


def _queue_event(spec: FunctionSpec, payload: bytes, context: InvokeContext) -> None:
    """Queue an asynchronous invocation for one of :data:`EVENT_WORKERS` threads."""
    _events.put((spec, payload, context))
    with _runtime_lock:
        if len(_event_threads) < EVENT_WORKERS:
            thread = threading.Thread(target=_run_events, name="lambda-events", daemon=True)
            _event_threads.append(thread)
            thread.start()


def _run_events() -> None:
    while True:
        spec, payload, context = _events.get()
        try:
            result = runtime().invoke(spec, payload, context)
            if result.function_error:
                log.info("asynchronous invocation %s failed: %s", context.request_id, result.error_type)
        except Exception:
            log.exception("asynchronous invocation %s could not run", context.request_id)
