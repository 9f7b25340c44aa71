"""Managed policies attached to users, groups and roles, and permissions boundaries:
``Attach``/``Detach``/``ListAttached`` + ``UserPolicies``/``GroupPolicies``/``RolePolicies``,
``Put``/``Delete`` + ``UserPermissionsBoundary``/``RolePermissionsBoundary`` (IAM API
Reference; ``access_policies_boundaries``).

AWS's wording, as observed: attaching an unknown policy, "Policy ARN does not exist or is not
attachable."; detaching one that is not attached, "Policy ARN was not found."; a missing
boundary policy, "Scope ARN: ARN does not exist or is not attachable."; the quota
(``reference_iam-quotas``, 10 managed policies per user, group or role), "Cannot exceed quota
for PoliciesPerRole: 10". ``iam:PolicyARN`` is the condition key of attach and detach;
``iam:PermissionsBoundary`` the boundary a request sets or the one the entity has.
"""

from __future__ import annotations

from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    ARN_RULE,
    POLICY_PATH,
    SERVICE,
    Rule,
    limit_exceeded,
    name_rule,
    no_such_entity,
    paginate,
    validate,
)
from localiam.services.iam.entities import entity_keys, get, merged, resource, resource_tags
from localiam.services.iam.managed import attachable, boundary_policy, find_policy
from localiam.services.iam.users import boundary_key
from localiam.state import iam_store, schema

MAX_ATTACHED = 10
OWNERS = (("user", "User", 64), ("group", "Group", 128), ("role", "Role", 64))


def _register(kind: str, title: str, name_max: int) -> None:
    param = f"{title}Name"
    arn = resource(kind, param)
    facts = resource_tags(kind, param) if kind != "group" else None
    keys = entity_keys(kind, param, boundary=kind != "group", policy_arn=True)

    def owner(ctx: OperationContext, params: Params) -> dict[str, str]:
        row = get(ctx, kind, str(params[param]))
        return {"account_id": ctx.account_id, "principal_type": kind, "principal_key": row["name_key"]}

    def attach(ctx: OperationContext, params: Params) -> Result:
        """Attaching a policy twice is not an error."""
        validate(params, name_rule(param, name_max), ARN_RULE)
        where = owner(ctx, params)
        policy = attachable(ctx, str(params["PolicyArn"]))
        ctx.tx.touch(ctx.account_id)
        if iam_store.count(ctx.tx, schema.attachments, policy_arn=policy["arn"], **where):
            return {}
        if iam_store.count(ctx.tx, schema.attachments, **where) >= MAX_ATTACHED:
            raise limit_exceeded(f"Cannot exceed quota for PoliciesPer{title}: {MAX_ATTACHED}")
        iam_store.add(ctx.tx, schema.attachments, policy_arn=policy["arn"], attached_at=ctx.now, **where)
        ctx.tx.touch(ctx.account_id)
        return {}

    def detach(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max), ARN_RULE)
        where = owner(ctx, params)
        policy_arn = str(params["PolicyArn"])
        if not iam_store.remove(ctx.tx, schema.attachments, policy_arn=policy_arn, **where):
            raise no_such_entity(f"Policy {policy_arn} was not found.")
        ctx.tx.touch(ctx.account_id)
        return {}

    def list_attached(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max), Rule("PathPrefix", False, POLICY_PATH, 1, 512))
        where = owner(ctx, params)
        prefix = params.get("PathPrefix") or "/"
        attached = []
        for row in iam_store.rows(ctx.tx, schema.attachments, order_by=("attached_at", "policy_arn"), **where):
            policy = find_policy(ctx, row["policy_arn"])
            if policy is not None and str(policy["path"]).startswith(prefix):
                attached.append({"PolicyName": policy["name"], "PolicyArn": policy["arn"]})
        page, more = paginate(attached, params)
        return {"AttachedPolicies": page, **more}

    SERVICE.operation(
        f"Attach{title}Policy",
        action=f"iam:Attach{title}Policy",
        resource=arn,
        condition_keys=keys,
        resource_policy=facts,
        writes=True,
    )(attach)
    SERVICE.operation(
        f"Detach{title}Policy",
        action=f"iam:Detach{title}Policy",
        resource=arn,
        condition_keys=keys,
        resource_policy=facts,
        writes=True,
    )(detach)
    SERVICE.operation(
        f"ListAttached{title}Policies",
        action=f"iam:ListAttached{title}Policies",
        resource=arn,
        condition_keys=entity_keys(kind, param),
        resource_policy=facts,
    )(list_attached)


def _register_boundary(kind: str, title: str) -> None:
    param = f"{title}Name"
    arn = resource(kind, param)
    facts = resource_tags(kind, param)
    table = schema.users if kind == "user" else schema.roles

    def put(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param), Rule("PermissionsBoundary", True, None, 20, 2048))
        row = get(ctx, kind, str(params[param]))
        policy = boundary_policy(ctx, str(params["PermissionsBoundary"]))
        iam_store.change(
            ctx.tx, table, {"account_id": ctx.account_id, "name_key": row["name_key"]}, boundary_arn=policy["arn"]
        )
        ctx.tx.touch(ctx.account_id)
        return {}

    def delete(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param))
        row = get(ctx, kind, str(params[param]))
        iam_store.change(ctx.tx, table, {"account_id": ctx.account_id, "name_key": row["name_key"]}, boundary_arn=None)
        ctx.tx.touch(ctx.account_id)
        return {}

    SERVICE.operation(
        f"Put{title}PermissionsBoundary",
        action=f"iam:Put{title}PermissionsBoundary",
        resource=arn,
        condition_keys=merged(entity_keys(kind, param), boundary_key),
        resource_policy=facts,
        writes=True,
    )(put)
    SERVICE.operation(
        f"Delete{title}PermissionsBoundary",
        action=f"iam:Delete{title}PermissionsBoundary",
        resource=arn,
        condition_keys=entity_keys(kind, param, boundary=True),
        resource_policy=facts,
        writes=True,
    )(delete)


for _kind, _title, _max in OWNERS:
    _register(_kind, _title, _max)
for _kind, _title in (("user", "User"), ("role", "Role")):
    _register_boundary(_kind, _title)
