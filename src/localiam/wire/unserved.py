"""What localiam does not serve, answered in the protocol of the service the client speaks to.

AWS has hundreds of services; localiam serves a few (:mod:`localiam.services.registry`). A
request for another service, or for an operation of a served service that localiam does not
implement, is answered with HTTP 501 and the code ``NotImplemented``
(:class:`~localiam.errors.Unserved`: the code S3 and EC2 use for what they do not implement; one
code for every protocol, so that a client can tell "not in localiam" from any AWS error), in the
error shape that service's botocore client parses:

- query (SNS, and IAM and STS): ``<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented``
  ``</Code><Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>``;
- ec2: ``<Response><Errors><Error><Code>...</Code><Message>...</Message></Error></Errors>``
  ``<RequestID>...</RequestID></Response>``;
- json (SQS and DynamoDB 1.0, Cognito 1.1): ``{"__type": "NotImplemented", "message": ...}``
  with ``x-amzn-ErrorType: NotImplemented``;
- rest-json (API Gateway, Lambda): ``x-amzn-ErrorType: NotImplemented`` and a JSON body with
  ``message``;
- rest-xml (S3, CloudFront, Route 53): S3's ``<Error><Code>...</Code><Message>...</Message>``.

The protocol is the one botocore's client picks (``ServiceModel.resolved_protocol``: SQS's
current model is json). The few services whose client speaks only ``smithy-rpc-v2-cbor``, and
services botocore does not know, get the JSON shape (``__type``, ``message`` and the header).

The message names what is missing: ``localiam does not implement sqs:ListQueues (served
services: iam, lambda, organizations, s3, s3control, sts)`` for a service localiam does not
serve, ``localiam does not implement lambda:PutFunctionConcurrency yet`` for an operation.

Which service a request is for, when it is none that localiam serves (:func:`unserved_service`):

1. the SigV4 credential scope (``.../us-east-1/sqs/aws4_request``), when it names a signing name
   no served service signs with; among the services that sign so (``dynamodb`` and
   ``dynamodbstreams``), the one named like the scope unless the ``X-Amz-Target`` names another;
2. without a credential scope, an ``X-Amz-Target`` whose prefix (``AmazonSQS``) is no served
   service's;
3. without either, a Host of the form ``{prefix}.{region}.localhost``,
   ``{prefix}.{region}.amazonaws.com`` or ``{prefix}.amazonaws.com`` where ``{prefix}`` is an AWS
   endpoint prefix (``sqs``, ``monitoring``) of a service localiam does not serve. An S3
   virtual-hosted Host (``bucket.localhost``, ``bucket.s3.amazonaws.com``) is not of that form,
   except for a bucket named like ``sqs.us-east-1``; a request signed for S3 is S3's whatever its
   Host.

Finding a service by a signing name, target prefix or endpoint prefix other than its own name
reads every botocore model once (a few seconds, the first time such a request arrives).
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from localiam.errors import AwsError, Unserved
from localiam.wire.http import HttpRequest
from localiam.wire.models import available_services, endpoint_prefixes, raw_metadata, service_model
from localiam.wire.protocol import ParsedRequest, Protocol, Response
from localiam.wire.query import form_params
from localiam.wire.rest import match_route

_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+")
_NAME = re.compile(r"[A-Za-z0-9_]{1,128}")


# --- messages -----------------------------------------------------------------------------------


def unserved_operation(service: str, operation: str) -> Unserved:
    """An operation of a served service that localiam does not implement."""
    return Unserved(f"localiam does not implement {service}:{operation} yet")


def unserved_service_error(service: str, operation: str | None, served: Iterable[str]) -> Unserved:
    """A service localiam does not serve (``service`` as the request names it when botocore does
    not know it); ``operation`` when the request names one."""
    what = f"{service}:{operation}" if operation and _NAME.fullmatch(operation) else service
    return Unserved(f"localiam does not implement {what} (served services: {', '.join(sorted(served))})")


# --- botocore's catalogue -----------------------------------------------------------------------


@functools.cache
def _service_names() -> frozenset[str]:
    return frozenset(available_services())


def signing_name(service: str) -> str:
    """The name ``service`` signs with (the credential scope's service): ``s3`` for S3 Control."""
    metadata = service_model(service).metadata
    return str(metadata.get("signingName") or metadata["endpointPrefix"])


def endpoint_prefix(service: str) -> str:
    return str(service_model(service).metadata["endpointPrefix"])


def target_prefix(service: str) -> str | None:
    prefix = service_model(service).metadata.get("targetPrefix")
    return str(prefix) if prefix else None


@dataclass(frozen=True, slots=True)
class _Index:
    by_signing_name: Mapping[str, tuple[str, ...]]
    by_endpoint_prefix: Mapping[str, tuple[str, ...]]
    by_target_prefix: Mapping[str, str]


@functools.cache
def _index() -> _Index:
    """Every botocore service by signing name, endpoint prefix and target prefix (reads every
    model once: only for names that are not a service's own)."""
    signing: dict[str, list[str]] = {}
    endpoints: dict[str, list[str]] = {}
    targets: dict[str, str] = {}
    for name in sorted(_service_names()):
        metadata = raw_metadata(name)
        endpoint = str(metadata.get("endpointPrefix", name))
        signing.setdefault(str(metadata.get("signingName") or endpoint), []).append(name)
        endpoints.setdefault(endpoint, []).append(name)
        if metadata.get("targetPrefix"):
            targets.setdefault(str(metadata["targetPrefix"]), name)
    return _Index({k: tuple(v) for k, v in signing.items()}, {k: tuple(v) for k, v in endpoints.items()}, targets)


@functools.cache
def _endpoint_prefixes() -> frozenset[str]:
    """The first labels of AWS service hosts: the endpoint prefixes botocore's ``endpoints.json``
    lists (one small file), and the services' own names."""
    return endpoint_prefixes() | _service_names()


def service_of_target(prefix: str) -> str | None:
    """The service whose ``X-Amz-Target`` prefix is ``prefix`` (``AmazonSQS``: ``sqs``)."""
    return _index().by_target_prefix.get(prefix)


def service_of_scope(scope: str, target: str | None = None) -> str | None:
    """The service a request signed for ``scope`` is for; ``target`` is its ``X-Amz-Target``."""
    own = scope in _service_names() and signing_name(scope) == scope
    prefix = target.rpartition(".")[0] if target else None
    if own and (prefix is None or target_prefix(scope) == prefix):
        return scope
    if prefix:
        named = service_of_target(prefix)
        if named is not None and signing_name(named) == scope:
            return named
    if own:
        return scope
    candidates = _index().by_signing_name.get(scope, ())
    return candidates[0] if candidates else None


def service_of_host(host: str) -> str | None:
    """The service an AWS-style Host (no port, lower case) names, by the rule in this module's
    docstring (step 3); ``None`` when the Host is not of that form."""
    if host.endswith(".amazonaws.com"):
        rest, needs_region = host.removesuffix(".amazonaws.com"), False
    elif host.endswith(".localhost"):
        rest, needs_region = host.removesuffix(".localhost"), True
    else:
        return None
    head, _, last = rest.rpartition(".")
    if head and _REGION.fullmatch(last):
        rest = head
    elif needs_region:
        return None
    if rest not in _endpoint_prefixes():
        return None
    if rest in _service_names() and endpoint_prefix(rest) == rest:
        return rest
    candidates = _index().by_endpoint_prefix.get(rest, ())
    return candidates[0] if candidates else None


def client_protocol(service: str) -> str:
    """The protocol botocore's client for ``service`` speaks (``resolved_protocol``)."""
    return str(service_model(service).resolved_protocol)


def requested_operation(service: str, request: HttpRequest) -> str | None:
    """The operation of ``service`` a request names, read as its client's protocol writes it."""
    protocol = client_protocol(service)
    if protocol in ("query", "ec2"):
        return form_params(request).get("Action") or None
    if protocol in ("rest-json", "rest-xml"):
        found = match_route(service, request, request.raw_path or "/", request.query_pairs())
        return found[0].name if found is not None else None
    target = request.header("x-amz-target") or ""
    return target.rpartition(".")[2] or None


# --- error shapes -------------------------------------------------------------------------------


class ErrorsOnly(Protocol):
    """A protocol localiam parses nothing in: it only renders errors, in ``style`` ``ec2``
    (EC2's ``<Response><Errors>``), ``query`` (``<ErrorResponse>``) or ``json`` (``__type``,
    ``message`` and ``x-amzn-ErrorType``, which both botocore's json and rest-json parsers read)."""

    def __init__(self, service: str, style: str) -> None:
        self.service = service
        self.name = style

    def parse(self, request: HttpRequest) -> ParsedRequest:
        raise Unserved(f"localiam does not implement {self.service}")

    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        raise KeyError(f"localiam serves no {self.service}:{operation}")

    def serialize_error(self, error: AwsError, request_id: str) -> Response:
        if self.name == "json":
            document = {"__type": error.code, "message": error.message}
            headers: tuple[tuple[str, str], ...] = (
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", error.code),
                ("x-amzn-RequestId", request_id),
            )
            return Response(error.status, headers, json.dumps(document).encode("utf-8"))
        root = ET.Element("Response" if self.name == "ec2" else "ErrorResponse")
        holder = ET.SubElement(root, "Errors") if self.name == "ec2" else root
        body = ET.SubElement(holder, "Error")
        if self.name != "ec2":
            ET.SubElement(body, "Type").text = "Sender" if error.sender_fault else "Receiver"
        ET.SubElement(body, "Code").text = error.code
        ET.SubElement(body, "Message").text = error.message
        ET.SubElement(root, "RequestID" if self.name == "ec2" else "RequestId").text = request_id
        headers = (("Content-Type", "text/xml;charset=UTF-8"), ("x-amzn-RequestId", request_id))
        return Response(error.status, headers, ET.tostring(root, encoding="utf-8"))


@functools.cache
def error_protocol(service: str) -> Protocol:
    """The protocol that renders errors for ``service`` as its botocore client parses them
    (any service botocore knows, served or not; an unknown name gets the JSON shape)."""
    if service not in _service_names():
        return ErrorsOnly(service, "json")
    protocol = client_protocol(service)
    if protocol == "query":
        from localiam.wire.query import QueryProtocol

        return QueryProtocol(service)
    if protocol == "json":
        from localiam.wire.json_protocol import JsonProtocol

        return JsonProtocol(service)
    if protocol == "rest-json":
        from localiam.wire.rest_json import RestJsonProtocol

        return RestJsonProtocol(service)
    if protocol == "rest-xml":
        from localiam.wire.rest_xml import RestXmlProtocol

        return RestXmlProtocol(service, None) if service != "s3" else RestXmlProtocol(service)
    return ErrorsOnly(service, "ec2" if protocol == "ec2" else "json")


def guessed_protocol(request: HttpRequest, label: str) -> Protocol:
    """The error shape for a service botocore does not know: the query shape for a request
    with an ``Action``, else the JSON one."""
    if request.header("x-amz-target") is None and "Action" in form_params(request):
        return ErrorsOnly(label, "query")
    return ErrorsOnly(label, "json")
