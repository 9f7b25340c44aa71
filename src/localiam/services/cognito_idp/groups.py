"""A pool's groups: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups,
AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser, ListUsersInGroup (Cognito
API Reference; Developer Guide ``cognito-user-pools-user-groups``).

A group may carry an IAM role (``RoleArn``) and a ``Precedence`` (0 or more, lower wins): a
user's tokens list the groups (``cognito:groups``), their roles (``cognito:roles``) and the role
of the group with the lowest precedence (``cognito:preferred_role``), which identity pools use.
A name that exists is ``GroupExistsException`` "A group with the name NAME already exists."; a
missing one ``ResourceNotFoundException`` "Group not found.".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localiam.services.base import Handler, OperationContext, Params, Result
from localiam.services.cognito_idp._service import (
    SERVICE,
    error,
    find_pool,
    invalid_parameter,
    not_found,
    page,
    pool_id_param,
    pool_resource,
    pool_tags,
    timestamp,
)
from localiam.services.cognito_idp.users import describe_user, require_user
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row


def _operation(name: str, *, writes: bool = True) -> Callable[[Handler], Handler]:
    return SERVICE.operation(
        name, action=f"cognito-idp:{name}", resource=pool_resource, resource_policy=pool_tags, writes=writes
    )


def _describe(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "GroupName": row["name"],
        "UserPoolId": row["pool_id"],
        "CreationDate": timestamp(float(row["created_at"])),
        "LastModifiedDate": timestamp(float(row["updated_at"])),
    }
    for member, column in (("Description", "description"), ("RoleArn", "role_arn"), ("Precedence", "precedence")):
        if row[column] is not None:
            out[member] = row[column]
    return out


def _find(ctx: OperationContext, pool: Row, name: Any) -> Row:
    row = iam_store.one(ctx.tx, schema.cognito_groups, pool_id=pool["id"], name=name) if isinstance(name, str) else None
    if row is None:
        raise not_found("Group not found.")
    return row


def _role_and_precedence(params: Params) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "RoleArn" in params:
        arn = params["RoleArn"]
        if not isinstance(arn, str) or ":role/" not in arn:
            raise invalid_parameter(f"Invalid RoleArn: {arn}")
        values["role_arn"] = arn
    if "Precedence" in params:
        values["precedence"] = int(params["Precedence"])
    if "Description" in params:
        values["description"] = str(params["Description"])
    return values


@_operation("CreateGroup")
def create_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    name = params.get("GroupName")
    if not isinstance(name, str) or not name:
        raise invalid_parameter("GroupName cannot be empty.")
    if iam_store.one(ctx.tx, schema.cognito_groups, pool_id=pool["id"], name=name) is not None:
        raise error("GroupExistsException", f"A group with the name {name} already exists.")
    iam_store.add(
        ctx.tx,
        schema.cognito_groups,
        pool_id=pool["id"],
        name=name,
        description=None,
        role_arn=None,
        precedence=None,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    values = _role_and_precedence(params)
    if values:
        iam_store.change(ctx.tx, schema.cognito_groups, {"pool_id": pool["id"], "name": name}, **values)
    ctx.tx.touch(ctx.account_id)
    return {"Group": _describe(_find(ctx, pool, name))}


@_operation("GetGroup", writes=False)
def get_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    return {"Group": _describe(_find(ctx, pool, params.get("GroupName")))}


@_operation("UpdateGroup")
def update_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = _find(ctx, pool, params.get("GroupName"))
    key = {"pool_id": pool["id"], "name": row["name"]}
    iam_store.change(ctx.tx, schema.cognito_groups, key, updated_at=ctx.now, **_role_and_precedence(params))
    ctx.tx.touch(ctx.account_id)
    return {"Group": _describe(_find(ctx, pool, row["name"]))}


@_operation("DeleteGroup")
def delete_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = _find(ctx, pool, params.get("GroupName"))
    iam_store.remove(ctx.tx, schema.cognito_groups, pool_id=pool["id"], name=row["name"])
    iam_store.remove(ctx.tx, schema.cognito_group_members, pool_id=pool["id"], group_name=row["name"])
    ctx.tx.touch(ctx.account_id)
    return {}


@_operation("ListGroups", writes=False)
def list_groups(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    rows = iam_store.rows(ctx.tx, schema.cognito_groups, order_by=("created_at", "name"), pool_id=pool["id"])
    chunk, following = page(rows, params, limit_member="Limit")
    out: Result = {"Groups": [_describe(r) for r in chunk]}
    if following:
        out["NextToken"] = following
    return out


@_operation("AdminAddUserToGroup")
def admin_add_user_to_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    user = require_user(ctx, pool, params.get("Username"))
    group = _find(ctx, pool, params.get("GroupName"))
    key = {"pool_id": pool["id"], "group_name": group["name"], "username": user["username"]}
    if iam_store.one(ctx.tx, schema.cognito_group_members, **key) is None:
        iam_store.add(ctx.tx, schema.cognito_group_members, **key)
    ctx.tx.touch(ctx.account_id)
    return {}


@_operation("AdminRemoveUserFromGroup")
def admin_remove_user_from_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    user = require_user(ctx, pool, params.get("Username"))
    group = _find(ctx, pool, params.get("GroupName"))
    iam_store.remove(
        ctx.tx, schema.cognito_group_members, pool_id=pool["id"], group_name=group["name"], username=user["username"]
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@_operation("AdminListGroupsForUser", writes=False)
def admin_list_groups_for_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    user = require_user(ctx, pool, params.get("Username"))
    names = {
        m["group_name"]
        for m in iam_store.rows(ctx.tx, schema.cognito_group_members, pool_id=pool["id"], username=user["username"])
    }
    rows = [
        r
        for r in iam_store.rows(ctx.tx, schema.cognito_groups, order_by=("created_at", "name"), pool_id=pool["id"])
        if r["name"] in names
    ]
    chunk, following = page(rows, params, limit_member="Limit")
    out: Result = {"Groups": [_describe(r) for r in chunk]}
    if following:
        out["NextToken"] = following
    return out


@_operation("ListUsersInGroup", writes=False)
def list_users_in_group(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    group = _find(ctx, pool, params.get("GroupName"))
    members = {
        m["username"]
        for m in iam_store.rows(ctx.tx, schema.cognito_group_members, pool_id=pool["id"], group_name=group["name"])
    }
    rows = [
        r
        for r in iam_store.rows(ctx.tx, schema.cognito_users, order_by=("created_at", "username"), pool_id=pool["id"])
        if r["username"] in members
    ]
    chunk, following = page(rows, params, limit_member="Limit")
    out: Result = {"Users": [describe_user(r, for_admin=False) for r in chunk]}
    if following:
        out["NextToken"] = following
    return out
