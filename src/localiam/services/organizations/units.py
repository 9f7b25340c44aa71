"""Organizational units and the shape of the tree: ``CreateOrganizationalUnit``,
``UpdateOrganizationalUnit``, ``DeleteOrganizationalUnit``, ``DescribeOrganizationalUnit``,
``ListOrganizationalUnitsForParent``, ``ListChildren`` and ``ListParents`` (Organizations API
Reference).

OU names are unique under one parent; OUs nest up to five levels below the root
(``orgs_reference_limits``); only an empty OU (no accounts, no child OUs) can be deleted. A new
OU gets the full-access policy of every enabled policy type.
"""

from __future__ import annotations

from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.organizations._service import (
    SERVICE,
    changed,
    error,
    invalid_input,
    organization,
    page,
    request_tag_keys,
    resource_in_org,
    target_arn,
    unit_arn,
)
from localiam.services.organizations.accounts import parent_arn
from localiam.state import org_store
from localiam.state.org_store import Organization

MAX_DEPTH = 5


def unit(org: Organization, row: Any) -> dict[str, Any]:
    """``API_OrganizationalUnit``."""
    return {"Id": row.id, "Arn": unit_arn(org, row.id), "Name": row.name}


def _unit_arn(ctx: OperationContext, org: Organization, params: Params) -> str:
    return unit_arn(org, str(params.get("OrganizationalUnitId")))


def _parent_not_found() -> Exception:
    return error("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")


def _unit_not_found() -> Exception:
    return error(
        "OrganizationalUnitNotFoundException",
        "We can't find an OU with the OrganizationalUnitId that you specified.",
    )


def _checked_name(ctx: OperationContext, org: Organization, parent_id: str, name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 128:
        raise invalid_input("You provided an invalid OU name.", "INPUT_REQUIRED")
    if any(u.name == name for u in org_store.units_under(ctx.tx, org, parent_id)):
        raise error("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
    return name


def _depth(ctx: OperationContext, org: Organization, unit_id: str) -> int:
    depth = 0
    row = org_store.unit_row(ctx.tx, org, unit_id)
    while row is not None and row.parent_id is not None:
        depth += 1
        row = org_store.unit_row(ctx.tx, org, row.parent_id)
    return depth


@SERVICE.operation(
    "CreateOrganizationalUnit",
    action="organizations:CreateOrganizationalUnit",
    resource=resource_in_org(parent_arn),
    condition_keys=request_tag_keys,
    writes=True,
)
def create_organizational_unit(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    parent_id = str(params.get("ParentId"))
    if org_store.unit_row(ctx.tx, org, parent_id) is None:
        raise _parent_not_found()
    name = _checked_name(ctx, org, parent_id, params.get("Name"))
    if _depth(ctx, org, parent_id) + 1 > MAX_DEPTH:
        raise error(
            "ConstraintViolationException",
            "You attempted to create an OU tree that is too many levels deep.",
            reason="OU_DEPTH_LIMIT_EXCEEDED",
        )
    unit_id = org_store.add_unit(ctx.tx, org, parent_id, name)
    changed(ctx, org)
    return {"OrganizationalUnit": unit(org, org_store.unit_row(ctx.tx, org, unit_id))}


def _existing_unit(ctx: OperationContext, org: Organization, params: Params) -> Any:
    unit_id = str(params.get("OrganizationalUnitId"))
    row = org_store.unit_row(ctx.tx, org, unit_id)
    if row is None or row.parent_id is None:
        raise _unit_not_found()
    return row


@SERVICE.operation(
    "UpdateOrganizationalUnit",
    action="organizations:UpdateOrganizationalUnit",
    resource=resource_in_org(_unit_arn),
    writes=True,
)
def update_organizational_unit(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = _existing_unit(ctx, org, params)
    name = params.get("Name")
    if name is not None and name != row.name:
        org_store.rename_unit(ctx.tx, row.id, _checked_name(ctx, org, row.parent_id, name))
        changed(ctx, org)
    return {"OrganizationalUnit": unit(org, org_store.unit_row(ctx.tx, org, row.id))}


@SERVICE.operation(
    "DeleteOrganizationalUnit",
    action="organizations:DeleteOrganizationalUnit",
    resource=resource_in_org(_unit_arn),
    writes=True,
)
def delete_organizational_unit(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    row = _existing_unit(ctx, org, params)
    if org_store.units_under(ctx.tx, org, row.id) or org_store.accounts_of(ctx.tx, org, row.id):
        raise error(
            "OrganizationalUnitNotEmptyException",
            "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child "
            "OUs, and try the operation again.",
        )
    org_store.remove_unit(ctx.tx, row.id)
    changed(ctx, org)
    return {}


@SERVICE.operation(
    "DescribeOrganizationalUnit",
    action="organizations:DescribeOrganizationalUnit",
    resource=resource_in_org(_unit_arn),
)
def describe_organizational_unit(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    return {"OrganizationalUnit": unit(org, _existing_unit(ctx, org, params))}


@SERVICE.operation(
    "ListOrganizationalUnitsForParent",
    action="organizations:ListOrganizationalUnitsForParent",
    resource=resource_in_org(parent_arn),
)
def list_organizational_units_for_parent(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    parent_id = str(params.get("ParentId"))
    if org_store.unit_row(ctx.tx, org, parent_id) is None:
        raise _parent_not_found()
    units = [unit(org, r) for r in org_store.units_under(ctx.tx, org, parent_id)]
    return page(units, params, "OrganizationalUnits")


@SERVICE.operation("ListChildren", action="organizations:ListChildren", resource=resource_in_org(parent_arn))
def list_children(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    parent_id = str(params.get("ParentId"))
    if org_store.unit_row(ctx.tx, org, parent_id) is None:
        raise _parent_not_found()
    child_type = params.get("ChildType")
    if child_type == "ACCOUNT":
        ids = [r.account_id for r in org_store.accounts_of(ctx.tx, org, parent_id)]
    elif child_type == "ORGANIZATIONAL_UNIT":
        ids = [r.id for r in org_store.units_under(ctx.tx, org, parent_id)]
    else:
        raise invalid_input(f"Invalid ChildType: {child_type}", "INVALID_ENUM")
    return page([{"Id": i, "Type": child_type} for i in ids], params, "Children")


def _child_arn(ctx: OperationContext, org: Organization, params: Params) -> str:
    return target_arn(org, str(params.get("ChildId")))


@SERVICE.operation("ListParents", action="organizations:ListParents", resource=resource_in_org(_child_arn))
def list_parents(ctx: OperationContext, params: Params) -> Result:
    org = organization(ctx)
    child_id = str(params.get("ChildId"))
    parent_id: str | None = None
    if child_id.startswith("ou-"):
        row = org_store.unit_row(ctx.tx, org, child_id)
        parent_id = row.parent_id if row is not None else None
    else:
        account_row = org_store.account_row(ctx.tx, org, child_id)
        parent_id = account_row.parent_id if account_row is not None else None
    if parent_id is None:
        raise error(
            "ChildNotFoundException",
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
        )
    kind = "ROOT" if parent_id == org.root_id else "ORGANIZATIONAL_UNIT"
    return page([{"Id": parent_id, "Type": kind}], params, "Parents")
