"""MemorySize as a real limit with AWS's out-of-memory answer, and Lambda's throttling: the
account's concurrency limit answers 429 at once; a function never has more workers than its
bound, even when many cold starts race (AWS: ``configuration-memory``, ``lambda-concurrency``,
``API_Invoke`` Errors)."""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lambda_helpers import make_runtime

from localiam.errors import AwsError
from localiam.services.awslambda.memory import detect
from localiam.services.awslambda.runtime import FunctionSpec, InvokeContext, InvokeResult, Runtime

HOG = """
import os

WORKER = os.urandom(8).hex()

def handler(event, context):
    hoard = bytearray(event["mb"] << 20)
    hoard[::4096] = b"x" * len(hoard[::4096])  # touch every page
    return WORKER
"""


def spec(tmp_path: Path, source: str, *, memory_mb: int = 128, key: str = "fn", account: str = "") -> FunctionSpec:
    code = tmp_path / key
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(textwrap.dedent(source))
    return FunctionSpec(
        key=key, code=code, handler="app.handler", environment={}, timeout=20.0, memory_mb=memory_mb, account=account
    )


def context(request_id: str = "") -> InvokeContext:
    return InvokeContext(
        request_id or str(uuid.uuid4()),
        "fn",
        "$LATEST",
        "arn:aws:lambda:us-east-1:1:function:fn",
        "/aws/lambda/fn",
        "s",
    )


def run(rt: Runtime, fn: FunctionSpec, event: object, request_id: str = "") -> InvokeResult:
    return rt.invoke(fn, json.dumps(event).encode(), context(request_id))


MODES = ["detected", "rlimit"]


@pytest.fixture(params=MODES)
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """Once with the best limit this host offers (a cgroup here), once with RLIMIT_AS."""
    rt = make_runtime(memory=detect("rlimit" if request.param == "rlimit" else None))
    yield rt
    rt.close()


def test_memory_size_is_a_limit_with_aws_out_of_memory_answer(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, HOG, memory_mb=128)
    small = run(runtime, fn, {"mb": 16})
    assert small.function_error is None, small.payload
    worker = json.loads(small.payload)
    result = run(runtime, fn, {"mb": 2048}, request_id="req-oom")
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "RequestId: req-oom Error: Runtime exited with error: signal: killed",
        "errorType": "Runtime.OutOfMemory",
    }
    assert "RequestId: req-oom Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory\n" in result.log
    report = result.log.rstrip().splitlines()[-1]
    assert re.search(
        r"\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory$", report
    ), report
    # The next invocation starts a new execution environment, which works.
    again = run(runtime, fn, {"mb": 16})
    assert again.function_error is None and json.loads(again.payload) != worker
    # The same allocation fits a function with more memory.
    roomy = run(runtime, spec(tmp_path, HOG, memory_mb=1024, key="roomy"), {"mb": 300})
    assert roomy.function_error is None, roomy.payload


def test_running_out_of_memory_at_init(runtime: Runtime, tmp_path: Path) -> None:
    fn = spec(tmp_path, "HOARD = bytearray(2048 << 20)\n\ndef handler(event, context):\n    return 1\n")
    result = run(runtime, fn, {}, request_id="req-init")
    assert result.function_error == "Unhandled" and result.error_type == "Runtime.OutOfMemory"
    assert "INIT_REPORT Init Duration:" in result.log and "Error Type: Runtime.OutOfMemory" in result.log


def test_a_handler_that_raises_memory_error_itself_is_an_ordinary_error_under_a_cgroup(tmp_path: Path) -> None:
    rt = make_runtime()
    try:
        if rt.memory.mode == "rlimit":
            pytest.skip("no memory cgroup here: under RLIMIT_AS a MemoryError is the out-of-memory signal")
        fn = spec(tmp_path, "def handler(event, context):\n    raise MemoryError('mine')\n")
        result = run(rt, fn, {})
        assert result.error_type == "MemoryError"
    finally:
        rt.close()


def test_the_account_concurrency_limit_throttles_at_once(tmp_path: Path) -> None:
    rt = make_runtime(account_concurrency=2, max_workers_per_function=4)
    try:
        slow = spec(tmp_path, "import time\ndef handler(event, context):\n    time.sleep(1.5)\n", account="111")
        threads = [threading.Thread(target=run, args=(rt, slow, {})) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(AwsError) as raised:
            run(rt, slow, {})
        assert time.monotonic() - started < 0.5  # not queued: throttled
        assert (raised.value.code, raised.value.status) == ("TooManyRequestsException", 429)
        assert str(raised.value) == "Rate Exceeded."
        assert raised.value.fields["Reason"] == "ConcurrentInvocationLimitExceeded"
        # Another account has a limit of its own.
        other = spec(tmp_path, "def handler(event, context):\n    return 'ok'\n", key="other", account="222")
        assert run(rt, other, {}).payload == b'"ok"'
        for thread in threads:
            thread.join(timeout=10)
        assert run(rt, slow, {}).function_error is None  # capacity is back
    finally:
        rt.close()


def test_the_per_function_worker_bound_holds_under_racing_cold_starts(tmp_path: Path) -> None:
    rt = make_runtime(max_workers_per_function=4)
    try:
        fn = spec(
            tmp_path,
            "import os, time\nWORKER = os.urandom(8).hex()\ndef handler(event, context):\n"
            "    time.sleep(0.3)\n    return WORKER\n",
        )
        answers: list[str] = []
        lock = threading.Lock()
        peak = 0

        def call() -> None:
            nonlocal peak
            answer = json.loads(run(rt, fn, {}).payload)
            with lock:
                answers.append(answer)
                peak = max(peak, rt.stats()["workers"])

        threads = [threading.Thread(target=call) for _ in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(answers) == 24
        assert len(set(answers)) <= 4 and peak <= 4
        assert rt.stats()["cold_starts"] <= 4
    finally:
        rt.close()


def test_runtimes_of_one_process_keep_their_own_cgroups(tmp_path: Path) -> None:
    """A runtime that closes (``configure`` replacing one, a test's) leaves the others' limits be."""
    first, second = make_runtime(), make_runtime()
    try:
        if second.memory.parent is None:
            pytest.skip("no memory cgroup that this process may create here")
        first.close()
        fn = spec(tmp_path, HOG, memory_mb=128)
        assert run(second, fn, {"mb": 2048}).error_type == "Runtime.OutOfMemory"
        group = second.memory.group(64)
        assert group is not None
        group.remove()
    finally:
        first.close()
        second.close()
