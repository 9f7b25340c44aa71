"""Where policies are attached: ``AttachPolicy``, ``DetachPolicy``, ``ListPoliciesForTarget`` and
``ListTargetsForPolicy`` (Organizations API Reference, ``orgs_manage_policies_scps_attach``).

A policy attaches to the root, an OU or an account only once its type is enabled on the root
(``PolicyTypeNotEnabledException``), at most five policies of one type per target
(``orgs_reference_limits``; ``ConstraintViolationException`` reason
``MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``). Every target keeps at least one SCP while SCPs
are enabled: detaching the last one is ``ConstraintViolationException`` with reason
``MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``; ``RCPFullAWSAccess`` cannot be detached at all
(``orgs_manage_policies_rcps``).
"""

from __future__ import annotations

from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.organizations._service import (
    SERVICE,
    changed,
    error,
    organization,
    page,
    resource_in_org,
    target_arn,
)
from localiam.services.organizations.policies import (
    checked_type,
    existing_policy,
    policy_resource,
    policy_type_of,
    summary,
)
from localiam.state import org_store
from localiam.state.org_store import RCP_FULL_AWS_ACCESS_ID, Organization

MAX_ATTACHED = 5


def _target_name(ctx: OperationContext, org: Organization, target_id: str) -> tuple[str, str] | None:
    """(type, name) of a root, OU or account of ``org``."""
    if target_id.startswith(("r-", "ou-")):
        row = org_store.unit_row(ctx.tx, org, target_id)
        if row is None:
            return None
        return ("ROOT" if row.parent_id is None else "ORGANIZATIONAL_UNIT"), row.name
    account = org_store.account_row(ctx.tx, org, target_id)
    return ("ACCOUNT", account.name) if account is not None else None


def _existing_target(ctx: OperationContext, org: Organization, params: Params) -> str:
    target_id = str(params.get("TargetId"))
    if _target_name(ctx, org, target_id) is None:
        raise error(
            "TargetNotFoundException",
            "We can't find a root, OU, account, or policy with the TargetId that you specified.",
        )
    return target_id


def _target_resource(ctx: OperationContext, org: Organization, params: Params) -> str:
    return target_arn(org, str(params.get("TargetId")))


@SERVICE.operation(
    "AttachPolicy",
    action="organizations:AttachPolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
    writes=True,
)
def attach_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = existing_policy(ctx, org, params)
    target = _existing_target(ctx, org, params)
    if row.type not in org_store.enabled_types(ctx.tx, org):
        raise error(
            "PolicyTypeNotEnabledException",
            "The specified policy type isn't currently enabled in this root. You can't attach policies of the "
            "specified type to entities in a root until you enable that type in the root.",
        )
    attached = org_store.attached_policies(ctx.tx, target, row.type)
    if any(p.id == row.id for p in attached):
        raise error(
            "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target."
        )
    if len(attached) >= MAX_ATTACHED:
        raise error(
            "ConstraintViolationException",
            "You attempted to exceed the number of policies of a certain type that can be attached to an entity "
            "at one time.",
            reason="MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        )
    org_store.attach(ctx.tx, row.id, target)
    changed(ctx, org)
    return {}


@SERVICE.operation(
    "DetachPolicy",
    action="organizations:DetachPolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
    writes=True,
)
def detach_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = existing_policy(ctx, org, params)
    target = _existing_target(ctx, org, params)
    attached = org_store.attached_policies(ctx.tx, target, row.type)
    if not any(p.id == row.id for p in attached):
        raise error(
            "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root."
        )
    if row.id == RCP_FULL_AWS_ACCESS_ID or len(attached) == 1:
        raise error(
            "ConstraintViolationException",
            "You attempted to detach a policy from an entity that would cause the entity to have fewer than the "
            "minimum number of policies of a certain type required.",
            reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        )
    org_store.detach(ctx.tx, row.id, target)
    changed(ctx, org)
    return {}


@SERVICE.operation(
    "ListPoliciesForTarget",
    action="organizations:ListPoliciesForTarget",
    resource=resource_in_org(_target_resource),
    condition_keys=policy_type_of,
)
def list_policies_for_target(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    target = _existing_target(ctx, org, params)
    policy_type = checked_type(params.get("Filter"))
    rows = org_store.attached_policies(ctx.tx, target, policy_type)
    return page([summary(org, r) for r in rows], params, "Policies")


def target(ctx: OperationContext, org: Organization, target_id: str) -> dict[str, Any]:
    """``API_PolicyTargetSummary``."""
    kind, name = _target_name(ctx, org, target_id) or ("ACCOUNT", "")
    return {"TargetId": target_id, "Arn": target_arn(org, target_id), "Name": name, "Type": kind}


@SERVICE.operation(
    "ListTargetsForPolicy",
    action="organizations:ListTargetsForPolicy",
    resource=resource_in_org(policy_resource),
    condition_keys=policy_type_of,
)
def list_targets_for_policy(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = existing_policy(ctx, org, params)
    targets = [target(ctx, org, t) for t in org_store.targets_of(ctx.tx, org, row.id)]
    return page(targets, params, "Targets")
