"""IAM users: ``CreateUser``, ``GetUser``, ``ListUsers``, ``UpdateUser``, ``DeleteUser`` and
their tags (IAM API Reference ``API_CreateUser`` ...).

``DeleteUser`` refuses while anything still hangs off the user (``API_DeleteUser``: "you must
delete the items attached to the user manually"), with IAM's wording: "Cannot delete entity,
must delete login profile first.", "... must delete access keys first.", "... must delete
policies first." (inline), "... must detach all policies first." (managed), "... must remove
users from group first." (group memberships).
"""

from __future__ import annotations

from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    PATH,
    SERVICE,
    Rule,
    already_exists,
    delete_conflict,
    iam_arn,
    list_by_path,
    listing_resource,
    name_rule,
    new_id,
    timestamp,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    caller_user_name,
    check_tags,
    entity_keys,
    find,
    get,
    merged,
    request_tag_keys,
    resource,
    resource_tags,
    user_shape,
)
from localiam.services.iam.managed import boundary_policy
from localiam.services.iam.tagging import register_tag_operations
from localiam.state import iam_store, schema

PATH_RULE = Rule("Path", False, PATH, 1, 512)
BOUNDARY_RULE = Rule("PermissionsBoundary", False, None, 20, 2048)


def boundary_key(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``iam:PermissionsBoundary`` for requests that set one."""
    arn = params.get("PermissionsBoundary")
    return {"iam:PermissionsBoundary": str(arn)} if arn else {}


@SERVICE.operation(
    "CreateUser",
    action="iam:CreateUser",
    resource=resource("user", "UserName"),
    condition_keys=merged(request_tag_keys, boundary_key),
    writes=True,
)
def create_user(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName"), PATH_RULE, BOUNDARY_RULE)
    tags = check_tags(params)
    name = str(params["UserName"])
    if find(ctx, "user", name) is not None:
        raise already_exists(f"User with name {name} already exists.")
    boundary = params.get("PermissionsBoundary")
    if boundary:
        boundary_policy(ctx, str(boundary))
    iam_store.add(
        ctx.tx,
        schema.users,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        user_id=new_id("AIDA"),
        path=params.get("Path") or "/",
        boundary_arn=boundary or None,
        created_at=ctx.now,
    )
    if tags:
        add_tags(ctx, "user", name.lower(), tags)
    ctx.tx.touch(ctx.account_id)
    return {"User": user_shape(ctx, get(ctx, "user", name), details=True)}


@SERVICE.operation(
    "GetUser",
    action="iam:GetUser",
    resource=resource("user", "UserName"),
    condition_keys=entity_keys("user", "UserName"),
    resource_policy=resource_tags("user", "UserName"),
)
def get_user(ctx: OperationContext, params: Params) -> Result:
    """Without ``UserName``, the calling user; the root user gets its account's identity."""
    validate(params, name_rule("UserName", 128, required=False))
    name = caller_user_name(ctx, params)
    if name is None:
        account = iam_store.one(ctx.tx, schema.accounts, id=ctx.account_id)
        created = account["created_at"] if account else ctx.now
        return {
            "User": {
                "UserId": ctx.account_id,
                "Arn": f"arn:aws:iam::{ctx.account_id}:root",
                "CreateDate": timestamp(created),
            }
        }
    return {"User": user_shape(ctx, get(ctx, "user", name), details=True)}


@SERVICE.operation("ListUsers", action="iam:ListUsers", resource=listing_resource("user"))
def list_users(ctx: OperationContext, params: Params) -> Result:
    page, more = list_by_path(ctx, params, schema.users)
    return {"Users": [user_shape(ctx, r) for r in page], **more}


@SERVICE.operation(
    "UpdateUser",
    action="iam:UpdateUser",
    resource=resource("user", "UserName"),
    condition_keys=entity_keys("user", "UserName"),
    resource_policy=resource_tags("user", "UserName"),
    writes=True,
)
def update_user(ctx: OperationContext, params: Params) -> Result:
    """Renaming or moving a user needs ``iam:UpdateUser`` on the new ARN too
    (``API_UpdateUser``: "the requester must have appropriate permissions on both the source
    object and the target object")."""
    validate(
        params,
        name_rule("UserName", 128),
        name_rule("NewUserName", required=False),
        Rule("NewPath", False, PATH, 1, 512),
    )
    row = get(ctx, "user", str(params["UserName"]))
    new_name = str(params.get("NewUserName") or row["name"])
    new_path = str(params.get("NewPath") or row["path"])
    if new_name.lower() != row["name_key"] and find(ctx, "user", new_name) is not None:
        raise already_exists(f"User with name {new_name} already exists.")
    if (new_name, new_path) != (row["name"], row["path"]):
        ctx.authorize("iam:UpdateUser", iam_arn(ctx.account_id, "user", new_path, new_name))
    iam_store.rename_user(ctx.tx, ctx.account_id, row["name_key"], name=new_name, path=new_path)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteUser",
    action="iam:DeleteUser",
    resource=resource("user", "UserName"),
    condition_keys=entity_keys("user", "UserName"),
    resource_policy=resource_tags("user", "UserName"),
    writes=True,
)
def delete_user(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128))
    row = get(ctx, "user", str(params["UserName"]))
    where = {"account_id": ctx.account_id, "user_key": row["name_key"]}
    owned = {"account_id": ctx.account_id, "principal_type": "user", "principal_key": row["name_key"]}
    if iam_store.count(ctx.tx, schema.login_profiles, **where):
        raise delete_conflict("Cannot delete entity, must delete login profile first.")
    if iam_store.count(ctx.tx, schema.access_keys, **where):
        raise delete_conflict("Cannot delete entity, must delete access keys first.")
    if iam_store.count(ctx.tx, schema.mfa_devices, **where):
        raise delete_conflict("Cannot delete entity, must delete MFA device first.")
    if iam_store.count(ctx.tx, schema.signing_certificates, **where):
        raise delete_conflict("Cannot delete entity, must delete signing certificates first.")
    if iam_store.count(ctx.tx, schema.ssh_public_keys, **where):
        raise delete_conflict("Cannot delete entity, must delete SSH public keys first.")
    if iam_store.count(ctx.tx, schema.service_credentials, **where):
        raise delete_conflict("Cannot delete entity, must delete service specific credentials first.")
    if iam_store.count(ctx.tx, schema.inline_policies, **owned):
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    if iam_store.count(ctx.tx, schema.attachments, **owned):
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    if iam_store.count(ctx.tx, schema.group_members, **where):
        raise delete_conflict("Cannot delete entity, must remove users from group first.")
    iam_store.drop_tags(ctx.tx, ctx.account_id, "user", row["name_key"])
    iam_store.remove(ctx.tx, schema.sessions, **where)
    iam_store.remove(ctx.tx, schema.users, account_id=ctx.account_id, name_key=row["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


register_tag_operations(
    "User",
    tagged="user",
    param="UserName",
    rule=name_rule("UserName", 128),
    find_key=lambda ctx, name: str(get(ctx, "user", name)["name_key"]),
    resource=resource("user", "UserName"),
    resource_policy=resource_tags("user", "UserName"),
    entity_keys=entity_keys("user", "UserName"),
)
