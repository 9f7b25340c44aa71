"""Another service invoking a function, as AWS services do for triggers (Cognito user pool
triggers): the service principal (``cognito-idp.amazonaws.com``) is the caller, so only the
function policy can allow ``lambda:InvokeFunction``, with ``aws:SourceArn`` and
``aws:SourceAccount`` naming the resource on whose behalf it calls (Lambda Developer Guide
``access-control-resource-based``, "Granting function access to AWS services"; the console adds
such a statement when it attaches a trigger).

Call it after the calling operation's transaction has committed (``ctx.then``): the function
runs for real and may call back into localiam, which must not wait for a write lock its caller
holds.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from localiam.engine import Principal, PrincipalKind
from localiam.errors import AccessDenied, AwsError
from localiam.services.awslambda import invoke as _invoke
from localiam.services.awslambda.common import function_ref, resolve, resource_policy
from localiam.services.base import OperationContext
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Caller


class ServiceInvokeError(Exception):
    """The function could not be run for the service, or it failed: ``message`` says which,
    in words the calling service puts in its own error."""


def invoke_as_service(
    ctx: OperationContext,
    function_arn: str,
    event: dict[str, Any],
    *,
    service_principal: str,
    source_arn: str,
    source_account: str,
) -> Any:
    """Run ``function_arn`` with ``event`` for ``service_principal``; its decoded answer."""
    caller = Caller(Principal(PrincipalKind.SERVICE, service_principal), KeyRecord("", "", "", "service", True))
    with ctx.store.read() as tx:
        own = replace(ctx, tx=tx, caller=caller, decisions=[], after_commit=[], on_rollback=[], then=None)
        try:
            ref = function_ref(own, {"FunctionName": function_arn})
            deployed = resolve(own, ref)
            own.authorize(
                "lambda:InvokeFunction",
                ref.arn,
                context={"aws:SourceArn": source_arn, "aws:SourceAccount": source_account},
                resource_policy=resource_policy(own, ref),
                caller=caller,
            )
        except AccessDenied:
            raise ServiceInvokeError(f"{service_principal} is not allowed to invoke {function_arn}") from None
        except AwsError as exc:
            raise ServiceInvokeError(exc.message) from None
    creds = _invoke._credentials(own, deployed)
    spec = _invoke._spec(own, deployed, creds)
    context = _invoke._context(deployed, spec, {})
    context = replace(context, request_id=str(uuid.uuid4()))
    result = _invoke.runtime().invoke(spec, json.dumps(event).encode(), context)
    try:
        answer = json.loads(result.payload or b"null")
    except ValueError:
        raise ServiceInvokeError("the function's answer is not JSON") from None
    if result.function_error:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        raise ServiceInvokeError(str(message or result.function_error))
    return answer
