"""The organization itself: ``CreateOrganization``, ``DescribeOrganization``, ``ListRoots``,
``EnablePolicyType`` and ``DisablePolicyType`` (Organizations API Reference).

- ``CreateOrganization`` makes the caller's account the management account; an account already
  in an organization gets ``AlreadyInOrganizationException``.
- ``DescribeOrganization`` may be called from any account of the organization.
- Enabling a policy type attaches its AWS managed full-access policy (``FullAWSAccess``,
  ``RCPFullAWSAccess``) to the root, every OU and every account; disabling it detaches every
  policy of that type (``orgs_manage_policies_enable-disable``). SCPs and RCPs need the "all
  features" feature set.
"""

from __future__ import annotations

from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.organizations._service import (
    SERVICE,
    account_arn,
    any_resource,
    changed,
    error,
    invalid_input,
    org_arn,
    organization,
    resource_in_org,
    root_arn,
)
from localiam.state import org_store
from localiam.state.org_store import POLICY_TYPES, Organization


def describe(ctx: OperationContext, org: Organization) -> dict[str, Any]:
    return {
        "Id": org.id,
        "Arn": org_arn(org),
        "FeatureSet": org.feature_set,
        "MasterAccountArn": account_arn(org, org.management_account),
        "MasterAccountId": org.management_account,
        "MasterAccountEmail": org_store.account_email(ctx.tx, org.management_account),
        "AvailablePolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in org_store.enabled_types(ctx.tx, org)],
    }


def root(ctx: OperationContext, org: Organization) -> dict[str, Any]:
    return {
        "Id": org.root_id,
        "Arn": root_arn(org),
        "Name": "Root",
        "PolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in org_store.enabled_types(ctx.tx, org)],
    }


@SERVICE.operation("CreateOrganization", action="organizations:CreateOrganization", resource=any_resource, writes=True)
def create_organization(ctx: OperationContext, params: Params) -> Result:
    feature_set = params.get("FeatureSet") or "ALL"
    if feature_set not in ("ALL", "CONSOLIDATED_BILLING"):
        raise invalid_input(f"Invalid FeatureSet: {feature_set}", "INVALID_ENUM")
    if org_store.organization_of(ctx.tx, ctx.account_id) is not None:
        raise error(
            "AlreadyInOrganizationException",
            "This account is already a member of an organization. An account can belong to only one "
            "organization at a time.",
        )
    org = org_store.create_organization(ctx.tx, ctx.account_id)
    if feature_set != "ALL":
        org = org_store.set_feature_set(ctx.tx, org, feature_set)
    changed(ctx, org)
    return {"Organization": describe(ctx, org)}


@SERVICE.operation("DescribeOrganization", action="organizations:DescribeOrganization", resource=any_resource)
def describe_organization(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx, members_too=True)
    return {"Organization": describe(ctx, org)}


@SERVICE.operation("ListRoots", action="organizations:ListRoots", resource=any_resource)
def list_roots(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    return {"Roots": [root(ctx, org)]}


def _root_arn(ctx: OperationContext, org: Organization, params: Params) -> str:
    return root_arn(org, str(params.get("RootId")))


def _policy_type_key(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    policy_type = params.get("PolicyType")
    return {"organizations:PolicyType": policy_type} if isinstance(policy_type, str) else {}


def _checked(ctx: OperationContext, params: Params) -> tuple[Organization, str]:
    org = organization(ctx)
    if params.get("RootId") != org.root_id:
        raise error("RootNotFoundException", "We can't find a root with the RootId that you specified.")
    policy_type = params.get("PolicyType")
    if policy_type not in POLICY_TYPES:
        raise invalid_input(
            f"localiam supports the policy types {', '.join(POLICY_TYPES)}, not {policy_type}.", "INVALID_ENUM"
        )
    if org.feature_set != "ALL":
        raise error(
            "PolicyTypeNotAvailableForOrganizationException",
            "You can't use the specified policy type with the feature set currently enabled for this organization.",
        )
    return org, str(policy_type)


@SERVICE.operation(
    "EnablePolicyType",
    action="organizations:EnablePolicyType",
    resource=resource_in_org(_root_arn),
    condition_keys=_policy_type_key,
    writes=True,
)
def enable_policy_type(ctx: OperationContext, params: Params) -> Result:
    org, policy_type = _checked(ctx, params)
    if policy_type in org_store.enabled_types(ctx.tx, org):
        raise error(
            "PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled in the specified root."
        )
    org_store.enable_type(ctx.tx, org, policy_type)
    changed(ctx, org)
    return {"Root": root(ctx, org)}


@SERVICE.operation(
    "DisablePolicyType",
    action="organizations:DisablePolicyType",
    resource=resource_in_org(_root_arn),
    condition_keys=_policy_type_key,
    writes=True,
)
def disable_policy_type(ctx: OperationContext, params: Params) -> Result:
    org, policy_type = _checked(ctx, params)
    if policy_type not in org_store.enabled_types(ctx.tx, org):
        raise error(
            "PolicyTypeNotEnabledException",
            "The specified policy type isn't currently enabled in this root. You can't attach policies of the "
            "specified type to entities in a root until you enable that type in the root.",
        )
    org_store.disable_type(ctx.tx, org, policy_type)
    changed(ctx, org)
    return {"Root": root(ctx, org)}
