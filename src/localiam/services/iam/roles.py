"""IAM roles: ``CreateRole``, ``GetRole``, ``ListRoles``, ``UpdateRole``,
``UpdateRoleDescription``, ``UpdateAssumeRolePolicy``, ``DeleteRole`` and their tags (IAM API
Reference ``API_CreateRole`` ...).

The trust policy is validated as a role trust policy (``PolicyType.TRUST``); a role's maximum
session duration is 3,600 to 43,200 seconds, 3,600 by default (``API_CreateRole``).
``DeleteRole`` refuses while the role has inline policies ("Cannot delete entity, must delete
policies first.") or attached managed policies ("... must detach all policies first.") or is in
an instance profile ("... must remove roles from instance profile first."); a service-linked
role is changed only by its service (``service_linked.py``).
"""

from __future__ import annotations

from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    DESCRIPTION,
    SERVICE,
    Rule,
    already_exists,
    checked_document,
    delete_conflict,
    document_rule,
    list_by_path,
    listing_resource,
    name_rule,
    new_id,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    check_tags,
    entity_keys,
    find,
    get,
    merged,
    request_tag_keys,
    resource,
    resource_tags,
    role_shape,
)
from localiam.services.iam.managed import boundary_policy
from localiam.services.iam.service_linked import unmodifiable
from localiam.services.iam.tagging import register_tag_operations
from localiam.services.iam.users import BOUNDARY_RULE, PATH_RULE, boundary_key
from localiam.state import iam_store, schema

DURATION_RULE = Rule("MaxSessionDuration", min_value=3600, max_value=43200)
DESCRIPTION_RULE = Rule("Description", False, DESCRIPTION, None, 1000)
ROLE = ("role", "RoleName")


@SERVICE.operation(
    "CreateRole",
    action="iam:CreateRole",
    resource=resource(*ROLE),
    condition_keys=merged(request_tag_keys, boundary_key),
    writes=True,
)
def create_role(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        name_rule("RoleName"),
        PATH_RULE,
        document_rule("AssumeRolePolicyDocument"),
        DESCRIPTION_RULE,
        DURATION_RULE,
        BOUNDARY_RULE,
    )
    tags = check_tags(params)
    name = str(params["RoleName"])
    if find(ctx, "role", name) is not None:
        raise already_exists(f"Role with name {name} already exists.")
    trust = checked_document(params, "AssumeRolePolicyDocument", PolicyType.TRUST)
    boundary = params.get("PermissionsBoundary")
    if boundary:
        boundary_policy(ctx, str(boundary))
    iam_store.add(
        ctx.tx,
        schema.roles,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        role_id=new_id("AROA"),
        path=params.get("Path") or "/",
        trust_policy=trust,
        description=params.get("Description"),
        max_session_duration=int(params.get("MaxSessionDuration") or 3600),
        boundary_arn=boundary or None,
        service_linked=False,
        created_at=ctx.now,
    )
    if tags:
        add_tags(ctx, "role", name.lower(), tags)
    ctx.tx.touch(ctx.account_id)
    shape = role_shape(ctx, get(ctx, "role", name), details=True)
    shape.pop("RoleLastUsed", None)
    return {"Role": shape}


@SERVICE.operation(
    "GetRole",
    action="iam:GetRole",
    resource=resource(*ROLE),
    condition_keys=entity_keys(*ROLE),
    resource_policy=resource_tags(*ROLE),
)
def get_role(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"))
    return {"Role": role_shape(ctx, get(ctx, "role", str(params["RoleName"])), details=True)}


@SERVICE.operation("ListRoles", action="iam:ListRoles", resource=listing_resource("role"))
def list_roles(ctx: OperationContext, params: Params) -> Result:
    page, more = list_by_path(ctx, params, schema.roles)
    return {"Roles": [role_shape(ctx, r) for r in page], **more}


@SERVICE.operation(
    "UpdateRole",
    action="iam:UpdateRole",
    resource=resource(*ROLE),
    condition_keys=entity_keys(*ROLE),
    resource_policy=resource_tags(*ROLE),
    writes=True,
)
def update_role(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"), DESCRIPTION_RULE, DURATION_RULE)
    row = get(ctx, "role", str(params["RoleName"]))
    changes: dict[str, object] = {}
    if "Description" in params:
        changes["description"] = params["Description"]
    if params.get("MaxSessionDuration") is not None:
        changes["max_session_duration"] = int(params["MaxSessionDuration"])
    if changes:
        iam_store.change(ctx.tx, schema.roles, {"account_id": ctx.account_id, "name_key": row["name_key"]}, **changes)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "UpdateRoleDescription",
    action="iam:UpdateRoleDescription",
    resource=resource(*ROLE),
    condition_keys=entity_keys(*ROLE),
    resource_policy=resource_tags(*ROLE),
    writes=True,
)
def update_role_description(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"), Rule("Description", True, DESCRIPTION, None, 1000))
    row = get(ctx, "role", str(params["RoleName"]))
    where = {"account_id": ctx.account_id, "name_key": row["name_key"]}
    iam_store.change(ctx.tx, schema.roles, where, description=params["Description"])
    ctx.tx.touch(ctx.account_id)
    shape = role_shape(ctx, get(ctx, "role", row["name"]), details=True)
    return {"Role": shape}


@SERVICE.operation(
    "UpdateAssumeRolePolicy",
    action="iam:UpdateAssumeRolePolicy",
    resource=resource(*ROLE),
    condition_keys=entity_keys(*ROLE, boundary=True),
    resource_policy=resource_tags(*ROLE),
    writes=True,
)
def update_assume_role_policy(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"), document_rule("PolicyDocument"))
    row = get(ctx, "role", str(params["RoleName"]))
    unmodifiable(row)
    trust = checked_document(params, "PolicyDocument", PolicyType.TRUST)
    iam_store.change(
        ctx.tx, schema.roles, {"account_id": ctx.account_id, "name_key": row["name_key"]}, trust_policy=trust
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteRole",
    action="iam:DeleteRole",
    resource=resource(*ROLE),
    condition_keys=entity_keys(*ROLE),
    resource_policy=resource_tags(*ROLE),
    writes=True,
)
def delete_role(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"))
    row = get(ctx, "role", str(params["RoleName"]))
    unmodifiable(row)
    owned = {"account_id": ctx.account_id, "principal_type": "role", "principal_key": row["name_key"]}
    if iam_store.count(ctx.tx, schema.instance_profile_roles, account_id=ctx.account_id, role_key=row["name_key"]):
        raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
    if iam_store.count(ctx.tx, schema.inline_policies, **owned):
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    if iam_store.count(ctx.tx, schema.attachments, **owned):
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    iam_store.drop_tags(ctx.tx, ctx.account_id, "role", row["name_key"])
    # Sessions name the role by id: a role created later under the same name must not revive them.
    iam_store.remove(ctx.tx, schema.sessions, account_id=ctx.account_id, role_id=row["role_id"])
    iam_store.remove(ctx.tx, schema.roles, account_id=ctx.account_id, name_key=row["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


register_tag_operations(
    "Role",
    tagged="role",
    param="RoleName",
    rule=name_rule("RoleName"),
    find_key=lambda ctx, name: str(get(ctx, "role", name)["name_key"]),
    resource=resource(*ROLE),
    resource_policy=resource_tags(*ROLE),
    entity_keys=entity_keys(*ROLE),
)
