"""Account-wide views: ``ListEntitiesForPolicy`` (who uses a managed policy, as a permissions
policy or as a permissions boundary) and ``GetAccountAuthorizationDetails`` (every user,
group, role and managed policy with their policies; IAM API Reference).

``GetAccountAuthorizationDetails`` lists the customer managed policies of the account and the
AWS managed policies the account uses; each role lists the instance profiles it is in.
"""

from __future__ import annotations

from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import ARN_RULE, PATH, SERVICE, Rule, encode_document, paginate, validate
from localiam.services.iam.entities import boundary_shape, group_shape, role_shape, tag_list, user_shape
from localiam.services.iam.instance_profiles import profile_shape, profiles_of_role
from localiam.services.iam.managed import (
    all_policies,
    find_policy,
    get_policy,
    policy_shape,
    usage_counts,
    version_shape,
    versions,
)
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
USAGE_FILTERS = ("PermissionsPolicy", "PermissionsBoundary")


@SERVICE.operation(
    "ListEntitiesForPolicy", action="iam:ListEntitiesForPolicy", resource=lambda ctx, p: str(p.get("PolicyArn") or "")
)
def list_entities_for_policy(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        ARN_RULE,
        Rule("EntityFilter", enum=ENTITY_FILTERS),
        Rule("PathPrefix", False, PATH, 1, 512),
        Rule("PolicyUsageFilter", enum=USAGE_FILTERS),
    )
    policy = get_policy(ctx, str(params["PolicyArn"]))
    wanted = params.get("EntityFilter")
    usage = params.get("PolicyUsageFilter")
    prefix = params.get("PathPrefix") or "/"
    keys: dict[str, set[str]] = {"group": set(), "user": set(), "role": set()}
    if usage != "PermissionsBoundary":
        for row in iam_store.rows(ctx.tx, schema.attachments, account_id=ctx.account_id, policy_arn=policy["arn"]):
            keys[row["principal_type"]].add(row["principal_key"])
    if usage != "PermissionsPolicy":
        for kind, table in (("user", schema.users), ("role", schema.roles)):
            for row in iam_store.rows(ctx.tx, table, account_id=ctx.account_id, boundary_arn=policy["arn"]):
                keys[kind].add(row["name_key"])
    entities: list[tuple[str, Row]] = []
    for kind, table in (("group", schema.groups), ("user", schema.users), ("role", schema.roles)):
        if wanted and wanted.lower() != kind:
            continue
        found = iam_store.rows(
            ctx.tx, table, order_by=("name_key",), account_id=ctx.account_id, name_key=tuple(keys[kind])
        )
        entities += [(kind, r) for r in found if str(r["path"]).startswith(prefix)]
    page, more = paginate(entities, params)
    id_column = {"group": "group_id", "user": "user_id", "role": "role_id"}
    out: Result = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for kind, row in page:
        title = kind.title()
        out[f"Policy{title}s"].append({f"{title}Name": row["name"], f"{title}Id": row[id_column[kind]]})
    return {**out, **more}


def _inline(ctx: OperationContext, kind: str, key: str) -> list[dict[str, str]]:
    rows = iam_store.rows(
        ctx.tx,
        schema.inline_policies,
        order_by=("name_key",),
        account_id=ctx.account_id,
        principal_type=kind,
        principal_key=key,
    )
    return [{"PolicyName": r["name"], "PolicyDocument": encode_document(r["document"])} for r in rows]


def _attached(ctx: OperationContext, kind: str, key: str) -> list[dict[str, str]]:
    out = []
    rows = iam_store.rows(
        ctx.tx,
        schema.attachments,
        order_by=("attached_at", "policy_arn"),
        account_id=ctx.account_id,
        principal_type=kind,
        principal_key=key,
    )
    for row in rows:
        policy = find_policy(ctx, row["policy_arn"])
        if policy is not None:
            out.append({"PolicyName": policy["name"], "PolicyArn": policy["arn"]})
    return out


def _user_detail(ctx: OperationContext, row: Row) -> Result:
    out = user_shape(ctx, row)
    out["UserPolicyList"] = _inline(ctx, "user", row["name_key"])
    memberships = iam_store.rows(ctx.tx, schema.group_members, account_id=ctx.account_id, user_key=row["name_key"])
    groups = iam_store.rows(
        ctx.tx,
        schema.groups,
        order_by=("name_key",),
        account_id=ctx.account_id,
        name_key=tuple(m["group_key"] for m in memberships),
    )
    out["GroupList"] = [g["name"] for g in groups]
    out["AttachedManagedPolicies"] = _attached(ctx, "user", row["name_key"])
    if row["boundary_arn"]:
        out["PermissionsBoundary"] = boundary_shape(row["boundary_arn"])
    tags = iam_store.tags_of(ctx.tx, ctx.account_id, "user", row["name_key"])
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def _group_detail(ctx: OperationContext, row: Row) -> Result:
    out = group_shape(ctx, row)
    out["GroupPolicyList"] = _inline(ctx, "group", row["name_key"])
    out["AttachedManagedPolicies"] = _attached(ctx, "group", row["name_key"])
    return out


def _role_detail(ctx: OperationContext, row: Row) -> Result:
    full = role_shape(ctx, row, details=True)
    out = {k: full[k] for k in ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument")}
    out["InstanceProfileList"] = [profile_shape(ctx, p) for p in profiles_of_role(ctx, row["name_key"])]
    out["RolePolicyList"] = _inline(ctx, "role", row["name_key"])
    out["AttachedManagedPolicies"] = _attached(ctx, "role", row["name_key"])
    for key in ("PermissionsBoundary", "Tags", "RoleLastUsed"):
        if key in full:
            out[key] = full[key]
    return out


def _policy_detail(ctx: OperationContext, row: Row, counts: Any) -> Result:
    out = policy_shape(ctx, row, counts, details=True)
    out.pop("Tags", None)
    out["PolicyVersionList"] = [version_shape(row, v) for v in versions(ctx, row)]
    return out


@SERVICE.operation(
    "GetAccountAuthorizationDetails", action="iam:GetAccountAuthorizationDetails", resource=lambda ctx, p: "*"
)
def get_account_authorization_details(ctx: OperationContext, params: Params) -> Result:
    filters = params.get("Filter") or list(ENTITY_FILTERS)
    validate(
        {}, extra=[(f"filter.{i}.member", f, Rule("F", True, enum=ENTITY_FILTERS)) for i, f in enumerate(filters, 1)]
    )
    items: list[tuple[str, Row]] = []
    for kind, table, name in (
        ("user", schema.users, "User"),
        ("group", schema.groups, "Group"),
        ("role", schema.roles, "Role"),
    ):
        if name in filters:
            items += [
                (kind, r) for r in iam_store.rows(ctx.tx, table, order_by=("name_key",), account_id=ctx.account_id)
            ]
    counts = usage_counts(ctx)
    attached, boundaries = counts
    for row in sorted(all_policies(ctx), key=lambda r: (r["name"].lower(), r["arn"])):
        if row["aws_managed"]:
            if "AWSManagedPolicy" in filters and (attached.get(row["arn"]) or boundaries.get(row["arn"])):
                items.append(("policy", row))
        elif "LocalManagedPolicy" in filters:
            items.append(("policy", row))
    page, more = paginate(items, params)
    shapers = {"user": _user_detail, "group": _group_detail, "role": _role_detail}
    out: Result = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    lists = {"user": "UserDetailList", "group": "GroupDetailList", "role": "RoleDetailList", "policy": "Policies"}
    for kind, row in page:
        shaped = _policy_detail(ctx, row, counts) if kind == "policy" else shapers[kind](ctx, row)
        out[lists[kind]].append(shaped)
    return {**out, **more}
