"""Service control policies and resource control policies: ``CreatePolicy``, ``UpdatePolicy``,
``DeletePolicy``, ``DescribePolicy`` and ``ListPolicies`` (Organizations API Reference,
``orgs_manage_policies_scps``, ``orgs_manage_policies_rcps``).

Content is checked with the rules of its type (``orgs_manage_policies_scps_syntax``,
``..._rcps_syntax``); every problem is ``MalformedPolicyDocumentException`` "The provided policy
document does not meet the requirements of the specified policy type.", and a document over
5,120 characters (white space counted, ``orgs_reference_limits``) is
``ConstraintViolationException`` with reason ``POLICY_CONTENT_LIMIT_EXCEEDED``. Names are unique
per type; an attached policy cannot be deleted (``PolicyInUseException``); AWS managed
policies (``FullAWSAccess``, ``RCPFullAWSAccess``) cannot be changed or deleted.
"""

from __future__ import annotations

from typing import Any

from localiam.policy.model import PolicyType
from localiam.policy.types import ORGANIZATIONS_WORDING
from localiam.policy.validate import validate_policy
from localiam.services.base import OperationContext, Params, Result
from localiam.services.organizations._service import (
    SERVICE,
    access_denied,
    any_resource,
    changed,
    error,
    invalid_input,
    organization,
    page,
    policy_arn,
    request_tag_keys,
    resource_in_org,
)
from localiam.state import org_store
from localiam.state.org_store import POLICY_TYPES, RCP, SCP, Organization

ENGINE_TYPE = {SCP: PolicyType.SCP, RCP: PolicyType.RCP}


def summary(org: Organization, row: Any) -> dict[str, Any]:
    """``API_PolicySummary``."""
    return {
        "Id": row.id,
        "Arn": policy_arn(org, row.id, row.type, bool(row.aws_managed)),
        "Name": row.name,
        "Description": row.description,
        "Type": row.type,
        "AwsManaged": bool(row.aws_managed),
    }


def policy(org: Organization, row: Any) -> dict[str, Any]:
    return {"PolicySummary": summary(org, row), "Content": row.document}


def policy_not_found() -> Exception:
    return error("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")


def existing_policy(ctx: OperationContext, org: Organization, params: Params) -> Any:
    row = org_store.policy_row(ctx.tx, org, str(params.get("PolicyId")))
    if row is None:
        raise policy_not_found()
    return row


def policy_type_of(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``organizations:PolicyType`` of the policy named by ``PolicyId`` or ``Type``/``Filter``."""
    value = params.get("Type") or params.get("Filter")
    org = org_store.organization_of(ctx.tx, ctx.account_id)
    if org is not None and params.get("PolicyId"):
        row = org_store.policy_row(ctx.tx, org, str(params["PolicyId"]))
        value = row.type if row is not None else value
    return {"organizations:PolicyType": value} if isinstance(value, str) else {}


def policy_resource(ctx: OperationContext, org: Organization, params: Params) -> str:
    row = org_store.policy_row(ctx.tx, org, str(params.get("PolicyId")))
    if row is None:
        return f"arn:aws:organizations::{org.management_account}:policy/{org.id}/*/{params.get('PolicyId')}"
    return policy_arn(org, row.id, row.type, bool(row.aws_managed))


def checked_content(content: Any, policy_type: str) -> str:
    if not isinstance(content, str) or not content:
        raise error("MalformedPolicyDocumentException", ORGANIZATIONS_WORDING)
    result = validate_policy(content, ENGINE_TYPE[policy_type], with_lint=False)
    if any(f.code == "POLICY_TOO_LARGE" for f in result.errors):
        raise error(
            "ConstraintViolationException",
            "You attempted to create a policy that is larger than the maximum size.",
            reason="POLICY_CONTENT_LIMIT_EXCEEDED",
        )
    if result.errors:
        raise error("MalformedPolicyDocumentException", ORGANIZATIONS_WORDING)
    return content


def checked_type(value: Any) -> str:
    if value not in POLICY_TYPES:
        raise invalid_input(
            f"localiam supports the policy types {', '.join(POLICY_TYPES)}, not {value}.", "INVALID_ENUM"
        )
    return str(value)


def _checked_name(ctx: OperationContext, org: Organization, policy_type: str, name: Any, own_id: str = "") -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 128:
        raise invalid_input("You provided an invalid policy name.", "INPUT_REQUIRED")
    if any(r.name == name and r.id != own_id for r in org_store.policies_of(ctx.tx, org, policy_type)):
        raise error("DuplicatePolicyException", "A policy with the same name already exists.")
    return name


@SERVICE.operation(
    "CreatePolicy",
    action="organizations:CreatePolicy",
    resource=any_resource,
    condition_keys=lambda ctx, params: {**policy_type_of(ctx, params), **request_tag_keys(ctx, params)},
    writes=True,
)
def create_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    policy_type = checked_type(params.get("Type"))
    name = _checked_name(ctx, org, policy_type, params.get("Name"))
    description = params.get("Description")
    if not isinstance(description, str) or len(description) > 512:
        raise invalid_input("You provided an invalid policy description.", "INPUT_REQUIRED")
    content = checked_content(params.get("Content"), policy_type)
    policy_id = org_store.add_policy(ctx.tx, org, policy_type, name, description, content)
    changed(ctx, org)
    return {"Policy": policy(org, org_store.policy_row(ctx.tx, org, policy_id))}


def _customer_policy(ctx: OperationContext, org: Organization, params: Params) -> Any:
    row = existing_policy(ctx, org, params)
    if row.aws_managed:
        raise access_denied()
    return row


@SERVICE.operation(
    "UpdatePolicy",
    action="organizations:UpdatePolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
    writes=True,
)
def update_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = _customer_policy(ctx, org, params)
    values: dict[str, Any] = {}
    if params.get("Name") is not None:
        values["name"] = _checked_name(ctx, org, row.type, params["Name"], own_id=row.id)
    if params.get("Description") is not None:
        values["description"] = str(params["Description"])
    if params.get("Content") is not None:
        values["document"] = checked_content(params["Content"], row.type)
    if values:
        org_store.change_policy(ctx.tx, row.id, **values)
        changed(ctx, org)
    return {"Policy": policy(org, org_store.policy_row(ctx.tx, org, row.id))}


@SERVICE.operation(
    "DeletePolicy",
    action="organizations:DeletePolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
    writes=True,
)
def delete_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = _customer_policy(ctx, org, params)
    if org_store.attachment_count(ctx.tx, row.id):
        raise error(
            "PolicyInUseException",
            "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts "
            "before performing this operation.",
        )
    org_store.remove_policy(ctx.tx, row.id)
    changed(ctx, org)
    return {}


@SERVICE.operation(
    "DescribePolicy",
    action="organizations:DescribePolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
)
def describe_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    return {"Policy": policy(org, existing_policy(ctx, org, params))}


@SERVICE.operation(
    "ListPolicies", action="organizations:ListPolicies", resource=any_resource, condition_keys=policy_type_of
)
def list_policies(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    policy_type = checked_type(params.get("Filter"))
    rows = org_store.policies_of(ctx.tx, org, policy_type)
    return page([summary(org, r) for r in rows], params, "Policies")
