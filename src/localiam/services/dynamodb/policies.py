"""Resource-based policies of tables and streams: PutResourcePolicy, GetResourcePolicy,
DeleteResourcePolicy (``access-control-resource-based``, ``rbac-create-table``). A table's
policy also governs its indexes (a statement names ``table/T/index/*``); the engine evaluates it
with the caller's policies, so another account gets in only when both allow
(``rbac-cross-account-access``). Each put makes a new ``RevisionId``; ``ExpectedRevisionId``
must match the current one (``PolicyNotFoundException`` when there is no policy)."""

from __future__ import annotations

import json
import time
from typing import Any

from localiam.policy.model import PolicyType
from localiam.policy.validate import validate_policy
from localiam.services.base import OperationContext, Params, Result
from localiam.services.dynamodb._service import (
    SERVICE,
    Table,
    TableRef,
    error,
    find_table,
    load_table,
    not_found,
    table_ref,
)
from localiam.services.dynamodb.access import authorize_action, resource_policy
from localiam.services.dynamodb.values import validation
from localiam.state import dynamodb_store

MAX_POLICY = 20 * 1024


def checked_policy(text: str) -> dict[str, Any]:
    if len(text.encode()) > MAX_POLICY:
        raise validation(f"Policy size {len(text.encode())} exceeds the maximum allowed size of 20 KB")
    checked = validate_policy(text, PolicyType.RESOURCE, with_lint=False)
    if checked.value is None:
        raise validation(f"Invalid policy document: {checked.errors[0].message}")
    return {"Policy": text, "RevisionId": str(time.time_ns())}


def _target(ctx: OperationContext, params: Params) -> tuple[TableRef, str, str]:
    """The table, which policy of it (``table`` or ``stream``) and the ARN named."""
    arn = str(params.get("ResourceArn") or "")
    which = "stream" if "/stream/" in arn else "table"
    if "/index/" in arn:
        raise validation(f"Invalid ResourceArn provided as input {arn}: indexes use the table's policy")
    base = arn.split("/stream/", 1)[0]
    if not base.startswith("arn:"):
        raise validation(f"Invalid ResourceArn provided as input {arn}")
    return table_ref(ctx, base, "resourceArn"), which, arn


def _authorizer(action: str) -> Any:
    def check(ctx: OperationContext, _op: Any, params: Params) -> None:
        ref, which, arn = _target(ctx, params)
        table = load_table(ctx, ref)
        authorize_action(ctx, f"dynamodb:{action}", arn, resource_policy=resource_policy(ctx, table, ref, which))
        if table is None:
            raise not_found(f"Requested resource not found: Table: {ref.name} not found")

    return check


def _save(ctx: OperationContext, table: Table, policy: dict[str, Any]) -> None:
    dynamodb_store.change_table(
        ctx.tx, table.ref.account, table.ref.region, table.ref.name, policy=json.dumps(policy) if policy else None
    )


@SERVICE.operation("PutResourcePolicy", action="dynamodb:PutResourcePolicy", writes=True,
                   authorizer=_authorizer("PutResourcePolicy"))  # fmt: skip
def put_resource_policy(ctx: OperationContext, params: Params) -> Result:
    ref, which, arn = _target(ctx, params)
    table = find_table(ctx, ref)
    existing = table.policy.get(which)
    expected = params.get("ExpectedRevisionId")
    if expected is not None:
        if existing is None:
            raise error(
                "PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}"
            )
        if expected != existing["RevisionId"]:
            raise error(
                "PolicyNotFoundException",
                f"Resource-based policy not found for the provided ResourceArn: Requested update for policy with "
                f"revision id {expected}, but the policy associated to target table {ref.name} has revision id "
                f"{existing['RevisionId']}.",
            )
    entry = checked_policy(str(params.get("Policy") or ""))
    policy = dict(table.policy)
    policy[which] = entry
    _save(ctx, table, policy)
    return {"RevisionId": entry["RevisionId"]}


@SERVICE.operation(
    "GetResourcePolicy", action="dynamodb:GetResourcePolicy", authorizer=_authorizer("GetResourcePolicy")
)
def get_resource_policy(ctx: OperationContext, params: Params) -> Result:
    ref, which, arn = _target(ctx, params)
    entry = find_table(ctx, ref).policy.get(which)
    if entry is None:
        raise error("PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}")
    return {"Policy": entry["Policy"], "RevisionId": entry["RevisionId"]}


@SERVICE.operation("DeleteResourcePolicy", action="dynamodb:DeleteResourcePolicy", writes=True,
                   authorizer=_authorizer("DeleteResourcePolicy"))  # fmt: skip
def delete_resource_policy(ctx: OperationContext, params: Params) -> Result:
    ref, which, arn = _target(ctx, params)
    table = find_table(ctx, ref)
    entry = table.policy.get(which)
    if entry is None:
        raise error("PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}")
    expected = params.get("ExpectedRevisionId")
    if expected is not None and expected != entry["RevisionId"]:
        raise error("PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}")
    policy = {k: v for k, v in table.policy.items() if k != which}
    _save(ctx, table, policy)
    return {"RevisionId": entry["RevisionId"]}
