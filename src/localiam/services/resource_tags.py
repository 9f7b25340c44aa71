"""``TagResource``, ``UntagResource`` and ``ListTagsForResource`` for services whose tags are a
map (``{"key": "value"}``) on a resource named by its ARN: Cognito user pools and identity
pools. The tags live in the store's ``tags`` table under the resource's type and id, at most
50 per resource; tagging is authorized with ``aws:RequestTag/*`` and ``aws:TagKeys``, untagging
with ``aws:TagKeys``; the resource's own tags are ``aws:ResourceTag/*`` (``resource_policy``)."""

from __future__ import annotations

from collections.abc import Callable

from localiam.errors import AwsError
from localiam.services.base import KeysOf, OperationContext, Params, ResourceOf, ResourcePolicyOf, Result, Service
from localiam.state import iam_store

MAX_TAGS = 50


def tag_keys(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``aws:TagKeys`` of an ``UntagResource``."""
    return {"aws:TagKeys": [str(k) for k in params.get("TagKeys") or []]}


def register_resource_tag_operations(
    service: Service,
    *,
    tagged: str,
    find_id: Callable[[OperationContext, Params], str],
    resource: ResourceOf,
    resource_policy: ResourcePolicyOf,
    request_tags: KeysOf,
    too_many: Callable[[], AwsError],
) -> None:
    """Register the three operations on ``service``; ``find_id`` checks the request's
    ``ResourceArn`` (raising the service's not-found error) and returns the id the tags are
    stored under; ``too_many`` is the service's error for more than 50 tags."""
    prefix = service.name

    def tag_resource(ctx: OperationContext, params: Params) -> Result:
        resource_id = find_id(ctx, params)
        tags = {str(k): str(v) for k, v in (params.get("Tags") or {}).items()}
        existing = dict(iam_store.tags_of(ctx.tx, ctx.account_id, tagged, resource_id))
        if len({**existing, **tags}) > MAX_TAGS:
            raise too_many()
        iam_store.put_tags(ctx.tx, ctx.account_id, tagged, resource_id, tags.items())
        ctx.tx.touch(ctx.account_id)
        return {}

    def untag_resource(ctx: OperationContext, params: Params) -> Result:
        resource_id = find_id(ctx, params)
        keys = [str(k) for k in params.get("TagKeys") or []]
        iam_store.drop_tags(ctx.tx, ctx.account_id, tagged, resource_id, keys)
        ctx.tx.touch(ctx.account_id)
        return {}

    def list_tags_for_resource(ctx: OperationContext, params: Params) -> Result:
        resource_id = find_id(ctx, params)
        return {"Tags": dict(iam_store.tags_of(ctx.tx, ctx.account_id, tagged, resource_id))}

    service.operation(
        "TagResource",
        action=f"{prefix}:TagResource",
        resource=resource,
        resource_policy=resource_policy,
        condition_keys=request_tags,
        writes=True,
    )(tag_resource)
    service.operation(
        "UntagResource",
        action=f"{prefix}:UntagResource",
        resource=resource,
        resource_policy=resource_policy,
        condition_keys=tag_keys,
        writes=True,
    )(untag_resource)
    service.operation(
        "ListTagsForResource",
        action=f"{prefix}:ListTagsForResource",
        resource=resource,
        resource_policy=resource_policy,
    )(list_tags_for_resource)
