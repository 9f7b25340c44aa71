"""Accounts of an organization: ``CreateAccount`` (with ``DescribeCreateAccountStatus`` and
``ListCreateAccountStatus``), ``ListAccounts``, ``DescribeAccount``, ``ListAccountsForParent`` and
``MoveAccount`` (Organizations API Reference).

``CreateAccount`` is asynchronous in AWS; localiam completes the request before it answers, so
the status it returns is already ``SUCCEEDED`` (or ``FAILED`` with ``EMAIL_ALREADY_EXISTS`` when
another account uses the address). The new account sits under the root, gets the enabled
policy types' full-access policies, and holds ``OrganizationAccountAccessRole`` (or
``RoleName``), which trusts the management account and has ``AdministratorAccess``
(``orgs_manage_accounts_create-account``, ``orgs_manage_accounts_access``).
"""

from __future__ import annotations

import re
from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.organizations._service import (
    SERVICE,
    account_arn,
    any_resource,
    changed,
    error,
    invalid_input,
    organization,
    page,
    request_tag_keys,
    resource_in_org,
    target_arn,
    timestamp,
)
from localiam.state import org_store
from localiam.state.org_store import Organization

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


def account(org: Organization, row: Any) -> dict[str, Any]:
    """``API_Account``."""
    return {
        "Id": row.account_id,
        "Arn": account_arn(org, row.account_id),
        "Email": row.email,
        "Name": row.name,
        "Status": row.status,
        "State": row.status,
        "JoinedMethod": row.joined_method,
        "JoinedTimestamp": timestamp(row.joined_at),
    }


def status(row: Any) -> dict[str, Any]:
    """``API_CreateAccountStatus``."""
    out: dict[str, Any] = {
        "Id": row.id,
        "AccountName": row.account_name,
        "State": row.state,
        "RequestedTimestamp": timestamp(row.requested_at),
    }
    if row.completed_at is not None:
        out["CompletedTimestamp"] = timestamp(row.completed_at)
    if row.account_id:
        out["AccountId"] = row.account_id
    if row.failure_reason:
        out["FailureReason"] = row.failure_reason
    return out


@SERVICE.operation(
    "CreateAccount",
    action="organizations:CreateAccount",
    resource=any_resource,
    condition_keys=request_tag_keys,
    writes=True,
)
def create_account(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    email, name = params.get("Email"), params.get("AccountName")
    if not isinstance(email, str) or "@" not in email or not 6 <= len(email) <= 64:
        raise invalid_input("You provided an invalid email address.", "INVALID_EMAIL_ADDRESS_TARGET")
    if not isinstance(name, str) or not 1 <= len(name) <= 50:
        raise invalid_input("You provided an invalid account name.", "INPUT_REQUIRED")
    role_name = params.get("RoleName") or DEFAULT_ROLE_NAME
    if not isinstance(role_name, str) or not ROLE_NAME.fullmatch(role_name):
        raise invalid_input("You provided a role name that isn't valid.", "INVALID_ROLE_NAME")
    if org_store.email_in_use(ctx.tx, email):
        request_id = org_store.record_create_account(ctx.tx, org, name, "FAILED", None, "EMAIL_ALREADY_EXISTS")
    else:
        account_id = org_store.create_member_account(ctx.tx, org, name, email, role_name)
        request_id = org_store.record_create_account(ctx.tx, org, name, "SUCCEEDED", account_id, None)
    changed(ctx, org)
    (row,) = org_store.create_account_statuses(ctx.tx, org, request_id)
    return {"CreateAccountStatus": status(row)}


@SERVICE.operation(
    "DescribeCreateAccountStatus", action="organizations:DescribeCreateAccountStatus", resource=any_resource
)
def describe_create_account_status(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    found = org_store.create_account_statuses(ctx.tx, org, str(params.get("CreateAccountRequestId")))
    if not found:
        raise error(
            "CreateAccountStatusNotFoundException",
            "We can't find an create account request with the CreateAccountRequestId that you specified.",
        )
    return {"CreateAccountStatus": status(found[0])}


@SERVICE.operation("ListCreateAccountStatus", action="organizations:ListCreateAccountStatus", resource=any_resource)
def list_create_account_status(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    states = params.get("States")
    rows = [r for r in org_store.create_account_statuses(ctx.tx, org) if not states or r.state in states]
    return page([status(r) for r in rows], params, "CreateAccountStatuses")


@SERVICE.operation("ListAccounts", action="organizations:ListAccounts", resource=any_resource)
def list_accounts(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    return page([account(org, r) for r in org_store.accounts_of(ctx.tx, org)], params, "Accounts")


def _account_arn(ctx: OperationContext, org: Organization, params: Params) -> str:
    return account_arn(org, str(params.get("AccountId")))


def account_not_found() -> Exception:
    return error("AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified.")


@SERVICE.operation("DescribeAccount", action="organizations:DescribeAccount", resource=resource_in_org(_account_arn))
def describe_account(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = org_store.account_row(ctx.tx, org, str(params.get("AccountId")))
    if row is None:
        raise account_not_found()
    return {"Account": account(org, row)}


def parent_arn(ctx: OperationContext, org: Organization, params: Params) -> str:
    return target_arn(org, str(params.get("ParentId")))


@SERVICE.operation(
    "ListAccountsForParent", action="organizations:ListAccountsForParent", resource=resource_in_org(parent_arn)
)
def list_accounts_for_parent(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    parent = str(params.get("ParentId"))
    if org_store.unit_row(ctx.tx, org, parent) is None:
        raise error("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
    rows = org_store.accounts_of(ctx.tx, org, parent)
    return page([account(org, r) for r in rows], params, "Accounts")


@SERVICE.operation(
    "MoveAccount", action="organizations:MoveAccount", resource=resource_in_org(_account_arn), writes=True
)
def move_account(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    account_id = str(params.get("AccountId"))
    source, destination = str(params.get("SourceParentId")), str(params.get("DestinationParentId"))
    row = org_store.account_row(ctx.tx, org, account_id)
    if row is None:
        raise account_not_found()
    if org_store.unit_row(ctx.tx, org, source) is None:
        raise error(
            "SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified."
        )
    if org_store.unit_row(ctx.tx, org, destination) is None:
        raise error(
            "DestinationParentNotFoundException",
            "We can't find the destination container (a root or OU) with the ParentId that you specified.",
        )
    if row.parent_id == destination:
        raise error("DuplicateAccountException", "That account is already present in the specified destination.")
    if row.parent_id != source:
        raise error(
            "SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified."
        )
    org_store.move_account(ctx.tx, account_id, destination)
    changed(ctx, org)
    return {}
