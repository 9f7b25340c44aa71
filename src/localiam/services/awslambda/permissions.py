"""Function policies: AddPermission, RemovePermission, GetPolicy
(``access-control-resource-based``, ``API_AddPermission``).

AddPermission writes the statement AWS writes: an account id or account ARN becomes
``{"AWS": "arn:aws:iam::ACCOUNT:root"}``, a role or user ARN stays itself, a service principal
is ``{"Service": ...}``; ``SourceArn`` is an ``ArnLike`` on ``AWS:SourceArn``, ``SourceAccount``
a ``StringEquals`` on ``AWS:SourceAccount``, ``PrincipalOrgID`` on ``aws:PrincipalOrgID``,
``EventSourceToken`` on ``lambda:EventSourceToken``, ``FunctionUrlAuthType`` on
``lambda:FunctionUrlAuthType``. The policy is checked with the policy language before it is
stored. Each version and alias has its own policy; the unqualified function's serves
``$LATEST``."""

from __future__ import annotations

import json
import re
from typing import Any

from localiam.policy.model import PolicyType
from localiam.policy.validate import validate_policy
from localiam.services.awslambda._service import SERVICE
from localiam.services.awslambda.common import (
    FunctionRef,
    conflict,
    error,
    function_ref,
    function_row,
    invalid,
    new_revision,
    not_found,
    on_function,
    policy_document,
    policy_qualifier,
    resolve,
)
from localiam.services.base import OperationContext, Params, Result
from localiam.state import lambda_store

_ACCOUNT = re.compile(r"\d{12}")
_SID = re.compile(r"[a-zA-Z0-9-_.]{1,100}")
_SERVICE = re.compile(r"[a-z0-9.-]+\.(amazonaws\.com|amazon\.com)")


def _principal(value: str) -> Any:
    if value == "*":
        return "*"
    if _ACCOUNT.fullmatch(value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:aws:iam::") or value.startswith("arn:aws:sts::"):
        return {"AWS": value}
    if _SERVICE.fullmatch(value):
        return {"Service": value}
    raise invalid("The provided principal was invalid. Please check the principal and try again.")


def _statement(ctx: OperationContext, ref: FunctionRef, params: Params) -> dict[str, Any]:
    sid = str(params.get("StatementId") or "")
    if not _SID.fullmatch(sid):
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)",
        )
    action = str(params.get("Action") or "")
    if not re.fullmatch(r"(lambda:[*]|lambda:[a-zA-Z]+|[*])", action):
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
        )
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": _principal(str(params.get("Principal") or "")),
        "Action": action,
        "Resource": ref.qualified_arn(policy_qualifier(ref) or None),
    }
    condition: dict[str, dict[str, str]] = {}
    if params.get("SourceAccount") is not None:
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = str(params["SourceAccount"])
    if params.get("PrincipalOrgID") is not None:
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = str(params["PrincipalOrgID"])
    if params.get("EventSourceToken") is not None:
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = str(params["EventSourceToken"])
    if params.get("FunctionUrlAuthType") is not None:
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = str(params["FunctionUrlAuthType"])
    if params.get("SourceArn") is not None:
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = str(params["SourceArn"])
    if condition:
        statement["Condition"] = condition
    return statement


def _check_revision(ctx: OperationContext, ref: FunctionRef, params: Params) -> None:
    wanted = params.get("RevisionId")
    if wanted is None:
        return
    row = lambda_store.policy(ctx.tx, ref.account, ref.region, ref.name, policy_qualifier(ref))
    current = row["revision_id"] if row is not None else resolve(ctx, ref).revision_id
    if wanted != current:
        raise error(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the "
            "latest Revision Id",
            412,
        )


@SERVICE.operation("AddPermission", action="lambda:AddPermission", authorizer=on_function, writes=True)
def add_permission(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    resolve(ctx, ref)  # the function (and the qualifier) must exist
    _check_revision(ctx, ref, params)
    statement = _statement(ctx, ref, params)
    document = policy_document(ctx, ref) or {"Version": "2012-10-17", "Id": "default", "Statement": []}
    if any(s.get("Sid") == statement["Sid"] for s in document["Statement"]):
        raise conflict(
            f"The statement id ({statement['Sid']}) provided already exists. Please provide a new statement id, or "
            "remove the existing statement."
        )
    document["Statement"].append(statement)
    text = json.dumps(document, separators=(",", ":"))
    if len(text) > 20480:
        raise error(
            "PolicyLengthExceededException",
            f"The final policy size ({len(text)}) is bigger than the limit (20480).",
        )
    checked = validate_policy(text, PolicyType.RESOURCE, with_lint=False)
    if checked.value is None:
        raise invalid(f"The policy is not valid: {checked.errors[0].message}")
    revision = new_revision()
    lambda_store.put_policy(ctx.tx, ref.account, ref.region, ref.name, policy_qualifier(ref), text, revision)
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


@SERVICE.operation("RemovePermission", action="lambda:RemovePermission", authorizer=on_function, writes=True)
def remove_permission(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    function_row(ctx, ref)
    _check_revision(ctx, ref, params)
    sid = str(params.get("StatementId") or "")
    document = policy_document(ctx, ref)
    if document is None or not any(s.get("Sid") == sid for s in document["Statement"]):
        raise not_found(f"Statement {sid} is not found in resource policy.")
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    if not document["Statement"]:
        lambda_store.delete_policy(ctx.tx, ref.account, ref.region, ref.name, policy_qualifier(ref))
    else:
        text = json.dumps(document, separators=(",", ":"))
        lambda_store.put_policy(ctx.tx, ref.account, ref.region, ref.name, policy_qualifier(ref), text, new_revision())
    return {}


@SERVICE.operation("GetPolicy", action="lambda:GetPolicy", authorizer=on_function)
def get_policy(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    function_row(ctx, ref)
    row = lambda_store.policy(ctx.tx, ref.account, ref.region, ref.name, policy_qualifier(ref))
    if row is None:
        raise not_found("The resource you requested does not exist.")
    return {"Policy": row["document"], "RevisionId": row["revision_id"]}
