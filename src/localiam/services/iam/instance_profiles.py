"""Instance profiles: ``CreateInstanceProfile``, ``GetInstanceProfile``,
``ListInstanceProfiles``, ``DeleteInstanceProfile``, ``AddRoleToInstanceProfile``,
``RemoveRoleFromInstanceProfile``, ``ListInstanceProfilesForRole`` and their tags (IAM API
Reference ``API_CreateInstanceProfile`` ...; shape ``API_InstanceProfile``).

An instance profile holds at most one role (``API_AddRoleToInstanceProfile``: "An instance
profile can contain only one role, and this quota cannot be increased"; AWS: "Cannot exceed
quota for InstanceSessionsPerInstanceProfile: 1", also when the role is already the one in it;
an account holds 1,000 profiles: "Cannot exceed quota for InstanceProfilesPerAccount: 1000"),
and adding a role needs ``iam:PassRole`` on it ("The caller of this operation must be granted
the PassRole permission on the IAM role by a permissions policy"), passed to EC2 with
``iam:AssociatedResourceArn`` ``arn:aws:ec2:*:ACCOUNT:instance/*`` as that page prescribes.
``DeleteInstanceProfile`` refuses while a role is in it ("Cannot delete entity, must remove
roles from instance profile first."), and ``DeleteRole`` refuses while the role is in a profile
(``roles.py``). Unique ids start with ``AIPA`` (``reference_identifiers``).
"""

from __future__ import annotations

from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.iam.common import (
    NAME,
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
    timestamp,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    check_tags,
    get,
    request_tag_keys,
    resource,
    resource_tags,
    role_shape,
    tag_list,
)
from localiam.services.iam.tagging import register_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

KIND = "instance-profile"
QUOTA = 1000
PATH_RULE = Rule("Path", False, PATH, 1, 512)


def find_profile(ctx: OperationContext, name: str) -> Row | None:
    return iam_store.one(ctx.tx, schema.instance_profiles, account_id=ctx.account_id, name_key=name.lower())


def get_profile(ctx: OperationContext, name: str) -> Row:
    row = find_profile(ctx, name)
    if row is None:
        raise no_such_entity(f"Instance Profile {name} cannot be found.")
    return row


def _arn(ctx: OperationContext, row: Row) -> str:
    return f"arn:aws:iam::{ctx.account_id}:{KIND}{row['path']}{row['name']}"


def _resource(ctx: OperationContext, params: Params) -> str:
    validate(params, Rule("InstanceProfileName", False, NAME, 1, 128), PATH_RULE)
    name = str(params.get("InstanceProfileName") or "")
    row = find_profile(ctx, name)
    return _arn(ctx, row or {"path": params.get("Path") or "/", "name": name})


def _tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    row = find_profile(ctx, str(params.get("InstanceProfileName") or ""))
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])) if row else {}
    return ResourcePolicy(None, None, tags=tags)


def _tag_keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``aws:ResourceTag/${TagKey}``: instance profiles are taggable resources."""
    row = find_profile(ctx, str(params.get("InstanceProfileName") or ""))
    if row is None:
        return {}
    return {f"aws:ResourceTag/{k}": v for k, v in iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])}


def role_keys_in(ctx: OperationContext, profile_key: str) -> list[str]:
    found = iam_store.rows(ctx.tx, schema.instance_profile_roles, account_id=ctx.account_id, profile_key=profile_key)
    return [r["role_key"] for r in found]


def profile_shape(ctx: OperationContext, row: Row, *, with_tags: bool = True) -> Result:
    roles = [get(ctx, "role", key) for key in sorted(role_keys_in(ctx, row["name_key"]))]
    out: Result = {
        "Path": row["path"],
        "InstanceProfileName": row["name"],
        "InstanceProfileId": row["profile_id"],
        "Arn": _arn(ctx, row),
        "CreateDate": timestamp(row["created_at"]),
        "Roles": [role_shape(ctx, r) for r in roles],
    }
    if with_tags:
        tags = iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])
        if tags:
            out["Tags"] = tag_list(tags)
    return out


def profiles_of_role(ctx: OperationContext, role_key: str) -> list[Row]:
    keys = [
        r["profile_key"]
        for r in iam_store.rows(ctx.tx, schema.instance_profile_roles, account_id=ctx.account_id, role_key=role_key)
    ]
    if not keys:
        return []
    return iam_store.rows(
        ctx.tx, schema.instance_profiles, order_by=("name_key",), account_id=ctx.account_id, name_key=tuple(keys)
    )


@SERVICE.operation(
    "CreateInstanceProfile",
    action="iam:CreateInstanceProfile",
    condition_keys=request_tag_keys,
    writes=True,
    resource=_resource,
    resource_policy=_tags,
)
def create_instance_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("InstanceProfileName", 128), PATH_RULE)
    tags = check_tags(params)
    name = str(params["InstanceProfileName"])
    if find_profile(ctx, name) is not None:
        raise already_exists(f"Instance Profile {name} already exists.")
    if iam_store.count(ctx.tx, schema.instance_profiles, account_id=ctx.account_id) >= QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for InstanceProfilesPerAccount: {QUOTA}")
    iam_store.add(
        ctx.tx,
        schema.instance_profiles,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        profile_id=new_id("AIPA"),
        path=params.get("Path") or "/",
        created_at=ctx.now,
    )
    if tags:
        add_tags(ctx, KIND, name.lower(), tags)
    ctx.tx.touch(ctx.account_id)
    return {"InstanceProfile": profile_shape(ctx, get_profile(ctx, name))}


@SERVICE.operation(
    "GetInstanceProfile",
    action="iam:GetInstanceProfile",
    condition_keys=_tag_keys,
    resource=_resource,
    resource_policy=_tags,
)
def get_instance_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("InstanceProfileName", 128))
    return {"InstanceProfile": profile_shape(ctx, get_profile(ctx, str(params["InstanceProfileName"])))}


@SERVICE.operation("ListInstanceProfiles", action="iam:ListInstanceProfiles", resource=listing_resource(KIND))
def list_instance_profiles(ctx: OperationContext, params: Params) -> Result:
    """``API_ListInstanceProfiles``: "This operation does not return ... Tags"."""
    page, more = list_by_path(ctx, params, schema.instance_profiles)
    return {"InstanceProfiles": [profile_shape(ctx, r, with_tags=False) for r in page], **more}


@SERVICE.operation(
    "DeleteInstanceProfile",
    action="iam:DeleteInstanceProfile",
    condition_keys=_tag_keys,
    writes=True,
    resource=_resource,
    resource_policy=_tags,
)
def delete_instance_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("InstanceProfileName", 128))
    row = get_profile(ctx, str(params["InstanceProfileName"]))
    if role_keys_in(ctx, row["name_key"]):
        raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
    iam_store.drop_tags(ctx.tx, ctx.account_id, KIND, row["name_key"])
    iam_store.remove(ctx.tx, schema.instance_profiles, account_id=ctx.account_id, name_key=row["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "AddRoleToInstanceProfile",
    action="iam:AddRoleToInstanceProfile",
    condition_keys=_tag_keys,
    writes=True,
    resource=_resource,
    resource_policy=_tags,
)
def add_role_to_instance_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("InstanceProfileName", 128), name_rule("RoleName"))
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    role = get(ctx, "role", str(params["RoleName"]))
    if role_keys_in(ctx, profile["name_key"]):
        # The same role again is the same answer (observed: coreos/mantle#1058).
        raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    ctx.authorize(
        "iam:PassRole",
        iam_arn(ctx.account_id, "role", role["path"], role["name"]),
        context={
            "iam:PassedToService": "ec2.amazonaws.com",
            "iam:AssociatedResourceArn": f"arn:aws:ec2:*:{ctx.account_id}:instance/*",
        },
    )
    iam_store.add(
        ctx.tx,
        schema.instance_profile_roles,
        account_id=ctx.account_id,
        profile_key=profile["name_key"],
        role_key=role["name_key"],
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "RemoveRoleFromInstanceProfile",
    action="iam:RemoveRoleFromInstanceProfile",
    condition_keys=_tag_keys,
    writes=True,
    resource=_resource,
    resource_policy=_tags,
)
def remove_role_from_instance_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("InstanceProfileName", 128), name_rule("RoleName"))
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    role = get(ctx, "role", str(params["RoleName"]))
    removed = iam_store.remove(
        ctx.tx,
        schema.instance_profile_roles,
        account_id=ctx.account_id,
        profile_key=profile["name_key"],
        role_key=role["name_key"],
    )
    if not removed:
        raise no_such_entity(f"The role with name {role['name']} cannot be found.")
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListInstanceProfilesForRole",
    action="iam:ListInstanceProfilesForRole",
    resource=resource("role", "RoleName"),
    resource_policy=resource_tags("role", "RoleName"),
)
def list_instance_profiles_for_role(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("RoleName"))
    role = get(ctx, "role", str(params["RoleName"]))
    page, more = paginate(profiles_of_role(ctx, role["name_key"]), params, key=lambda r: str(r["name_key"]))
    return {"InstanceProfiles": [profile_shape(ctx, r, with_tags=False) for r in page], **more}


register_tag_operations(
    "InstanceProfile",
    tagged=KIND,
    param="InstanceProfileName",
    rule=name_rule("InstanceProfileName", 128),
    find_key=lambda ctx, name: str(get_profile(ctx, name)["name_key"]),
    resource=_resource,
    resource_policy=_tags,
    entity_keys=_tag_keys,
)
