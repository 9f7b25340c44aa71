"""The seed's cross-account Lambda flow with the AWS CLI, typed as a person types it:

    aws lambda add-permission --region us-east-1 --function-name helloworld \\
        --statement-id xaccount --principal 111111111111 --action lambda:InvokeFunction

Sources: AWS Lambda Developer Guide ``access-control-resource-based`` and
``permissions-function-cross-account`` (a function policy naming an account lets that account's
identities invoke, as far as their own policies allow; ``add-permission`` prints the statement
``{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:...:function:my-function"}``),
``invocation-sync`` (``aws lambda invoke --cli-binary-format raw-in-base64-out --payload ...
response.json`` prints ``StatusCode`` and ``ExecutedVersion`` and writes the function's
response to the file), ``python-exceptions`` (an unhandled exception comes back as
``errorMessage``/``errorType``/``stackTrace`` with ``FunctionError: Unhandled``); AWS CLI
Command Reference ``lambda/add-permission``, ``lambda/remove-permission``,
``lambda/get-policy``, ``lambda/invoke``, ``lambda/create-function``.

The CLI runs in a subprocess with a temporary ``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE`` and ``HOME`` (as in ``test_aws_cli``), ``endpoint_url`` in the
config file. Account A's root keys are the ``default`` profile, so the seed's command runs
with nothing added; ``--cli-binary-format`` is a CLI v2 option (v1 sends blob arguments raw
and refuses the flag as an unknown option), so it is passed to v2 only, and the config file
sets ``cli_binary_format = raw-in-base64-out`` for both.
"""

from __future__ import annotations

import functools
import io
import json
import re
import shlex
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AWS, AwsCli, Keys, allow, make_user, policy, trust

from localiam.testing import LocaliamServer

B_ACCOUNT = "111111111111"

HELLO = """\
def lambda_handler(event, context):
    return {"hello": event.get("name"), "function": context.function_name}
"""

FAILS = """\
def lambda_handler(event, context):
    raise ValueError("bad input: " + str(event.get("x")))
"""


@functools.cache
def cli_major_version() -> int:
    """``aws --version`` prints ``aws-cli/1.46.3 Python/...`` (v1) or ``aws-cli/2.x ...``."""
    done = subprocess.run([str(AWS), "--version"], capture_output=True, text=True, timeout=60, check=True)
    return int((done.stdout or done.stderr).split("/", 1)[1].split(".", 1)[0])


def service_error_exit_code() -> int:
    """AWS CLI User Guide ``cli-usage-returncodes``: a service error is 255 in v1, 254 in v2."""
    return 254 if cli_major_version() >= 2 else 255


class Cli(AwsCli):
    """:class:`AwsCli` taking command lines as typed in a shell (``aws ...``); the
    ``default`` profile holds account A's root keys."""

    def __call__(self, command: str) -> subprocess.CompletedProcess[str]:
        words = shlex.split(command)
        assert words[0] == "aws", command
        if cli_major_version() < 2 and "--cli-binary-format" in words:
            at = words.index("--cli-binary-format")
            del words[at : at + 2]
        return self.run(words[1:])

    def json(self, command: str) -> Any:
        done = self(command)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def zip_file(path: Path, source: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    path.write_bytes(buffer.getvalue())


@pytest.fixture
def cli(server: LocaliamServer, tmp_path: Path) -> Cli:
    return Cli(server, tmp_path)


@pytest.fixture
def role(cli: Cli, tmp_path: Path) -> str:
    """``aws iam create-role`` with the trust policy for ``lambda.amazonaws.com``
    (``lambda-intro-execution-role``)."""
    (tmp_path / "trust-policy.json").write_text(trust({"Service": "lambda.amazonaws.com"}))
    created = cli.json(
        "aws iam create-role --role-name lambda-ex --assume-role-policy-document file://trust-policy.json"
    )
    return str(created["Role"]["Arn"])


def create_function(cli: Cli, name: str, role: str, source: str) -> dict[str, Any]:
    zip_file(cli.directory / "function.zip", source)
    created: dict[str, Any] = cli.json(
        f"aws lambda create-function --function-name {name} --runtime python3.11 --role {role} "
        "--handler lambda_function.lambda_handler --zip-file fileb://function.zip"
    )
    return created


@pytest.fixture
def hello(server: LocaliamServer, cli: Cli, role: str) -> str:
    """``helloworld`` in account A, created with ``aws lambda create-function``."""
    created = create_function(cli, "helloworld", role, HELLO)
    arn = f"arn:aws:lambda:us-east-1:{server.account_id}:function:helloworld"
    assert (created["FunctionName"], created["FunctionArn"], created["Role"]) == ("helloworld", arn, role)
    assert (created["Runtime"], created["Handler"]) == ("python3.11", "lambda_function.lambda_handler")
    return arn


@pytest.fixture
def b_profile(server: LocaliamServer, cli: Cli, hello: str) -> str:
    """Profile ``b``: user ``caller`` of account 111111111111, whose identity policy allows
    ``lambda:InvokeFunction`` on the function."""
    b = server.create_account(account_id=B_ACCOUNT, name="account-b")
    b_iam = Keys(server, b.access_key_id, b.secret_access_key).client("iam")
    caller = make_user(b_iam, server, "caller", inline=policy(allow("lambda:InvokeFunction", hello)))
    cli.add_profile("b", caller)
    return "b"


SEED = (
    "aws lambda add-permission --region us-east-1 --function-name helloworld --statement-id xaccount "
    f"--principal {B_ACCOUNT} --action lambda:InvokeFunction"
)


def b_invoke(cli: Cli, hello: str, payload: str = '{"name":"b"}') -> subprocess.CompletedProcess[str]:
    return cli(
        f"aws lambda invoke --profile b --function-name {hello} --cli-binary-format raw-in-base64-out "
        f"--payload '{payload}' out.json"
    )


def denied_message(hello: str) -> str:
    return (
        "An error occurred (AccessDeniedException) when calling the Invoke operation: "
        f"User: arn:aws:iam::{B_ACCOUNT}:user/caller is not authorized to perform: lambda:InvokeFunction on "
        f"resource: {hello} because no resource-based policy allows the lambda:InvokeFunction action"
    )


def test_seed_add_permission_prints_the_statement_aws_stores(server: LocaliamServer, cli: Cli, hello: str) -> None:
    """``permissions-function-cross-account``: ``add-permission --principal ACCOUNT`` answers
    ``{"Statement": "<the statement as a JSON string>"}``; the account id becomes
    ``{"AWS": "arn:aws:iam::ACCOUNT:root"}`` and the resource is the function's ARN.
    ``get-policy`` returns the whole function policy (``access-control-resource-based``:
    ``{"Version":"2012-10-17","Id":"default","Statement":[...]}``) and its ``RevisionId``."""
    done = cli(SEED)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert list(answer) == ["Statement"] and isinstance(answer["Statement"], str)
    statement = json.loads(answer["Statement"])
    assert statement == {
        "Sid": "xaccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{B_ACCOUNT}:root"},
        "Action": "lambda:InvokeFunction",
        "Resource": hello,
    }
    # AWS's key order, as the Developer Guide's example prints it.
    assert list(statement) == ["Sid", "Effect", "Principal", "Action", "Resource"]

    stored = cli.json("aws lambda get-policy --function-name helloworld")
    assert sorted(stored) == ["Policy", "RevisionId"]
    assert json.loads(stored["Policy"]) == {"Version": "2012-10-17", "Id": "default", "Statement": [statement]}

    # The statement id is unique within the policy (``API_AddPermission``: ResourceConflictException).
    done = cli(SEED)
    assert done.returncode == service_error_exit_code()
    assert done.stderr.strip() == (
        "An error occurred (ResourceConflictException) when calling the AddPermission operation: The statement id "
        "(xaccount) provided already exists. Please provide a new statement id, or remove the existing statement."
    )


def test_cross_account_invoke_is_denied_until_add_permission(
    server: LocaliamServer, cli: Cli, hello: str, b_profile: str
) -> None:
    """IAM User Guide ``reference_policies_evaluation-logic-cross-account``: B's own policy
    allows the call, but until the function policy names account B the request has no
    resource-based allow and is denied; after the seed's ``add-permission`` it runs
    (``invocation-sync``: ``{"StatusCode": 200, "ExecutedVersion": "$LATEST"}`` on stdout,
    the function's response in the out file)."""
    out = cli.directory / "out.json"
    done = b_invoke(cli, hello)
    assert done.returncode == service_error_exit_code(), done.stdout
    assert done.stderr.strip() == denied_message(hello)
    assert done.stdout == ""
    assert not out.exists()

    assert cli(SEED).returncode == 0

    done = b_invoke(cli, hello)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert done.stdout == '{\n    "StatusCode": 200,\n    "ExecutedVersion": "$LATEST"\n}\n'
    assert json.loads(out.read_text()) == {"hello": "b", "function": "helloworld"}


def test_remove_permission_revokes_and_get_policy_then_finds_nothing(
    server: LocaliamServer, cli: Cli, hello: str, b_profile: str
) -> None:
    """``access-control-resource-based``: ``remove-permission --statement-id`` takes the
    statement out (the CLI prints nothing); with the last statement gone B is denied again and
    ``get-policy`` answers ResourceNotFoundException (``API_GetPolicy`` Errors)."""
    assert cli(SEED).returncode == 0
    done = b_invoke(cli, hello, '{"name":"before-revoke"}')
    assert done.returncode == 0, done.stderr

    done = cli("aws lambda remove-permission --function-name helloworld --statement-id xaccount")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""

    done = b_invoke(cli, hello)
    assert done.returncode == service_error_exit_code()
    assert done.stderr.strip() == denied_message(hello)

    done = cli("aws lambda get-policy --function-name helloworld")
    assert done.returncode == service_error_exit_code()
    assert done.stderr.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the GetPolicy operation: "
        "The resource you requested does not exist."
    )
    # Removing it again: the statement is not there.
    done = cli("aws lambda remove-permission --function-name helloworld --statement-id xaccount")
    assert done.returncode == service_error_exit_code()
    assert "An error occurred (ResourceNotFoundException) when calling the RemovePermission operation" in done.stderr


def test_unhandled_exception_prints_function_error(server: LocaliamServer, cli: Cli, role: str) -> None:
    """``python-exceptions``: the invoke itself succeeds (StatusCode 200, exit code 0), the CLI
    prints ``"FunctionError": "Unhandled"`` and the out file holds the error document
    ``errorMessage``/``errorType``/``requestId``/``stackTrace``."""
    create_function(cli, "fails", role, FAILS)
    done = cli(
        "aws lambda invoke --function-name fails --cli-binary-format raw-in-base64-out --payload '{\"x\": 1}' out.json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST"}
    assert '"FunctionError": "Unhandled"' in done.stdout
    error = json.loads((cli.directory / "out.json").read_text())
    assert sorted(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (error["errorMessage"], error["errorType"]) == ("bad input: 1", "ValueError")
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", error["requestId"])
    # The runtime's ``traceback.format_list`` of the handler's frames: one string per frame.
    (frame,) = error["stackTrace"]
    assert re.fullmatch(
        r'  File "/.+/lambda_function\.py", line 2, in lambda_handler\n'
        r'    raise ValueError\("bad input: " \+ str\(event\.get\("x"\)\)\)\n',
        frame,
    ), frame
