"""A table's time to live and tags: UpdateTimeToLive, DescribeTimeToLive (``TTL``), TagResource,
UntagResource, ListTagsOfResource (``Tagging``). Items whose TTL attribute, a number of epoch
seconds, is in the past are no longer returned by any read."""

from __future__ import annotations

import json
from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.dynamodb._service import SERVICE, TableRef, find_table, load_table, not_found, table_ref
from localiam.services.dynamodb.access import authorize_action, authorize_table, resource_policy
from localiam.services.dynamodb.values import validation
from localiam.state import dynamodb_store


def _named(action: str) -> Any:
    def check(ctx: OperationContext, _op: Any, params: Params) -> None:
        authorize_table(ctx, action, table_ref(ctx, params.get("TableName")))

    return check


@SERVICE.operation("UpdateTimeToLive", action="dynamodb:UpdateTimeToLive", writes=True,
                   authorizer=_named("UpdateTimeToLive"))  # fmt: skip
def update_time_to_live(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, table_ref(ctx, params.get("TableName")))
    spec = params.get("TimeToLiveSpecification") or {}
    enabled = bool(spec.get("Enabled"))
    name = str(spec.get("AttributeName") or "")
    current = table.config.get("TimeToLive") or {}
    if enabled and current.get("TimeToLiveStatus") == "ENABLED":
        raise validation("TimeToLive is already enabled")
    if not enabled and current.get("TimeToLiveStatus") != "ENABLED":
        raise validation("TimeToLive is already disabled")
    config = dict(table.config)
    config["TimeToLive"] = (
        {"TimeToLiveStatus": "ENABLED", "AttributeName": name} if enabled else {"TimeToLiveStatus": "DISABLED"}
    )
    dynamodb_store.change_table(ctx.tx, table.ref.account, table.ref.region, table.ref.name, config=json.dumps(config))
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}}


@SERVICE.operation("DescribeTimeToLive", action="dynamodb:DescribeTimeToLive", authorizer=_named("DescribeTimeToLive"))
def describe_time_to_live(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, table_ref(ctx, params.get("TableName")))
    ttl = table.config.get("TimeToLive") or {"TimeToLiveStatus": "DISABLED"}
    return {"TimeToLiveDescription": ttl}


def _arn_ref(ctx: OperationContext, params: Params) -> TableRef:
    arn = str(params.get("ResourceArn") or "")
    base = arn.split("/index/", 1)[0].split("/stream/", 1)[0]
    if not base.startswith("arn:"):
        raise validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    return table_ref(ctx, base, "resourceArn")


def _tagging(action: str) -> Any:
    def check(ctx: OperationContext, _op: Any, params: Params) -> None:
        ref = _arn_ref(ctx, params)
        context: dict[str, str | list[str]] = {}
        tags = params.get("Tags")
        if tags:
            context = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags}
            context["aws:TagKeys"] = [t["Key"] for t in tags]
        elif params.get("TagKeys"):
            context["aws:TagKeys"] = list(params["TagKeys"])
        table = load_table(ctx, ref)
        policy = resource_policy(ctx, table, ref)
        authorize_action(
            ctx, f"dynamodb:{action}", str(params.get("ResourceArn")), context=context, resource_policy=policy
        )
        if table is None:
            raise not_found(f"Requested resource not found: ResourcArn: {params.get('ResourceArn')} not found")

    return check


@SERVICE.operation("TagResource", action="dynamodb:TagResource", writes=True, authorizer=_tagging("TagResource"))
def tag_resource(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, _arn_ref(ctx, params))
    tags = dict(table.tags)
    tags.update({t["Key"]: t["Value"] for t in params.get("Tags") or []})
    if len(tags) > 50:
        raise validation("One or more parameter values were invalid: Too many tags")
    dynamodb_store.change_table(ctx.tx, table.ref.account, table.ref.region, table.ref.name, tags=json.dumps(tags))
    return {}


@SERVICE.operation("UntagResource", action="dynamodb:UntagResource", writes=True, authorizer=_tagging("UntagResource"))
def untag_resource(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, _arn_ref(ctx, params))
    tags = {k: v for k, v in table.tags.items() if k not in set(params.get("TagKeys") or [])}
    dynamodb_store.change_table(ctx.tx, table.ref.account, table.ref.region, table.ref.name, tags=json.dumps(tags))
    return {}


@SERVICE.operation("ListTagsOfResource", action="dynamodb:ListTagsOfResource",
                   authorizer=_tagging("ListTagsOfResource"))  # fmt: skip
def list_tags_of_resource(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, _arn_ref(ctx, params))
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(table.tags.items())]}
