"""The Lambda function runtime: real handlers in warm worker processes, AWS's results and logs.

Handler files are written into ``tmp_path``; every test runs real worker processes.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from lambda_helpers import make_runtime, tree, wait_tree_gone, witness

from localiam.errors import AwsError
from localiam.services.awslambda.runtime import FunctionSpec, InvokeContext, InvokeResult, Runtime
from localiam.services.awslambda.sandbox import TASK_ROOT

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = make_runtime(max_workers_per_function=2)
    yield rt
    rt.close()


def task_root(rt: Runtime, fn: FunctionSpec) -> str:
    """Where the function sees its code: ``/var/task`` in a sandbox."""
    return TASK_ROOT if rt.sandbox is not None else str(fn.code)


def spec(
    tmp_path: Path,
    source: str,
    *,
    handler: str = "app.handler",
    key: str | None = None,
    timeout: float = 5.0,
    environment: dict[str, str] | None = None,
    memory_mb: int = 128,
) -> FunctionSpec:
    code = tmp_path / (key or "code")
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(textwrap.dedent(source))
    return FunctionSpec(
        key=key or str(code),
        code=code,
        handler=handler,
        environment=environment or {},
        timeout=timeout,
        memory_mb=memory_mb,
    )


def context(request_id: str | None = None) -> InvokeContext:
    return InvokeContext(
        request_id=request_id or str(uuid.uuid4()),
        function_name="fn",
        function_version="$LATEST",
        invoked_function_arn=ARN,
        log_group_name="/aws/lambda/fn",
        log_stream_name="2026/01/01/[$LATEST]abc",
    )


def invoke(rt: Runtime, fn: FunctionSpec, event: object = None, request_id: str | None = None) -> InvokeResult:
    return rt.invoke(fn, json.dumps(event if event is not None else {}).encode(), context(request_id))


ECHO = """
    import os

    def handler(event, context):
        return {
            "event": event,
            "pid": os.getpid(),
            "request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "arn": context.invoked_function_arn,
            "memory": context.memory_limit_in_mb,
            "log_group": context.log_group_name,
            "log_stream": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
            "cwd": os.getcwd(),
        }
"""


def test_result_round_trip_with_context_and_log(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, ECHO, memory_mb=256)
    result = invoke(runtime, fn, {"a": [1, "ü"]}, request_id="req-1")
    assert result.function_error is None
    body = json.loads(result.payload)
    assert body["event"] == {"a": [1, "ü"]}
    assert body["request_id"] == "req-1"
    assert (body["function_name"], body["function_version"], body["arn"]) == ("fn", "$LATEST", ARN)
    assert body["memory"] == "256"  # a str, as on AWS
    assert (body["log_group"], body["log_stream"]) == ("/aws/lambda/fn", "2026/01/01/[$LATEST]abc")
    assert 4000 < body["remaining"] <= 5000
    assert body["cwd"] == task_root(runtime, fn)
    assert result.log_tail.startswith("START RequestId: req-1 Version: $LATEST\n")
    assert "\nEND RequestId: req-1\n" in result.log_tail
    report = result.log_tail.splitlines()[-1]
    assert re.fullmatch(
        r"REPORT RequestId: req-1\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB"
        r"\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
        report,
    ), report
    assert result.init_duration_ms is not None and result.billed_duration_ms >= result.init_duration_ms


def test_none_bytes_and_decimal_results(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import decimal

        def handler(event, context):
            return {"none": None, "decimal": decimal.Decimal("2.5"), "int": decimal.Decimal("10")}

        def nothing(event, context):
            return None

        def raw(event, context):
            return b"not json"
        """,
    )
    assert json.loads(invoke(runtime, fn).payload) == {"none": None, "decimal": 2.5, "int": 10}
    nothing = FunctionSpec(fn.key + "n", fn.code, "app.nothing", {}, 5.0)
    assert invoke(runtime, nothing).payload == b"null"
    raw = FunctionSpec(fn.key + "r", fn.code, "app.raw", {}, 5.0)
    assert invoke(runtime, raw).payload == b"not json"


def test_warm_worker_is_reused(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import os
        COUNT = 0
        WORKER = os.urandom(8).hex()

        def handler(event, context):
            global COUNT
            COUNT += 1
            return [WORKER, COUNT]
        """,
    )
    first, second, third = (json.loads(invoke(runtime, fn).payload) for _ in range(3))
    assert first[0] == second[0] == third[0]
    assert [first[1], second[1], third[1]] == [1, 2, 3]  # the module was imported once
    stats = runtime.stats()
    assert (stats["workers"], stats["idle"], stats["cold_starts"], stats["warm_starts"]) == (1, 1, 1, 2)


def test_environment_is_exactly_the_functions(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALIAM_SERVER_SECRET", "do-not-leak")
    fn = spec(
        tmp_path,
        """
        import os

        def handler(event, context):
            return dict(os.environ)
        """,
        environment={"GREETING": "hello", "AWS_REGION": "eu-west-1"},
    )
    seen = json.loads(invoke(runtime, fn).payload)
    assert seen["GREETING"] == "hello" and seen["AWS_REGION"] == "eu-west-1"
    assert "LOCALIAM_SERVER_SECRET" not in seen
    assert seen["PYTHONPATH"].split(os.pathsep)[0] == task_root(runtime, fn)


def test_boto3_is_importable_in_the_worker(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import boto3

        def handler(event, context):
            return boto3.__version__
        """,
    )
    result = invoke(runtime, fn)
    assert result.function_error is None, result.payload
    assert json.loads(result.payload) == boto3.__version__


def test_worker_loads_nothing_of_localiam(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import sys

        def handler(event, context):
            return sorted(name for name in sys.modules if name.startswith("localiam"))
        """,
    )
    assert json.loads(invoke(runtime, fn).payload) == []


def test_large_event_and_response(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "def handler(event, context):\n    return event\n")
    event = {"data": "x" * 5_000_000}
    result = invoke(runtime, fn, event)
    assert result.function_error is None and json.loads(result.payload) == event


def test_client_context_and_identity(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        def handler(event, context):
            return [
                context.client_context.custom,
                context.client_context.client.app_title,
                context.identity.cognito_identity_id,
                context.identity.cognito_identity_pool_id,
            ]
        """,
    )
    ctx = InvokeContext(
        request_id="req-c",
        function_name="fn",
        function_version="1",
        invoked_function_arn=ARN + ":1",
        log_group_name="/aws/lambda/fn",
        log_stream_name="s",
        client_context='{"custom": {"k": "v"}, "client": {"app_title": "app"}}',
        identity='{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}',
    )
    result = runtime.invoke(fn, b"{}", ctx)
    assert json.loads(result.payload) == [{"k": "v"}, "app", "id-1", "pool-1"]
    assert result.log.startswith("START RequestId: req-c Version: 1\n")


def test_handler_in_a_package_path(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "")
    (fn.code / "pkg").mkdir()
    (fn.code / "pkg" / "__init__.py").write_text("")
    (fn.code / "pkg" / "mod.py").write_text("def run(event, context):\n    return 'nested'\n")
    nested = FunctionSpec(fn.key + "p", fn.code, "pkg/mod.run", {}, 5.0)
    assert invoke(runtime, nested).payload == b'"nested"'


def test_exception_is_aws_error_object_and_worker_stays_warm(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import os
        WORKER = os.urandom(8).hex()

        def handler(event, context):
            if event.get("fail"):
                raise ValueError("boom")
            return WORKER
        """,
    )
    pid = json.loads(invoke(runtime, fn).payload)
    result = invoke(runtime, fn, {"fail": True}, request_id="req-err")
    assert result.function_error == "Unhandled"
    assert result.error_type == "ValueError"
    error = json.loads(result.payload)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (error["errorMessage"], error["errorType"], error["requestId"]) == ("boom", "ValueError", "req-err")
    root = task_root(runtime, fn)
    assert error["stackTrace"] == [f'  File "{root}/app.py", line 7, in handler\n    raise ValueError("boom")\n']
    assert "[ERROR] ValueError: boom\nTraceback (most recent call last):\n" in result.log_tail
    assert json.loads(invoke(runtime, fn).payload) == pid


def test_import_error_then_initializes_again(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "import no_such_dependency\n")
    result = invoke(runtime, fn)
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "Unable to import module 'app': No module named 'no_such_dependency'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'app'" in result.log_tail
    assert "Phase: invoke\tStatus: error\tError Type: Runtime.ImportModuleError" in result.log_tail
    invoke(runtime, fn)
    assert runtime.stats()["cold_starts"] == 2
    assert runtime.stats()["workers"] == 0


def test_handler_not_found_and_malformed_handler(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "def handler(event, context):\n    return 1\n")
    missing = json.loads(invoke(runtime, FunctionSpec("m", fn.code, "app.nope", {}, 5.0)).payload)
    assert (missing["errorType"], missing["errorMessage"]) == (
        "Runtime.HandlerNotFound",
        "Handler 'nope' missing on module 'app'",
    )
    malformed = json.loads(invoke(runtime, FunctionSpec("b", fn.code, "app", {}, 5.0)).payload)
    assert (malformed["errorType"], malformed["errorMessage"]) == (
        "Runtime.MalformedHandlerName",
        "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
    )


def test_unserializable_result_is_marshal_error(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import datetime

        def handler(event, context):
            return {"when": datetime.datetime(2026, 1, 1)}
        """,
    )
    result = invoke(runtime, fn, request_id="req-m")
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "Unable to marshal response: Object of type datetime is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-m",
        "stackTrace": [],
    }


def test_timeout_kills_the_worker_and_the_next_invocation_is_cold(runtime: Runtime, tmp_path: Path) -> None:
    token = witness()
    fn = spec(
        tmp_path,
        """
        import os, time
        WORKER = os.urandom(8).hex()

        def handler(event, context):
            if event.get("sleep"):
                print("going to sleep")
                time.sleep(5)
            return WORKER
        """,
        timeout=1.0,
        environment={"WITNESS": token},
    )
    pid = json.loads(invoke(runtime, fn).payload)
    started = time.monotonic()
    result = invoke(runtime, fn, {"sleep": True}, request_id="req-t")
    assert time.monotonic() - started < 2.0
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "RequestId: req-t Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert "going to sleep\n" in result.log_tail
    assert re.search(r"\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z req-t Task timed out after 1\.00 seconds\n", result.log)
    assert result.log_tail.endswith("\tStatus: timeout\n")
    assert wait_tree_gone(token)
    assert json.loads(invoke(runtime, fn).payload) != pid
    assert runtime.stats()["cold_starts"] == 2


def test_exit_and_crash_are_exit_errors_and_the_next_invocation_works(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import os, signal, sys

        def handler(event, context):
            if event.get("exit") is not None:
                print("exiting")
                sys.exit(event["exit"])
            if event.get("segfault"):
                os.kill(os.getpid(), signal.SIGSEGV)
            if event.get("os_exit"):
                os._exit(7)
            return "fine"
        """,
    )
    result = invoke(runtime, fn, {"exit": 3}, request_id="req-x")
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "RequestId: req-x Error: Runtime exited with error: exit status 3",
        "errorType": "Runtime.ExitError",
    }
    assert "exiting\nRequestId: req-x Error: Runtime exited with error: exit status 3\nRuntime.ExitError\n" in (
        result.log_tail
    )
    assert invoke(runtime, fn).payload == b'"fine"'
    crash = json.loads(invoke(runtime, fn, {"segfault": True}, request_id="req-s").payload)
    assert crash["errorMessage"] == "RequestId: req-s Error: Runtime exited with error: signal: segmentation fault"
    os_exit = json.loads(invoke(runtime, fn, {"os_exit": True}, request_id="req-o").payload)
    assert os_exit["errorMessage"] == "RequestId: req-o Error: Runtime exited with error: exit status 7"
    assert invoke(runtime, fn).payload == b'"fine"'
    assert runtime.stats()["workers"] == 1


def test_output_is_captured_and_does_not_disturb_the_protocol(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import logging, os, subprocess, sys
        print("printed at import")

        def handler(event, context):
            print("to stdout")
            print("to stderr", file=sys.stderr)
            os.write(1, b"raw fd 1\\n")
            os.write(2, b"raw fd 2\\n")
            sys.stdout.buffer.write(b"\\x00\\x00\\x00\\x05{}garbage\\n")
            logging.warning("a warning")
            subprocess.run(["echo", "from a child process"], check=True)
            return {"stdin": sys.stdin.read()}
        """,
    )
    result = invoke(runtime, fn, request_id="req-p")
    assert json.loads(result.payload) == {"stdin": ""}
    log = result.log_tail
    assert log.startswith("printed at import\nSTART RequestId: req-p")
    for text in ("to stdout\n", "to stderr\n", "raw fd 1\n", "raw fd 2\n", "from a child process\n", "garbage\n"):
        assert text in log
    assert re.search(r"\n\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-p\ta warning\n", log)
    # The next invocation's log holds only its own output.
    again = invoke(runtime, fn, request_id="req-q")
    assert "printed at import" not in again.log and again.log.count("to stdout") == 1


def test_log_tail_is_the_last_4_kb(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "def handler(event, context):\n    print('x' * 100_000)\n")
    result = invoke(runtime, fn)
    assert len(result.log_tail.encode()) <= 4096 and result.log_tail.rstrip().splitlines()[-1].startswith("REPORT")
    assert "x" * 100_000 in result.log


def test_concurrent_invocations_share_a_bounded_pool(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(
        tmp_path,
        """
        import os, time
        WORKER = os.urandom(8).hex()

        def handler(event, context):
            time.sleep(0.2)
            return [WORKER, event["n"]]
        """,
    )
    results: dict[int, InvokeResult] = {}

    def call(n: int) -> None:
        results[n] = invoke(runtime, fn, {"n": n})

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == list(range(8))
    answers = [json.loads(results[n].payload) for n in range(8)]
    assert [answer[1] for answer in answers] == list(range(8))
    assert len({answer[0] for answer in answers}) <= 2
    stats = runtime.stats()
    assert stats["workers"] <= 2 and stats["cold_starts"] + stats["warm_starts"] == 8


def test_a_full_pool_throttles_after_queue_seconds(tmp_path: Path) -> None:
    rt = make_runtime(max_workers_per_function=1, queue_seconds=0.2)
    try:
        fn = spec(tmp_path, "import time\ndef handler(event, context):\n    time.sleep(1)\n")
        thread = threading.Thread(target=invoke, args=(rt, fn))
        thread.start()
        time.sleep(0.3)
        with pytest.raises(AwsError) as raised:
            invoke(rt, fn)
        assert (raised.value.code, raised.value.status) == ("TooManyRequestsException", 429)
        thread.join(timeout=5)
    finally:
        rt.close()


def test_invalidate_stops_the_workers_and_their_children(runtime: Runtime, tmp_path: Path) -> None:
    token = witness()
    fn = spec(
        tmp_path,
        """
        import os, subprocess

        CHILD = subprocess.Popen(["sleep", "30"])
        LOST = subprocess.Popen(["sleep", "30"], start_new_session=True)
        WORKER = os.urandom(8).hex()

        def handler(event, context):
            return WORKER
        """,
        environment={"WITNESS": token},
    )
    worker = json.loads(invoke(runtime, fn).payload)
    # The worker, its child, and a child in a session of its own; /proc can show a process that
    # has just been started a moment late on a loaded machine.
    deadline = time.monotonic() + 5
    while len(tree(token)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(tree(token)) >= 3
    runtime.invalidate(fn.key)
    assert wait_tree_gone(token)
    assert runtime.stats()["workers"] == 0
    assert json.loads(invoke(runtime, fn).payload) != worker


def test_idle_workers_are_stopped(tmp_path: Path) -> None:
    rt = make_runtime(idle_seconds=0.2)
    try:
        token = witness()
        fn = spec(tmp_path, "def handler(event, context):\n    return 1\n", environment={"WITNESS": token})
        invoke(rt, fn)
        assert tree(token)
        deadline = time.monotonic() + 3
        while rt.stats()["workers"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rt.stats()["workers"] == 0
        assert wait_tree_gone(token)
    finally:
        rt.close()


def test_close_stops_everything(tmp_path: Path) -> None:
    rt = make_runtime()
    source = "def handler(event, context):\n    return 1\n"
    token = witness()
    for n in range(3):
        invoke(rt, spec(tmp_path, source, key=f"fn{n}", environment={"WITNESS": token}))
    assert rt.stats()["workers"] == 3 and tree(token)
    rt.close()
    assert rt.stats()["workers"] == 0
    assert wait_tree_gone(token)
    with pytest.raises(RuntimeError):
        invoke(rt, spec(tmp_path, source, key="fn0"))
