"""``Tag{Kind}``, ``Untag{Kind}`` and ``List{Kind}Tags``: one shape for every taggable IAM
entity (users, roles, customer managed policies, instance profiles, server certificates, virtual
MFA devices, OIDC and SAML providers). Each validates the entity's parameter, finds the entity
(``NoSuchEntity`` as its kind words it), then changes or lists the rows of the ``tags`` table
under the entity's resource type and key (``id_tags``: at most 50 tags, keys case-insensitive).
Tagging is authorized with ``aws:RequestTag/*`` and ``aws:TagKeys``, untagging with
``aws:TagKeys``, and all three with the entity's own keys where it has them
(``iam:ResourceTag/*`` through ``resource_policy``)."""

from __future__ import annotations

from collections.abc import Callable

from localiam.services.base import KeysOf, OperationContext, Params, ResourceOf, ResourcePolicyOf, Result
from localiam.services.iam.common import SERVICE, Rule, validate
from localiam.services.iam.entities import (
    add_tags,
    check_tag_keys,
    check_tags,
    list_tags,
    merged,
    request_tag_keys,
    tag_keys_key,
)
from localiam.state import iam_store

FindKey = Callable[[OperationContext, str], str]
"""``(ctx, the entity's parameter) -> the key its tags are stored under``; raises when the
entity does not exist."""


def register_tag_operations(
    kind: str,
    *,
    tagged: str,
    param: str,
    rule: Rule,
    find_key: FindKey,
    resource: ResourceOf,
    resource_policy: ResourcePolicyOf,
    entity_keys: KeysOf | None = None,
) -> None:
    """Register the three tag operations of ``kind`` (``"User"``: ``TagUser``, ``UntagUser``,
    ``ListUserTags``), whose tags are stored under resource type ``tagged``."""

    def tag(ctx: OperationContext, params: Params) -> Result:
        validate(params, rule, Rule("Tags", True))
        tags = check_tags(params)
        add_tags(ctx, tagged, find_key(ctx, str(params[param])), tags)
        return {}

    def untag(ctx: OperationContext, params: Params) -> Result:
        validate(params, rule)
        keys = check_tag_keys(params)
        iam_store.drop_tags(ctx.tx, ctx.account_id, tagged, find_key(ctx, str(params[param])), keys)
        ctx.tx.touch(ctx.account_id)
        return {}

    def list_entity_tags(ctx: OperationContext, params: Params) -> Result:
        validate(params, rule)
        return list_tags(ctx, tagged, find_key(ctx, str(params[param])), params)

    def keys(extra: KeysOf) -> KeysOf:
        return merged(entity_keys, extra) if entity_keys is not None else extra

    SERVICE.operation(
        f"Tag{kind}",
        action=f"iam:Tag{kind}",
        resource=resource,
        condition_keys=keys(request_tag_keys),
        resource_policy=resource_policy,
        writes=True,
    )(tag)
    SERVICE.operation(
        f"Untag{kind}",
        action=f"iam:Untag{kind}",
        resource=resource,
        condition_keys=keys(tag_keys_key),
        resource_policy=resource_policy,
        writes=True,
    )(untag)
    SERVICE.operation(
        f"List{kind}Tags",
        action=f"iam:List{kind}Tags",
        resource=resource,
        condition_keys=entity_keys,
        resource_policy=resource_policy,
    )(list_entity_tags)
