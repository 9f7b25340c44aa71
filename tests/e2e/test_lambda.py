"""Lambda end to end with boto3: the seed's cross-account invoke through a function policy
(``aws lambda add-permission --function-name helloworld --principal 111111111111 --action
lambda:InvokeFunction``), functions that really run as their execution role, and AWS's shapes
for errors and timeouts.

Sources (AWS Lambda Developer Guide): ``access-control-resource-based`` (function policies,
cross-account invoke), ``lambda-intro-execution-role`` (the role, ``iam:PassRole``, the trust
policy for ``lambda.amazonaws.com``), ``python-exceptions`` (``errorMessage``/``errorType``/
``stackTrace``, ``X-Amz-Function-Error: Unhandled``), ``configuration-timeout``; the IAM User
Guide's ``reference_policies_evaluation-logic-cross-account`` (both sides must allow).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from e2e_helpers import Keys, allow, error_of, make_user, policy, root_keys, trust

from lambda_processes import roots, wait_roots, witness
from localiam.testing import LocaliamServer

B_ACCOUNT = "111111111111"

HELLO = """
import json, os

def handler(event, context):
    return {"hello": event.get("name"), "function": context.function_name,
            "caller": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
"""

READS_S3 = """
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    identity = boto3.client("sts").get_caller_identity()["Arn"]
    try:
        body = boto3.client("s3").get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode()
        return {"identity": identity, "body": body}
    except ClientError as exc:
        error = exc.response["Error"]
        return {"identity": identity, "error": error["Code"], "message": error["Message"]}
"""

FAILS = """
def handler(event, context):
    raise ValueError("bad input: " + str(event.get("x")))
"""

SLOW = """
import time

def handler(event, context):
    time.sleep(10)
    return "late"
"""


def package(source: str, module: str = "app") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def lambda_role(iam: Any, name: str, *statements: dict[str, Any]) -> str:
    arn = str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))["Role"][
            "Arn"
        ]
    )
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=policy(*statements))
    return arn


def create(client: Any, name: str, role: str, source: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package(source)},
        **extra,
    )
    return answer


def invoke(client: Any, name: str, event: dict[str, Any] | None = None, **extra: Any) -> tuple[Any, dict[str, Any]]:
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **extra)
    return json.loads(answer["Payload"].read()), answer


@pytest.fixture
def a(server: LocaliamServer) -> Keys:
    return root_keys(server)


@pytest.fixture
def hello(server: LocaliamServer, a: Keys) -> str:
    role = lambda_role(a.client("iam"), "helloworld-role")
    return str(create(a.client("lambda"), "helloworld", role, HELLO)["FunctionArn"])


@pytest.fixture
def b_user(server: LocaliamServer, hello: str) -> Keys:
    """A user of account 111111111111 whose identity policy allows invoking the function."""
    b = server.create_account(account_id=B_ACCOUNT, name="account-b")
    b_iam = Keys(server, b.access_key_id, b.secret_access_key).client("iam")
    return make_user(b_iam, server, "caller", inline=policy(allow("lambda:InvokeFunction", hello)))


def test_create_and_invoke_runs_the_handler(server: LocaliamServer, a: Keys, hello: str) -> None:
    result, answer = invoke(a.client("lambda"), "helloworld", {"name": "localiam"})
    assert result == {"hello": "localiam", "function": "helloworld", "caller": "helloworld"}
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    config = a.client("lambda").get_function_configuration(FunctionName="helloworld")
    assert config["FunctionArn"] == hello and config["Runtime"] == "python3.11" and config["State"] == "Active"


def test_seed_cross_account_add_permission(server: LocaliamServer, a: Keys, hello: str, b_user: Keys) -> None:
    """Before the function policy names account B, B's user is denied even though its own
    policy allows the call; after ``add-permission --principal 111111111111`` it may invoke;
    ``remove-permission`` takes it back."""
    caller = b_user.client("lambda")
    err = error_of(caller.invoke, FunctionName=hello, Payload=b"{}")
    assert (err["Code"], err["status"]) == ("AccessDeniedException", 403)
    assert err["Message"] == (
        f"User: arn:aws:iam::{B_ACCOUNT}:user/caller is not authorized to perform: lambda:InvokeFunction on "
        f"resource: {hello} because no resource-based policy allows the lambda:InvokeFunction action"
    )
    owner = a.client("lambda")
    added = owner.add_permission(
        FunctionName="helloworld", StatementId="xaccount", Principal=B_ACCOUNT, Action="lambda:InvokeFunction"
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "xaccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{B_ACCOUNT}:root"},
        "Action": "lambda:InvokeFunction",
        "Resource": hello,
    }
    stored = json.loads(owner.get_policy(FunctionName="helloworld")["Policy"])
    assert stored["Statement"] == [json.loads(added["Statement"])]
    result, _ = invoke(caller, hello, {"name": "b"})
    assert result["hello"] == "b"
    owner.remove_permission(FunctionName="helloworld", StatementId="xaccount")
    assert error_of(caller.invoke, FunctionName=hello, Payload=b"{}")["Code"] == "AccessDeniedException"
    assert error_of(owner.get_policy, FunctionName="helloworld")["Code"] == "ResourceNotFoundException"


def test_trusted_account_user_without_identity_policy_is_denied(
    server: LocaliamServer, a: Keys, hello: str, b_user: Keys
) -> None:
    """Naming the account in the function policy delegates to the account's IAM policies: a
    user of B without an identity policy stays denied."""
    a.client("lambda").add_permission(
        FunctionName="helloworld", StatementId="xaccount", Principal=B_ACCOUNT, Action="lambda:InvokeFunction"
    )
    b_iam = root_keys(server, B_ACCOUNT).client("iam")
    idle = make_user(b_iam, server, "idle")
    err = error_of(idle.client("lambda").invoke, FunctionName=hello, Payload=b"{}")
    assert err["Code"] == "AccessDeniedException"
    assert "because no identity-based policy allows the lambda:InvokeFunction action" in err["Message"]


def test_statement_ids_are_unique(server: LocaliamServer, a: Keys, hello: str) -> None:
    owner = a.client("lambda")
    owner.add_permission(
        FunctionName="helloworld",
        StatementId="s1",
        Principal="s3.amazonaws.com",
        Action="lambda:InvokeFunction",
        SourceArn="arn:aws:s3:::bucket",
        SourceAccount=server.account_id,
    )
    err = error_of(
        owner.add_permission,
        FunctionName="helloworld",
        StatementId="s1",
        Principal=B_ACCOUNT,
        Action="lambda:InvokeFunction",
    )
    assert (err["Code"], err["status"]) == ("ResourceConflictException", 409)
    statement = json.loads(owner.get_policy(FunctionName="helloworld")["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": server.account_id},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
    }


def test_function_reads_s3_as_its_role(server: LocaliamServer, a: Keys) -> None:
    """The function's boto3 calls carry its execution role's session
    (``assumed-role/ROLE/FUNCTION``): without s3:GetObject in the role's policy the function
    itself gets AccessDenied; with it, the object."""
    s3 = a.client("s3")
    s3.create_bucket(Bucket="function-data")
    s3.put_object(Bucket="function-data", Key="greeting.txt", Body=b"hi from s3")
    iam = a.client("iam")
    role = lambda_role(iam, "reader-role", allow("sts:GetCallerIdentity", "*"))
    create(a.client("lambda"), "reader", role, READS_S3, Timeout=30)
    event = {"bucket": "function-data", "key": "greeting.txt"}
    result, _ = invoke(a.client("lambda"), "reader", event)
    assert result["identity"] == f"arn:aws:sts::{server.account_id}:assumed-role/reader-role/reader"
    assert result["error"] == "AccessDenied"
    assert "assumed-role/reader-role/reader is not authorized to perform: s3:GetObject" in result["message"]
    iam.put_role_policy(
        RoleName="reader-role",
        PolicyName="s3",
        PolicyDocument=policy(allow("s3:GetObject", "arn:aws:s3:::function-data/*")),
    )
    result, _ = invoke(a.client("lambda"), "reader", event)
    assert result["body"] == "hi from s3"


def test_create_function_needs_pass_role(server: LocaliamServer, a: Keys) -> None:
    iam = a.client("iam")
    role = lambda_role(iam, "some-role")
    dev = make_user(iam, server, "dev", inline=policy(allow(["lambda:CreateFunction", "lambda:GetFunction"], "*")))
    err = error_of(create, dev.client("lambda"), "denied", role, HELLO)
    assert err["Code"] == "AccessDeniedException"
    assert f"is not authorized to perform: iam:PassRole on resource: {role}" in err["Message"]
    iam.put_user_policy(UserName="dev", PolicyName="pass", PolicyDocument=policy(allow("iam:PassRole", role)))
    create(dev.client("lambda"), "allowed", role, HELLO)


def test_role_must_trust_lambda(server: LocaliamServer, a: Keys) -> None:
    iam = a.client("iam")
    arn = iam.create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))[
        "Role"
    ]["Arn"]
    err = error_of(create, a.client("lambda"), "fn", arn, HELLO)
    assert (err["Code"], err["Message"]) == (
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
    )


def test_other_runtimes_are_refused(server: LocaliamServer, a: Keys) -> None:
    role = lambda_role(a.client("iam"), "r")
    err = error_of(
        a.client("lambda").create_function,
        FunctionName="node",
        Runtime="nodejs20.x",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": package("x")},
    )
    assert err["Code"] == "InvalidParameterValueException"


def test_unhandled_exception_comes_back_in_aws_shape(server: LocaliamServer, a: Keys) -> None:
    role = lambda_role(a.client("iam"), "r")
    create(a.client("lambda"), "fails", role, FAILS)
    result, answer = invoke(a.client("lambda"), "fails", {"x": 1}, LogType="Tail")
    assert answer["FunctionError"] == "Unhandled" and answer["StatusCode"] == 200
    assert result["errorType"] == "ValueError" and result["errorMessage"] == "bad input: 1"
    assert isinstance(result["stackTrace"], list)
    assert "START RequestId" in __import__("base64").b64decode(answer["LogResult"]).decode()


def test_timeout_comes_back_in_aws_shape(server: LocaliamServer, a: Keys) -> None:
    role = lambda_role(a.client("iam"), "r")
    create(a.client("lambda"), "slow", role, SLOW, Timeout=1)
    result, answer = invoke(a.client("lambda"), "slow")
    assert answer["FunctionError"] == "Unhandled"
    assert result["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_versions_aliases_and_qualified_policies(server: LocaliamServer, a: Keys, hello: str, b_user: Keys) -> None:
    """A permission on an alias allows invoking through that alias only (each qualifier has
    its own function policy)."""
    owner = a.client("lambda")
    version = owner.publish_version(FunctionName="helloworld")["Version"]
    assert version == "1"
    owner.create_alias(FunctionName="helloworld", Name="live", FunctionVersion=version)
    owner.add_permission(
        FunctionName="helloworld",
        Qualifier="live",
        StatementId="b",
        Principal=B_ACCOUNT,
        Action="lambda:InvokeFunction",
    )
    b_iam = root_keys(server, B_ACCOUNT).client("iam")
    b_iam.put_user_policy(
        UserName="caller", PolicyName="all", PolicyDocument=policy(allow("lambda:InvokeFunction", "*"))
    )
    caller = b_user.client("lambda")
    result, answer = invoke(caller, f"{hello}:live", {"name": "alias"})
    assert result["hello"] == "alias" and answer["ExecutedVersion"] == "1"
    assert error_of(caller.invoke, FunctionName=hello, Payload=b"{}")["Code"] == "AccessDeniedException"


def test_missing_function(server: LocaliamServer, a: Keys) -> None:
    err = error_of(a.client("lambda").invoke, FunctionName="nope", Payload=b"{}")
    assert (err["Code"], err["status"]) == ("ResourceNotFoundException", 404)
    assert err["Message"] == f"Function not found: arn:aws:lambda:us-east-1:{server.account_id}:function:nope"


ENV = """
import os

def handler(event, context):
    return {"greeting": os.environ.get("GREETING"), "version": context.function_version,
            "region": os.environ["AWS_REGION"], "endpoint": os.environ["AWS_ENDPOINT_URL"]}
"""

WRITES_S3 = """
import boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=b"from an event")
    return "done"
"""


def test_invocation_types_event_and_dry_run(server: LocaliamServer, a: Keys) -> None:
    """``API_Invoke``: ``Event`` answers 202 at once and runs the function in the background;
    ``DryRun`` answers 204 after checking the caller may invoke, and runs nothing."""
    import time

    s3 = a.client("s3")
    s3.create_bucket(Bucket="event-target")
    role = lambda_role(a.client("iam"), "writer-role", allow("s3:PutObject", "arn:aws:s3:::event-target/*"))
    create(a.client("lambda"), "writer", role, WRITES_S3, Timeout=30)
    client = a.client("lambda")
    event = json.dumps({"bucket": "event-target", "key": "dry"}).encode()
    assert client.invoke(FunctionName="writer", InvocationType="DryRun", Payload=event)["StatusCode"] == 204
    event = json.dumps({"bucket": "event-target", "key": "async"}).encode()
    assert client.invoke(FunctionName="writer", InvocationType="Event", Payload=event)["StatusCode"] == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and s3.list_objects_v2(Bucket="event-target")["KeyCount"] == 0:
        time.sleep(0.1)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="event-target")["Contents"]] == ["async"]


def test_updates_and_versions(server: LocaliamServer, a: Keys) -> None:
    """``UpdateFunctionConfiguration`` and ``UpdateFunctionCode`` change what ``$LATEST`` runs;
    a published version keeps what it was published with; the function sees its region and
    the endpoint (``configuration-envvars-runtime``)."""
    role = lambda_role(a.client("iam"), "r")
    client = a.client("lambda")
    create(client, "env", role, ENV, Environment={"Variables": {"GREETING": "hello"}})
    result, _ = invoke(client, "env")
    assert result == {"greeting": "hello", "version": "$LATEST", "region": "us-east-1", "endpoint": server.endpoint}
    assert client.publish_version(FunctionName="env")["Version"] == "1"
    client.update_function_configuration(FunctionName="env", Environment={"Variables": {"GREETING": "bonjour"}})
    assert invoke(client, "env")[0]["greeting"] == "bonjour"
    assert invoke(client, "env", Qualifier="1")[0] == {
        "greeting": "hello",
        "version": "1",
        "region": "us-east-1",
        "endpoint": server.endpoint,
    }
    client.update_function_code(FunctionName="env", ZipFile=package(HELLO))
    assert invoke(client, "env", {"name": "new code"})[0]["hello"] == "new code"
    versions = [v["Version"] for v in client.list_versions_by_function(FunctionName="env")["Versions"]]
    assert versions == ["$LATEST", "1"]


def test_invalid_payload_and_reserved_variables(server: LocaliamServer, a: Keys, hello: str) -> None:
    client = a.client("lambda")
    err = error_of(client.invoke, FunctionName="helloworld", Payload=b"{not json")
    assert (err["Code"], err["status"]) == ("InvalidRequestContentException", 400)
    role = lambda_role(a.client("iam"), "r2")
    err = error_of(create, client, "reserved", role, HELLO, Environment={"Variables": {"AWS_REGION": "x"}})
    assert err["Code"] == "InvalidParameterValueException" and "AWS_REGION" in err["Message"]
    err = error_of(create, client, "helloworld", role, HELLO)
    assert (err["Code"], err["status"]) == ("ResourceConflictException", 409)


WORKER = """
import os

WORKER = os.urandom(8).hex()

def handler(event, context):
    return WORKER
"""


def test_updating_or_deleting_a_function_stops_its_warm_workers(server: LocaliamServer, a: Keys) -> None:
    """Warm workers are reused while the function is unchanged, and stopped when its code or
    configuration changes or it is deleted: a function never runs stale code."""
    role = lambda_role(a.client("iam"), "r")
    client = a.client("lambda")
    token = witness()
    create(client, "pid", role, WORKER, Environment={"Variables": {"WITNESS": token}})
    first = invoke(client, "pid")[0]
    assert invoke(client, "pid")[0] == first  # warm
    assert len(roots(token)) == 1
    client.update_function_configuration(FunctionName="pid", Timeout=5)
    second = invoke(client, "pid")[0]
    assert second != first
    assert wait_roots(token, 1)  # the first worker stopped, the second runs
    client.delete_function(FunctionName="pid")
    assert wait_roots(token, 0)
    assert error_of(client.invoke, FunctionName="pid", Payload=b"{}")["Code"] == "ResourceNotFoundException"


def test_a_package_that_would_unpack_outside_its_directory_is_refused(server: LocaliamServer, a: Keys) -> None:
    """Zip slip: refused by CreateFunction and UpdateFunctionCode, before anything is stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        archive.writestr("../../escape.py", "pwned = True\n")
    role = lambda_role(a.client("iam"), "r")
    client = a.client("lambda")
    message = "Could not unzip uploaded file. Please check your file, then try to upload again."
    refused = error_of(
        client.create_function,
        FunctionName="slip",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    assert (refused["Code"], refused["Message"]) == ("InvalidParameterValueException", message)
    assert error_of(client.get_function, FunctionName="slip")["Code"] == "ResourceNotFoundException"
    create(client, "fine", role, HELLO)
    refused = error_of(client.update_function_code, FunctionName="fine", ZipFile=buffer.getvalue())
    assert (refused["Code"], refused["Message"]) == ("InvalidParameterValueException", message)


def test_racing_cold_starts_stay_within_the_function_worker_bound(server: LocaliamServer, a: Keys) -> None:
    """24 invocations of a new function at once: they share one role session and at most
    the per-function bound of workers (4) starts; the others wait for a warm one."""
    import threading

    role = lambda_role(a.client("iam"), "r")
    token = witness()
    source = WORKER.replace("    return WORKER", "    import time\n    time.sleep(0.3)\n    return WORKER")
    create(a.client("lambda"), "burst", role, source, Environment={"Variables": {"WITNESS": token}})
    workers: list[str] = []
    most = 0

    def call() -> None:
        nonlocal most
        workers.append(invoke(a.client("lambda"), "burst")[0])
        most = max(most, len(roots(token)))

    threads = [threading.Thread(target=call) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(workers) == 24
    assert len(set(workers)) <= 4 and most <= 4 and len(roots(token)) <= 4
