"""Inline policies of users, groups and roles: ``Put``/``Get``/``List``/``Delete`` +
``UserPolicy``, ``GroupPolicy``, ``RolePolicy`` (IAM API Reference ``API_PutUserPolicy`` ...).

Documents are validated as identity policies with the inline size limit of the owner
(``reference_iam-quotas``: user 2,048, group 5,120, role 10,240 characters). A missing policy
reads "The user policy with name NAME cannot be found." (``group policy``, ``role policy``).
"""

from __future__ import annotations

from localiam.policy.model import PolicyType
from localiam.services.base import KeysOf, OperationContext, Params, Result
from localiam.services.iam.common import (
    SERVICE,
    checked_document,
    document_rule,
    encode_document,
    name_rule,
    no_such_entity,
    paginate,
    validate,
)
from localiam.services.iam.entities import entity_keys, get, resource, resource_tags
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

OWNERS = (("user", "User", 128), ("group", "Group", 128), ("role", "Role", 64))


def _register(kind: str, title: str, name_max: int) -> None:
    param = f"{title}Name"
    arn = resource(kind, param)
    facts = resource_tags(kind, param) if kind != "group" else None
    keys: KeysOf = entity_keys(kind, param, boundary=kind != "group")

    def owner(ctx: OperationContext, params: Params) -> dict[str, str]:
        row = get(ctx, kind, str(params[param]))
        return {
            "account_id": ctx.account_id,
            "principal_type": kind,
            "principal_key": row["name_key"],
            "name": row["name"],
        }

    def policy(ctx: OperationContext, params: Params) -> Row:
        where = owner(ctx, params)
        where.pop("name")
        name = str(params["PolicyName"])
        row = iam_store.one(ctx.tx, schema.inline_policies, name_key=name.lower(), **where)
        if row is None:
            raise no_such_entity(f"The {kind} policy with name {name} cannot be found.")
        return row

    def put(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max), name_rule("PolicyName", 128), document_rule("PolicyDocument"))
        where = owner(ctx, params)
        entity = where.pop("name")
        document = checked_document(params, "PolicyDocument", PolicyType.IDENTITY, inline_for=kind, owner=entity)
        name = str(params["PolicyName"])
        if not iam_store.change(
            ctx.tx, schema.inline_policies, {**where, "name_key": name.lower()}, name=name, document=document
        ):
            iam_store.add(ctx.tx, schema.inline_policies, name_key=name.lower(), name=name, document=document, **where)
        ctx.tx.touch(ctx.account_id)
        return {}

    def get_one(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max), name_rule("PolicyName", 128))
        found = policy(ctx, params)
        entity = owner(ctx, params)
        return {
            param: entity["name"],
            "PolicyName": found["name"],
            "PolicyDocument": encode_document(found["document"]),
        }

    def list_names(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max))
        where = owner(ctx, params)
        where.pop("name")
        names = [r["name"] for r in iam_store.rows(ctx.tx, schema.inline_policies, order_by=("name_key",), **where)]
        page, more = paginate(names, params, key=str.lower)
        return {"PolicyNames": page, **more}

    def delete(ctx: OperationContext, params: Params) -> Result:
        validate(params, name_rule(param, name_max), name_rule("PolicyName", 128))
        found = policy(ctx, params)
        iam_store.remove(
            ctx.tx,
            schema.inline_policies,
            account_id=found["account_id"],
            principal_type=kind,
            principal_key=found["principal_key"],
            name_key=found["name_key"],
        )
        ctx.tx.touch(ctx.account_id)
        return {}

    no_keys = entity_keys(kind, param)
    SERVICE.operation(
        f"Put{title}Policy",
        action=f"iam:Put{title}Policy",
        resource=arn,
        condition_keys=keys,
        resource_policy=facts,
        writes=True,
    )(put)
    SERVICE.operation(
        f"Get{title}Policy", action=f"iam:Get{title}Policy", resource=arn, condition_keys=no_keys, resource_policy=facts
    )(get_one)
    SERVICE.operation(
        f"List{title}Policies",
        action=f"iam:List{title}Policies",
        resource=arn,
        condition_keys=no_keys,
        resource_policy=facts,
    )(list_names)
    SERVICE.operation(
        f"Delete{title}Policy",
        action=f"iam:Delete{title}Policy",
        resource=arn,
        condition_keys=keys,
        resource_policy=facts,
        writes=True,
    )(delete)


for _kind, _title, _max in OWNERS:
    _register(_kind, _title, _max)
