"""Services and operations localiam does not serve: HTTP 501 ``NotImplemented`` in the protocol of
the service the client speaks to, naming what is missing (``localiam.wire.unserved``)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore import UNSIGNED, xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from e2e_helpers import AwsCli

from localiam.services.registry import default_services
from localiam.testing import LocaliamServer

SERVED = "(served services: " + ", ".join(sorted(default_services())) + ")"
"""The services the endpoint serves, as the message lists them."""


def refused(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def assert_not_implemented(error: ClientError, message: str) -> None:
    assert error.response["Error"]["Code"] == "NotImplemented"
    assert error.response["Error"]["Message"] == message
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("sqs", "ListQueues", {}),  # json 1.0 (awsQueryCompatible)
        ("kinesis", "ListStreams", {}),  # json 1.1
        ("secretsmanager", "ListSecrets", {}),  # json 1.1
        ("appsync", "ListGraphqlApis", {}),  # rest-json
        ("sns", "ListTopics", {}),  # query
        ("ec2", "DescribeInstances", {}),  # ec2
        ("route53", "ListHostedZones", {}),  # rest-xml
        ("cloudwatch", "ListDashboards", {}),  # signs as "monitoring"; botocore speaks json to it
    ],
)
def test_a_service_localiam_does_not_serve(
    server: LocaliamServer, service: str, operation: str, params: dict[str, Any]
) -> None:
    client = server.client(service)
    error = refused(lambda: getattr(client, xform_name(operation))(**params))
    assert_not_implemented(error, f"localiam does not implement {service}:{operation} {SERVED}")


def test_an_unsigned_call_is_told_by_its_target(server: LocaliamServer) -> None:
    """A call without a signature (credential scope) is routed by its X-Amz-Target: Secrets
    Manager's ``secretsmanager.ListSecrets`` names a service localiam does not serve."""
    client = server.client("secretsmanager", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    error = refused(lambda: client.list_secrets())
    assert_not_implemented(error, f"localiam does not implement secretsmanager:ListSecrets {SERVED}")


def test_a_host_name_tells_the_service(server: LocaliamServer) -> None:
    """Unsigned, the Host (``sqs.us-east-1.localhost``) names the service; the connection is to
    127.0.0.1 all the same."""
    port = server.endpoint.rsplit(":", 1)[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/?Action=ListQueues", headers={"Host": f"sqs.us-east-1.localhost:{port}"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    answer = caught.value
    assert answer.code == 501
    assert answer.headers["x-amzn-ErrorType"] == "NotImplemented"
    assert json.loads(answer.read()) == {
        "__type": "NotImplemented",
        "message": f"localiam does not implement sqs {SERVED}",
    }


@pytest.mark.parametrize(
    ("service", "call", "operation"),
    [
        ("iam", lambda c: c.get_account_properties(), "GetAccountProperties"),  # query
        ("sts", lambda c: c.get_delegated_access_token(TradeInToken="x" * 20), "GetDelegatedAccessToken"),
        ("organizations", lambda c: c.list_handshakes_for_account(), "ListHandshakesForAccount"),  # json
        ("lambda", lambda c: c.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1), None),
        (
            "s3",
            lambda c: c.get_bucket_analytics_configuration(Bucket="some-bucket", Id="a"),
            "GetBucketAnalyticsConfiguration",
        ),
    ],
)
def test_an_operation_localiam_does_not_implement(
    server: LocaliamServer, service: str, call: Callable[[Any], Any], operation: str | None
) -> None:
    name = operation or "PutFunctionConcurrency"
    error = refused(lambda: call(server.client(service)))
    assert_not_implemented(error, f"localiam does not implement {service}:{name} yet")


def test_an_operation_is_refused_before_its_input_is_checked(server: LocaliamServer) -> None:
    """Lambda validates ReservedConcurrentExecutions >= 0; not implemented comes first."""
    client = server.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    error = refused(lambda: client.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=-5))
    assert_not_implemented(error, "localiam does not implement lambda:PutFunctionConcurrency yet")


def test_served_services_still_answer(server: LocaliamServer) -> None:
    """The check costs the served services nothing: signed S3 requests, path-style and
    virtual-hosted, and an anonymous read still reach S3."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket="still-served")
    s3.put_object(Bucket="still-served", Key="k", Body=b"v")
    assert s3.get_object(Bucket="still-served", Key="k")["Body"].read() == b"v"
    virtual = server.client("s3", config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}))
    assert virtual.get_object(Bucket="still-served", Key="k")["Body"].read() == b"v"
    anonymous = server.client("s3", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assert refused(lambda: anonymous.get_object(Bucket="still-served", Key="k")).response["Error"]["Code"] == (
        "AccessDenied"
    )
    assert server.client("sts").get_caller_identity()["Account"] == server.account_id


def test_the_server_log_says_what_was_asked(server: LocaliamServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="localiam.server"):
        refused(lambda: server.client("kinesis").list_streams())
    lines = [r for r in caplog.records if r.name == "localiam.server" and r.levelno == logging.WARNING]
    assert len(lines) == 1
    assert f"localiam does not implement kinesis:ListStreams {SERVED}" in lines[0].getMessage()


def test_the_aws_cli_prints_the_message(server: LocaliamServer, tmp_path: Path) -> None:
    cli = AwsCli(server, tmp_path)
    # ``--endpoint-url`` as well as the profile's: the CLI sends some services (SQS) to their
    # legacy global endpoint whatever the profile says.
    done = cli.run(["kinesis", "list-streams", "--endpoint-url", server.endpoint])
    assert done.returncode != 0
    expected = f"localiam does not implement kinesis:ListStreams {SERVED}"
    assert f"(NotImplemented) when calling the ListStreams operation: {expected}" in done.stderr
