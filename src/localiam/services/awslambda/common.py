"""What Lambda's operations share: naming a function (name, partial ARN or ARN, with a
qualifier), its rows decoded, Lambda's errors in its own wording (Lambda API Reference,
``API_*`` "Errors" sections), and the function policy as the engine sees it."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localiam.engine import CompiledPolicy
from localiam.errors import AwsError
from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params, ResourcePolicy
from localiam.state import lambda_store

LATEST = "$LATEST"
_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_ARN = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)
_ALIAS = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}")


def error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(message, code=code, status=status)


def invalid(message: str) -> AwsError:
    return error("InvalidParameterValueException", message)


def not_found(message: str) -> AwsError:
    return error("ResourceNotFoundException", message, 404)


def conflict(message: str) -> AwsError:
    return error("ResourceConflictException", message, 409)


def revision_mismatch() -> AwsError:
    return error(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id",
        412,
    )


def new_revision() -> str:
    return str(uuid.uuid4())


def timestamp(epoch: float) -> str:
    """Lambda's ``LastModified``: ``2019-09-26T21:05:57.366+0000``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function as a request names it: its account, region, name and qualifier."""

    account: str
    region: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    def qualified_arn(self, qualifier: str | None = None) -> str:
        q = qualifier if qualifier is not None else self.qualifier
        return f"{self.arn}:{q}" if q else self.arn


def function_ref(ctx: OperationContext, params: Params, *, qualifier: bool = True) -> FunctionRef:
    """``FunctionName`` (name, ``ACCOUNT:function:NAME`` or a full ARN, optionally with
    ``:QUALIFIER``) and the ``Qualifier`` parameter; a qualifier in both that differs is
    ``InvalidParameterValueException`` as Lambda answers."""
    text = str(params.get("FunctionName") or "")
    match = _ARN.fullmatch(text)
    if match is None or len(match["name"]) > 64:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{text}' at 'functionName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
            "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    region = match["region"] or ctx.region
    account = match["account"] or ctx.account_id
    q = match["qualifier"]
    given = params.get("Qualifier")
    if qualifier and given is not None:
        if q is not None and q != given:
            raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
        q = str(given)
    return FunctionRef(account, region, match["name"], q)


@dataclass(frozen=True, slots=True)
class Deployed:
    """One runnable state of a function: ``$LATEST`` or a published version."""

    ref: FunctionRef
    version: str  # "$LATEST" or "1", "2" ...
    config: dict[str, Any]
    code_ref: str
    revision_id: str

    @property
    def arn(self) -> str:
        return self.ref.qualified_arn(self.version)


def function_row(ctx: OperationContext, ref: FunctionRef) -> dict[str, Any]:
    """The function's row (not to be changed: it may be shared by the requests that read it
    until the next write, ``Authz.row``)."""
    key = ("lambda-function", ref.account, ref.region, ref.name)
    row: dict[str, Any] | None = ctx.authz.row(
        ctx.tx, key, lambda: lambda_store.function(ctx.tx, ref.account, ref.region, ref.name)
    )
    if row is None:
        raise not_found(f"Function not found: {ref.qualified_arn()}")
    return row


def resolve(ctx: OperationContext, ref: FunctionRef) -> Deployed:
    """The deployed state a qualifier names: ``$LATEST`` (or none), a version number, or an
    alias's version. Missing is ``ResourceNotFoundException`` "Function not found: ARN"."""
    row = function_row(ctx, ref)
    qualifier = ref.qualifier or LATEST
    if qualifier == LATEST:
        return Deployed(ref, LATEST, json.loads(row["config"]), row["code_ref"], row["revision_id"])
    version = qualifier
    if not qualifier.isdigit():
        alias = lambda_store.alias(ctx.tx, ref.account, ref.region, ref.name, qualifier)
        if alias is None:
            raise not_found(f"Function not found: {ref.qualified_arn()}")
        version = alias["function_version"]
        if version == LATEST:
            return Deployed(ref, LATEST, json.loads(row["config"]), row["code_ref"], row["revision_id"])
    found = lambda_store.version(ctx.tx, ref.account, ref.region, ref.name, int(version))
    if found is None:
        raise not_found(f"Function not found: {ref.qualified_arn()}")
    return Deployed(ref, version, json.loads(found["config"]), found["code_ref"], found["revision_id"])


def policy_qualifier(ref: FunctionRef) -> str:
    """Which function policy a request is held to: each version and alias has its own; the
    unqualified function and ``$LATEST`` share one (``access-control-resource-based``)."""
    return "" if ref.qualifier in (None, LATEST) else str(ref.qualifier)


def _policy_row(ctx: OperationContext, ref: FunctionRef) -> dict[str, Any] | None:
    qualifier = policy_qualifier(ref)
    key = ("lambda-policy", ref.account, ref.region, ref.name, qualifier)
    row: dict[str, Any] | None = ctx.authz.row(
        ctx.tx, key, lambda: lambda_store.policy(ctx.tx, ref.account, ref.region, ref.name, qualifier)
    )
    return row


def policy_document(ctx: OperationContext, ref: FunctionRef) -> dict[str, Any] | None:
    row = _policy_row(ctx, ref)
    return json.loads(row["document"]) if row is not None else None


def compiled_policy(ctx: OperationContext, ref: FunctionRef) -> CompiledPolicy | None:
    row = _policy_row(ctx, ref)
    if row is None:
        return None
    name = f"{ref.qualified_arn(policy_qualifier(ref) or None)} function policy"
    return ctx.authz.policies.get(name, row["document"], PolicyType.RESOURCE)


def resource_policy(ctx: OperationContext, ref: FunctionRef) -> ResourcePolicy:
    """The function policy as the resource-based policy of a request on the function."""
    return ResourcePolicy(compiled_policy(ctx, ref), ref.account)


def authorize(ctx: OperationContext, action: str, ref: FunctionRef, *, qualified: bool = False) -> None:
    """``action`` on the function (its ARN, qualified when the operation takes a qualifier),
    with the function policy as resource-based policy."""
    resource = ref.qualified_arn() if qualified else ref.arn
    ctx.authorize(action, resource, resource_policy=resource_policy(ctx, ref))


def on_function(ctx: OperationContext, op: Any, params: Params) -> None:
    """The authorizer of most operations: the operation's declared action on the function the
    request names (its qualified ARN when it names a qualifier), with that qualifier's
    function policy as resource-based policy."""
    ref = function_ref(ctx, params)
    authorize(ctx, str(op.action), ref, qualified=ref.qualifier is not None)


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [a-zA-Z0-9-_]+",
        )


def check_alias_name(name: str) -> None:
    if not _ALIAS.fullmatch(name):
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        )
