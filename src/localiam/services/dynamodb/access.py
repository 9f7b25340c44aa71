"""How a DynamoDB request is authorized (``specifying-conditions``, "Using IAM policy
conditions for fine-grained access control"; ``list_amazondynamodb``): the action on the table
or index ARN, with DynamoDB's condition keys, and the table's resource-based policy
(``access-control-resource-based``), which lets another account in when both sides allow
(``rbac-cross-account-access``).

- ``dynamodb:LeadingKeys``: the partition key values the request reads or writes. Batches and
  transactions are authorized item by item, each item with its own partition key.
- ``dynamodb:Attributes``: the top-level attribute names the request names: the item's
  attributes (PutItem), the key attributes and the attributes an update expression names
  (UpdateItem), the key attributes and the projection (GetItem, Query, Scan).
- ``dynamodb:Select``: ``SPECIFIC_ATTRIBUTES`` with a projection, else the request's ``Select``,
  else ``ALL_ATTRIBUTES`` (``ALL_PROJECTED_ATTRIBUTES`` on an index): what the attribute
  example's ``StringEqualsIfExists {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}`` needs to refuse a
  read of every attribute.
- ``dynamodb:ReturnValues`` and ``dynamodb:ReturnConsumedCapacity``: the request's values,
  ``NONE`` when not given.
- ``dynamodb:EnclosingOperation``: ``TransactWriteItems`` / ``TransactGetItems`` for the
  items of a transaction (``transaction-apis-iam``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from localiam.errors import AccessDenied, AwsError
from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, ResourcePolicy
from localiam.services.dynamodb._service import Table, TableRef, load_table, not_found


@dataclass(frozen=True, slots=True)
class ItemAccess:
    leading_keys: tuple[str, ...] | None = None
    attributes: tuple[str, ...] | None = None
    select: str | None = None
    return_values: str | None = None
    return_consumed_capacity: str | None = None
    enclosing: str | None = None

    def context(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        if self.leading_keys is not None:
            out["dynamodb:LeadingKeys"] = list(self.leading_keys)
        if self.attributes is not None:
            out["dynamodb:Attributes"] = sorted(set(self.attributes))
        if self.select is not None:
            out["dynamodb:Select"] = self.select
        if self.return_values is not None:
            out["dynamodb:ReturnValues"] = self.return_values
        if self.return_consumed_capacity is not None:
            out["dynamodb:ReturnConsumedCapacity"] = self.return_consumed_capacity
        if self.enclosing is not None:
            out["dynamodb:EnclosingOperation"] = self.enclosing
        return out


def resource_policy(ctx: OperationContext, table: Table | None, ref: TableRef, which: str = "table") -> ResourcePolicy:
    """The table's (or its stream's) resource-based policy and tags; a missing table has none."""
    if table is None:
        return ResourcePolicy(None, ref.account)
    entry = table.policy.get(which)
    compiled = None
    if entry:
        name = ref.arn if which == "table" else f"{ref.arn} {which}"
        compiled = ctx.authz.policies.get(f"{name} resource policy", entry["Policy"], PolicyType.RESOURCE)
    return ResourcePolicy(compiled, ref.account, tags=dict(table.tags))


def authorize_action(
    ctx: OperationContext,
    action: str,
    resource: str,
    *,
    context: Mapping[str, str | list[str]] | None = None,
    resource_policy: ResourcePolicy | None = None,
) -> None:
    """``ctx.authorize``, with DynamoDB's answer to a denial: ``AccessDeniedException`` with
    AWS's message and HTTP 400, as DynamoDB sends it (``CommonErrors``)."""
    try:
        ctx.authorize(action, resource, context=context, resource_policy=resource_policy)
    except AccessDenied as denied:
        raise AwsError(denied.message, code="AccessDeniedException", status=400) from None


def authorize(
    ctx: OperationContext,
    action: str,
    ref: TableRef,
    table: Table | None,
    access: ItemAccess = ItemAccess(),
    *,
    index: str | None = None,
    resource: str | None = None,
) -> None:
    """One check: ``action`` on the table (or ``index``) ARN with ``access``'s keys."""
    arn = resource or (ref.index_arn(index) if index else ref.arn)
    authorize_action(
        ctx, f"dynamodb:{action}", arn, context=access.context(), resource_policy=resource_policy(ctx, table, ref)
    )


def authorize_table(
    ctx: OperationContext, action: str, ref: TableRef, access: ItemAccess = ItemAccess(), *, index: str | None = None
) -> Table:
    """Authorize ``action`` on the table, then find it: a caller who may not act on a missing
    table is refused, one who may is told it does not exist."""
    table = load_table(ctx, ref)
    authorize(ctx, action, ref, table, access, index=index)
    if table is None:
        raise not_found(f"Requested resource not found: Table: {ref.name} not found")
    return table


def top_level(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
