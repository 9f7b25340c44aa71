"""The Organizations service registry and what its operations share: who may call (only the
management account; AWS answers member accounts ``AccessDeniedException`` "You don't have
permissions to access this resource." and accounts outside any organization
``AWSOrganizationsNotInUseException`` "Your account is not a member of an organization."), the
ARNs of the Service Authorization Reference (``list_awsorganizations``), errors with their
``Reason``, and paging.

ARNs: ``arn:aws:organizations::MGMT:organization/o-ID``, ``...:root/o-ID/r-ID``,
``...:ou/o-ID/ou-ID``, ``...:account/o-ID/ACCOUNT``, ``...:policy/o-ID/service_control_policy/p-ID``,
and for AWS managed policies ``arn:aws:organizations::aws:policy/service_control_policy/p-ID``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, Result, Service
from localiam.state import org_store
from localiam.state.org_store import Organization

SERVICE = Service("organizations", access_denied_code="AccessDeniedException")

MAX_RESULTS = 20


class OrganizationsError(AwsError):
    """An Organizations error; ``fields`` are the members besides ``Message`` that the error
    shape declares (``Reason`` of ``ConstraintViolationException`` and ``InvalidInputException``)."""

    status = 400
    sender_fault = True

    def __init__(self, code: str, message: str, *, reason: str | None = None) -> None:
        super().__init__(message, code=code, status=400)
        self.fields: dict[str, str] = {"Reason": reason} if reason else {}


def error(code: str, message: str, *, reason: str | None = None) -> OrganizationsError:
    return OrganizationsError(code, message, reason=reason)


def not_in_use() -> OrganizationsError:
    return error("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")


def access_denied() -> OrganizationsError:
    return error("AccessDeniedException", "You don't have permissions to access this resource.")


def invalid_input(message: str, reason: str = "INVALID_INPUT") -> OrganizationsError:
    return error("InvalidInputException", message, reason=reason)


def timestamp(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)


# --------------------------------------------------------------------------- who may call
def organization(ctx: OperationContext, *, members_too: bool = False) -> Organization:
    """The caller's organization; only its management account may call, unless
    ``members_too``."""
    org = org_store.organization_of(ctx.tx, ctx.account_id)
    if org is None:
        raise not_in_use()
    if not members_too and org.management_account != ctx.account_id:
        raise access_denied()
    return org


def changed(ctx: OperationContext, org: Organization) -> None:
    """Every change may alter some account's SCP or RCP chain."""
    org_store.touch_organization(ctx.tx, org)


# --------------------------------------------------------------------------- ARNs
def org_arn(org: Organization) -> str:
    return f"arn:aws:organizations::{org.management_account}:organization/{org.id}"


def root_arn(org: Organization, root_id: str | None = None) -> str:
    return f"arn:aws:organizations::{org.management_account}:root/{org.id}/{root_id or org.root_id}"


def unit_arn(org: Organization, unit_id: str) -> str:
    if unit_id == org.root_id:
        return root_arn(org)
    return f"arn:aws:organizations::{org.management_account}:ou/{org.id}/{unit_id}"


def account_arn(org: Organization, account_id: str) -> str:
    return f"arn:aws:organizations::{org.management_account}:account/{org.id}/{account_id}"


def policy_arn(org: Organization, policy_id: str, policy_type: str, aws_managed: bool) -> str:
    kind = policy_type.lower()
    if aws_managed:
        return f"arn:aws:organizations::aws:policy/{kind}/{policy_id}"
    return f"arn:aws:organizations::{org.management_account}:policy/{org.id}/{kind}/{policy_id}"


def target_arn(org: Organization, target_id: str) -> str:
    if target_id.startswith(("r-", "ou-")):
        return unit_arn(org, target_id)
    return account_arn(org, target_id)


ArnBuilder = Callable[[OperationContext, Organization, Params], str]


def resource_in_org(build: ArnBuilder) -> Callable[[OperationContext, Params], str]:
    """A declared-resource function: the ARN ``build(ctx, org, params)`` names in the caller's
    organization, or ``*`` when the caller has none (the operation then fails on its own)."""

    def resource(ctx: OperationContext, params: Params) -> str:
        org = org_store.organization_of(ctx.tx, ctx.account_id)
        return build(ctx, org, params) if org is not None else "*"

    return resource


def request_tag_keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``aws:RequestTag/*`` and ``aws:TagKeys`` of the ``Tags`` passed."""
    tags = [t for t in params.get("Tags") or [] if isinstance(t, dict)]
    keys: dict[str, str | list[str]] = {f"aws:RequestTag/{t.get('Key')}": str(t.get("Value")) for t in tags}
    if tags:
        keys["aws:TagKeys"] = [str(t.get("Key")) for t in tags]
    return keys


def any_resource(ctx: OperationContext, params: Params) -> str:
    return "*"


# --------------------------------------------------------------------------- paging
def page(items: Sequence[Any], params: Params, key: str) -> Result:
    """One page of ``items`` (``MaxResults`` up to 20, ``NextToken`` an opaque offset)."""
    limit = params.get("MaxResults") or MAX_RESULTS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise invalid_input("You specified an invalid value for MaxResults.", "INVALID_PAGINATION_TOKEN")
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = int(base64.b64decode(str(token)).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            raise invalid_input("The NextToken is not valid.", "INVALID_PAGINATION_TOKEN") from None
    result: Result = {key: list(items[start : start + limit])}
    if start + limit < len(items):
        result["NextToken"] = base64.b64encode(str(start + limit).encode("ascii")).decode("ascii")
    return result
