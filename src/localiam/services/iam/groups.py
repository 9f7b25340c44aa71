"""IAM groups and their members: ``CreateGroup``, ``GetGroup``, ``ListGroups``,
``UpdateGroup``, ``DeleteGroup``, ``AddUserToGroup``, ``RemoveUserFromGroup``, ``ListGroupsForUser``
(IAM API Reference).

Quota (``reference_iam-quotas``): a user belongs to at most 10 groups ("Cannot exceed quota
for GroupsPerUser: 10"). ``DeleteGroup`` refuses while the group has members ("Cannot delete
entity, must remove users from group first."), inline policies or attached policies.
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
    limit_exceeded,
    list_by_path,
    listing_resource,
    name_rule,
    new_id,
    no_such_entity,
    paginate,
    validate,
)
from localiam.services.iam.entities import entity_keys, find, get, group_shape, resource, resource_tags, user_shape
from localiam.state import iam_store, schema

GROUPS_PER_USER = 10


@SERVICE.operation("CreateGroup", action="iam:CreateGroup", resource=resource("group", "GroupName"), writes=True)
def create_group(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("GroupName", 128), Rule("Path", False, PATH, 1, 512))
    name = str(params["GroupName"])
    if find(ctx, "group", name) is not None:
        raise already_exists(f"Group with name {name} already exists.")
    iam_store.add(
        ctx.tx,
        schema.groups,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        group_id=new_id("AGPA"),
        path=params.get("Path") or "/",
        created_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)
    return {"Group": group_shape(ctx, get(ctx, "group", name))}


@SERVICE.operation("GetGroup", action="iam:GetGroup", resource=resource("group", "GroupName"))
def get_group(ctx: OperationContext, params: Params) -> Result:
    """The group and its users, paginated over the users."""
    validate(params, name_rule("GroupName", 128))
    group = get(ctx, "group", str(params["GroupName"]))
    keys = [
        m["user_key"]
        for m in iam_store.rows(ctx.tx, schema.group_members, account_id=ctx.account_id, group_key=group["name_key"])
    ]
    users = iam_store.rows(
        ctx.tx, schema.users, order_by=("name_key",), account_id=ctx.account_id, name_key=tuple(keys)
    )
    page, more = paginate(users, params, key=lambda r: str(r["name_key"]))
    return {"Group": group_shape(ctx, group), "Users": [user_shape(ctx, u) for u in page], **more}


@SERVICE.operation("ListGroups", action="iam:ListGroups", resource=listing_resource("group"))
def list_groups(ctx: OperationContext, params: Params) -> Result:
    page, more = list_by_path(ctx, params, schema.groups)
    return {"Groups": [group_shape(ctx, r) for r in page], **more}


@SERVICE.operation("DeleteGroup", action="iam:DeleteGroup", resource=resource("group", "GroupName"), writes=True)
def delete_group(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("GroupName", 128))
    group = get(ctx, "group", str(params["GroupName"]))
    owned = {"account_id": ctx.account_id, "principal_type": "group", "principal_key": group["name_key"]}
    if iam_store.count(ctx.tx, schema.group_members, account_id=ctx.account_id, group_key=group["name_key"]):
        raise delete_conflict("Cannot delete entity, must remove users from group first.")
    if iam_store.count(ctx.tx, schema.inline_policies, **owned):
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    if iam_store.count(ctx.tx, schema.attachments, **owned):
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    iam_store.remove(ctx.tx, schema.groups, account_id=ctx.account_id, name_key=group["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("AddUserToGroup", action="iam:AddUserToGroup", resource=resource("group", "GroupName"), writes=True)
def add_user_to_group(ctx: OperationContext, params: Params) -> Result:
    """Adding a member twice is not an error."""
    validate(params, name_rule("GroupName", 128), name_rule("UserName", 128))
    group = get(ctx, "group", str(params["GroupName"]))
    user = get(ctx, "user", str(params["UserName"]))
    membership = {"account_id": ctx.account_id, "group_key": group["name_key"], "user_key": user["name_key"]}
    ctx.tx.touch(ctx.account_id)
    if iam_store.count(ctx.tx, schema.group_members, **membership):
        return {}
    if (
        iam_store.count(ctx.tx, schema.group_members, account_id=ctx.account_id, user_key=user["name_key"])
        >= GROUPS_PER_USER
    ):
        raise limit_exceeded(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")
    iam_store.add(ctx.tx, schema.group_members, added_at=ctx.now, **membership)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "RemoveUserFromGroup", action="iam:RemoveUserFromGroup", resource=resource("group", "GroupName"), writes=True
)
def remove_user_from_group(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("GroupName", 128), name_rule("UserName", 128))
    group = get(ctx, "group", str(params["GroupName"]))
    user = get(ctx, "user", str(params["UserName"]))
    removed = iam_store.remove(
        ctx.tx, schema.group_members, account_id=ctx.account_id, group_key=group["name_key"], user_key=user["name_key"]
    )
    if not removed:
        # API_RemoveUserFromGroup lists NoSuchEntity; the membership is the entity missing.
        raise no_such_entity(f"The user with name {user['name']} cannot be found.")
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("UpdateGroup", action="iam:UpdateGroup", resource=resource("group", "GroupName"), writes=True)
def update_group(ctx: OperationContext, params: Params) -> Result:
    """Renaming or moving a group needs ``iam:UpdateGroup`` on the new ARN too
    (``API_UpdateGroup``: "the requester must have appropriate permissions on both the source
    object and the target object"); members, inline and attached policies follow the name."""
    validate(
        params,
        name_rule("GroupName", 128),
        name_rule("NewGroupName", 128, required=False),
        Rule("NewPath", False, PATH, 1, 512),
    )
    row = get(ctx, "group", str(params["GroupName"]))
    new_name = str(params.get("NewGroupName") or row["name"])
    new_path = str(params.get("NewPath") or row["path"])
    if new_name.lower() != row["name_key"] and find(ctx, "group", new_name) is not None:
        raise already_exists(f"Group with name {new_name} already exists.")
    if (new_name, new_path) != (row["name"], row["path"]):
        ctx.authorize("iam:UpdateGroup", iam_arn(ctx.account_id, "group", new_path, new_name))
    iam_store.rename_group(ctx.tx, ctx.account_id, row["name_key"], name=new_name, path=new_path)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListGroupsForUser",
    action="iam:ListGroupsForUser",
    resource=resource("user", "UserName"),
    condition_keys=entity_keys("user", "UserName"),
    resource_policy=resource_tags("user", "UserName"),
)
def list_groups_for_user(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128))
    user = get(ctx, "user", str(params["UserName"]))
    keys = [
        m["group_key"]
        for m in iam_store.rows(ctx.tx, schema.group_members, account_id=ctx.account_id, user_key=user["name_key"])
    ]
    groups = iam_store.rows(
        ctx.tx, schema.groups, order_by=("name_key",), account_id=ctx.account_id, name_key=tuple(keys)
    )
    page, more = paginate(groups, params, key=lambda r: str(r["name_key"]))
    return {"Groups": [group_shape(ctx, g) for g in page], **more}
