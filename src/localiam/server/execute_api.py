"""Where invocations of API Gateway stages arrive, and their signatures.

Three addresses reach a stage on the endpoint's one port (none of them can be an S3 bucket's
path-style request, so S3 is not shadowed):

- ``http://API_ID.execute-api.localhost:4599/STAGE/PATH`` (the Host names the API, as
  ``API_ID.execute-api.REGION.amazonaws.com`` does on AWS);
- ``http://127.0.0.1:4599/_aws/execute-api/API_ID/STAGE/PATH`` (``_aws`` is not a bucket name);
- ``http://127.0.0.1:4599/restapis/API_ID/STAGE/_user_request_/PATH``, the form LocalStack users
  have in their scripts, recognised by exactly that shape.

A request that carries a SigV4 signature has it verified here (the wire layer's verifier, with
the service ``execute-api`` and the path as the client sent it); whether the method needs one is
the stage's business (:mod:`localiam.services.apigateway.execute`).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from localiam.errors import AwsError
from localiam.server.pipeline import Pipeline
from localiam.services.apigateway.execute import Executor
from localiam.services.apigateway.invocation import Answer, Invocation
from localiam.wire.http import HttpRequest
from localiam.wire.sigv4 import carries_signature, verify_request

PATH_PREFIX = "/_aws/execute-api/"
MAX_BODY = 10 * 1024 * 1024
"""API Gateway's payload limit (``limits``: 10 MB)."""
_HOST = re.compile(r"([a-z0-9]{10})\.execute-api(?:\.[a-z0-9-]+)*(?::\d+)?")
_PATH = re.compile(r"/_aws/execute-api/([a-z0-9]{10})/([A-Za-z0-9_-]+)(/.*)?")
_LOCALSTACK = re.compile(r"/restapis/([a-z0-9]{10})/([A-Za-z0-9_-]+)/_user_request_(/.*)?")


@dataclass(frozen=True, slots=True)
class Target:
    api_id: str
    stage: str
    path: str


def target_of(host: str, path: str) -> Target | None:
    """The stage a request is for, from its Host (no port) and path, or ``None``."""
    found = _HOST.fullmatch(host)
    if found is not None:
        stage, _, rest = path.lstrip("/").partition("/")
        return Target(found.group(1), stage, "/" + rest) if stage else None
    for pattern in (_PATH, _LOCALSTACK):
        matched = pattern.fullmatch(path)
        if matched is not None:
            return Target(matched.group(1), matched.group(2), matched.group(3) or "/")
    return None


def invoke(pipeline: Pipeline, executor: Executor, target: Target, request: HttpRequest, client_ip: str) -> Answer:
    key = None
    signature_error: AwsError | None = None
    signed = carries_signature(request)
    if signed:
        try:
            now = _dt.datetime.fromtimestamp(pipeline.clock(), _dt.UTC)
            auth = verify_request(request, pipeline.signing_key, now=now)
            record = pipeline.key_record(auth)
            if auth.service != "execute-api":
                raise AwsError(
                    "Credential should be scoped to correct service: 'execute-api'. ", code="IncompleteSignature"
                )
            if record is None or not record.active:
                raise AwsError("", code="InvalidClientTokenId")
            if record.expires_at is not None and record.expires_at <= pipeline.clock():
                raise AwsError("", code="ExpiredToken")
            key = record
        except AwsError as exc:
            signature_error = exc
    return executor.invoke(
        Invocation(
            api_id=target.api_id,
            stage=target.stage,
            path=target.path,
            method=request.method,
            headers=request.headers,
            query=request.raw_query,
            body=request.body,
            source_ip=client_ip,
            key=key,
            signature_error=signature_error,
            signed=signed,
        )
    )
