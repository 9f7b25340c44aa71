"""Users, groups and roles: finding them by name, shaping them as IAM's API returns them, their
tags, and the authorization facts operations declare about them (resource ARN, resource
tags, current permissions boundary).

Shapes: IAM API Reference ``API_User``, ``API_Group``, ``API_Role``. List operations return a
subset (``API_ListUsers``: "This operation does not return the following attributes ...
PermissionsBoundary, Tags"; ``API_ListRoles``: "PermissionsBoundary, RoleLastUsed, Tags").
Condition keys: Service Authorization Reference ``list_awsidentityandaccessmanagementiam``
(``iam:ResourceTag/${TagKey}``, ``iam:PermissionsBoundary``, ``aws:RequestTag/${TagKey}``,
``aws:TagKeys``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from localiam.engine import PrincipalKind
from localiam.errors import client_error
from localiam.services.base import (
    Handler,
    KeysOf,
    OperationContext,
    Params,
    ResourceOf,
    ResourcePolicy,
    ResourcePolicyOf,
    Result,
)
from localiam.services.iam.common import (
    NAME,
    PATH,
    SERVICE,
    TAG_KEY,
    TAG_VALUE,
    Rule,
    encode_document,
    iam_arn,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

KINDS = {"user": schema.users, "group": schema.groups, "role": schema.roles}
_NOUN = {"user": "user", "group": "group", "role": "role"}
MAX_TAGS = 50


# --------------------------------------------------------------------------- lookups
def find(ctx: OperationContext, kind: str, name: str) -> Row | None:
    return iam_store.one(ctx.tx, KINDS[kind], account_id=ctx.account_id, name_key=name.lower())


def get(ctx: OperationContext, kind: str, name: str) -> Row:
    """The user, group or role called ``name``; ``NoSuchEntity`` in AWS's words otherwise."""
    row = find(ctx, kind, name)
    if row is None:
        raise no_such_entity(f"The {_NOUN[kind]} with name {name} cannot be found.")
    return row


def arn_of(account_id: str, kind: str, row: Mapping[str, Any]) -> str:
    return iam_arn(account_id, kind, str(row["path"]), str(row["name"]))


def caller_user_name(ctx: OperationContext, params: Params) -> str | None:
    """``UserName`` when given, else the calling IAM user's name; ``None`` for the root user.
    Other callers must name the user (IAM's wording for ``GetUser``, ``CreateAccessKey`` ...)."""
    name = params.get("UserName")
    if name:
        return str(name)
    caller = ctx.caller
    if caller is not None and caller.user_key is not None and caller.principal.kind is PrincipalKind.USER:
        return caller.principal.name
    if caller is not None and caller.principal.kind is PrincipalKind.ROOT:
        return None
    raise client_error("ValidationError", "Must specify userName when calling with non-User credentials", 400)


# --------------------------------------------------------------------------- shapes
def tag_list(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs]


def boundary_shape(arn: str) -> dict[str, str]:
    """``API_AttachedPermissionsBoundary``. The model's enum says ``PermissionsBoundaryPolicy``
    but IAM answers ``Policy`` (GetRole output quoted in awsdocs/iam-user-guide#82, which the
    documentation text confirms: "This data type can only have a value of Policy")."""
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def user_shape(ctx: OperationContext, row: Row, *, details: bool = False) -> Result:
    out: Result = {
        "Path": row["path"],
        "UserName": row["name"],
        "UserId": row["user_id"],
        "Arn": arn_of(ctx.account_id, "user", row),
        "CreateDate": timestamp(row["created_at"]),
    }
    if details:
        if row["boundary_arn"]:
            out["PermissionsBoundary"] = boundary_shape(row["boundary_arn"])
        tags = iam_store.tags_of(ctx.tx, ctx.account_id, "user", row["name_key"])
        if tags:
            out["Tags"] = tag_list(tags)
    return out


def group_shape(ctx: OperationContext, row: Row) -> Result:
    return {
        "Path": row["path"],
        "GroupName": row["name"],
        "GroupId": row["group_id"],
        "Arn": arn_of(ctx.account_id, "group", row),
        "CreateDate": timestamp(row["created_at"]),
    }


def role_shape(ctx: OperationContext, row: Row, *, details: bool = False) -> Result:
    out: Result = {
        "Path": row["path"],
        "RoleName": row["name"],
        "RoleId": row["role_id"],
        "Arn": arn_of(ctx.account_id, "role", row),
        "CreateDate": timestamp(row["created_at"]),
        "AssumeRolePolicyDocument": encode_document(row["trust_policy"]),
    }
    if row["description"] is not None:
        out["Description"] = row["description"]
    out["MaxSessionDuration"] = row["max_session_duration"]
    if details:
        if row["boundary_arn"]:
            out["PermissionsBoundary"] = boundary_shape(row["boundary_arn"])
        tags = iam_store.tags_of(ctx.tx, ctx.account_id, "role", row["name_key"])
        if tags:
            out["Tags"] = tag_list(tags)
        last: Result = {}
        if row["last_used_at"] is not None:
            last = {"LastUsedDate": timestamp(row["last_used_at"]), "Region": ctx.region}
        out["RoleLastUsed"] = last
    return out


# --------------------------------------------------------------------------- tags
def check_tags(params: Params, param: str = "Tags") -> list[tuple[str, str]]:
    """Validate a ``Tags`` list (``API_Tag``); duplicate keys differ only by case are refused."""
    raw = params.get(param) or []
    extra: list[tuple[str, Any, Rule]] = []
    at = param[:1].lower() + param[1:]
    if len(raw) > MAX_TAGS:
        extra.append((at, raw, Rule(param, max_len=MAX_TAGS)))
    pairs = []
    for i, tag in enumerate(raw, 1):
        key, value = tag.get("Key"), tag.get("Value")
        extra.append((f"{at}.{i}.member.key", key, Rule("Key", True, TAG_KEY, 1, 128)))
        extra.append((f"{at}.{i}.member.value", value, Rule("Value", True, TAG_VALUE, 0, 256)))
        pairs.append((str(key), str(value)))
    validate({}, extra=[(a, v if not isinstance(v, list) else str(v), r) for a, v, r in extra])
    if len({k.lower() for k, _ in pairs}) != len(pairs):
        raise invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return pairs


def add_tags(ctx: OperationContext, resource_type: str, resource_key: str, pairs: list[tuple[str, str]]) -> None:
    current = {k.lower() for k, _ in iam_store.tags_of(ctx.tx, ctx.account_id, resource_type, resource_key)}
    if len(current | {k.lower() for k, _ in pairs}) > MAX_TAGS:
        raise limit_exceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    iam_store.put_tags(ctx.tx, ctx.account_id, resource_type, resource_key, pairs)
    ctx.tx.touch(ctx.account_id)


def check_tag_keys(params: Params) -> list[str]:
    keys = params.get("TagKeys") or []
    validate(
        params,
        Rule("TagKeys", True),
        extra=[(f"tagKeys.{i}.member", k, Rule("K", True, TAG_KEY, 1, 128)) for i, k in enumerate(keys, 1)],
    )
    return [str(k) for k in keys]


def list_tags(ctx: OperationContext, resource_type: str, resource_key: str, params: Params) -> Result:
    pairs = iam_store.tags_of(ctx.tx, ctx.account_id, resource_type, resource_key)
    page, more = paginate(pairs, params, key=lambda kv: kv[0].lower())
    return {"Tags": tag_list(page), **more}


def request_tag_keys(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` for operations that take ``Tags``."""
    tags = [t for t in params.get("Tags") or [] if isinstance(t, Mapping) and "Key" in t]
    if not tags:
        return {}
    out: dict[str, str | list[str]] = {f"aws:RequestTag/{t['Key']}": str(t.get("Value", "")) for t in tags}
    out["aws:TagKeys"] = [str(t["Key"]) for t in tags]
    return out


def tag_keys_key(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``aws:TagKeys`` for ``Untag*``."""
    return {"aws:TagKeys": [str(k) for k in params.get("TagKeys") or []]}


# --------------------------------------------------------------------------- authorization facts
def resource(kind: str, param: str) -> ResourceOf:
    """The ARN of the user, group or role the request names (its real path when it exists).

    The name and path are validated here, before authorization: AWS rejects a malformed
    request with ``ValidationError`` before it evaluates any policy."""

    def arn(ctx: OperationContext, params: Params) -> str:
        validate(params, Rule(param, False, NAME, 1, 128), Rule("Path", False, PATH, 1, 512))
        name = params.get(param)
        if kind == "user" and not name:
            name = caller_user_name(ctx, params)
            if name is None:
                return f"arn:aws:iam::{ctx.account_id}:root"
        row = find(ctx, kind, str(name or ""))
        return arn_of(ctx.account_id, kind, row or {"path": params.get("Path") or "/", "name": name or ""})

    return arn


def resource_tags(kind: str, param: str) -> ResourcePolicyOf:
    """IAM users and roles carry tags that ``aws:ResourceTag/${TagKey}`` sees; no
    resource-based policy."""

    def facts(ctx: OperationContext, params: Params) -> ResourcePolicy:
        name = params.get(param) or (caller_user_name(ctx, params) if kind == "user" else None)
        row = find(ctx, kind, str(name)) if name else None
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, kind, row["name_key"])) if row else {}
        return ResourcePolicy(None, None, tags=tags)

    return facts


def entity_keys(kind: str, param: str, *, boundary: bool = False, policy_arn: bool = False) -> KeysOf:
    """``iam:ResourceTag/${TagKey}``, and when asked the entity's current
    ``iam:PermissionsBoundary`` and the request's ``iam:PolicyARN``."""

    def keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
        name = params.get(param) or (caller_user_name(ctx, params) if kind == "user" else None)
        row = find(ctx, kind, str(name)) if name else None
        out: dict[str, str | list[str]] = {}
        if row is not None and kind != "group":
            for k, v in iam_store.tags_of(ctx.tx, ctx.account_id, kind, row["name_key"]):
                out[f"iam:ResourceTag/{k}"] = v
            if boundary and row.get("boundary_arn"):
                out["iam:PermissionsBoundary"] = row["boundary_arn"]
        if policy_arn and params.get("PolicyArn"):
            out["iam:PolicyARN"] = str(params["PolicyArn"])
        return out

    return keys


def merged(*sources: KeysOf) -> KeysOf:
    def keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for source in sources:
            out.update(source(ctx, params))
        return out

    return keys


def user_operation(name: str, *, writes: bool = False) -> Callable[[Handler], Handler]:
    """Register an operation on one user's credentials (``UserName``, the caller when omitted):
    authorized with ``iam:NAME`` on the user's ARN, with the user's tags as
    ``iam:ResourceTag/${TagKey}``."""
    return SERVICE.operation(
        name,
        action=f"iam:{name}",
        resource=resource("user", "UserName"),
        condition_keys=entity_keys("user", "UserName"),
        resource_policy=resource_tags("user", "UserName"),
        writes=writes,
    )
