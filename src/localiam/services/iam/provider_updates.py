"""Changing an identity provider after it is made: an OIDC provider's client ids (audiences)
and thumbprints, and the tags of OIDC and SAML providers.

- ``AddClientIDToOpenIDConnectProvider`` (``API_AddClientIDToOpenIDConnectProvider``): "This
  operation is idempotent; it does not fail or return an error if you add an existing client
  ID to the provider." A provider holds at most 100 client ids (``reference_iam-quotas``,
  "Client IDs per OIDC identity provider"); the 101st is ``LimitExceeded`` with the wording
  ``CreateOpenIDConnectProvider`` uses.
- ``RemoveClientIDFromOpenIDConnectProvider`` (``API_RemoveClientIDFromOpenIDConnectProvider``):
  "This operation is idempotent; it does not fail or return an error if you try to remove a
  client ID that does not exist."
- ``UpdateOpenIDConnectProviderThumbprint`` (``API_UpdateOpenIDConnectProviderThumbprint``):
  "The list that you pass with this operation completely replaces the existing list of
  thumbprints. (The lists are not merged.)" The list is checked as ``CreateOpenIDConnectProvider``
  checks it (at most 5 entries of 40 hexadecimal characters).
- ``TagOpenIDConnectProvider``, ``UntagOpenIDConnectProvider``, ``ListOpenIDConnectProviderTags``,
  ``TagSAMLProvider``, ``UntagSAMLProvider``, ``ListSAMLProviderTags`` (``API_TagOpenIDConnectProvider``
  ...): "If a tag with the same key name already exists, then that tag is overwritten with the
  new value"; at most 50 tags on a provider (``LimitExceeded``); the tag helpers of
  :mod:`localiam.services.iam.entities` give the other IAM ``Tag*`` operations' checks and errors.

Authorization (Service Authorization Reference ``list_awsidentityandaccessmanagementiam``): each
operation's action is ``iam:`` and its name, on the provider's ARN (resource types
``oidc-provider`` and ``saml-provider``, whose condition key is ``aws:ResourceTag/${TagKey}``:
the provider's tags); the ``Tag*`` actions also take ``aws:RequestTag/${TagKey}`` and
``aws:TagKeys``, the ``Untag*`` actions ``aws:TagKeys``.
"""

from __future__ import annotations

import json

from localiam.services.base import OperationContext, Params, ResourcePolicy, ResourcePolicyOf, Result
from localiam.services.iam.common import SERVICE, Rule, invalid_input, limit_exceeded, validate
from localiam.services.iam.entities import (
    add_tags,
    check_tag_keys,
    check_tags,
    list_tags,
    request_tag_keys,
    tag_keys_key,
)
from localiam.services.iam.providers import (
    _THUMBPRINT,
    MAX_CLIENT_IDS,
    MAX_THUMBPRINTS,
    OIDC_ARN_RULE,
    SAML_ARN_RULE,
    _arn_param,
    _oidc,
    _saml,
)
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

OIDC = "oidc-provider"
SAML = "saml-provider"
CLIENT_ID_RULE = Rule("ClientID", True, None, 1, 255)

_oidc_arn = _arn_param("OpenIDConnectProviderArn")
_saml_arn = _arn_param("SAMLProviderArn")


def _provider_tags(resource_type: str, param: str) -> ResourcePolicyOf:
    """The provider's tags, for ``aws:ResourceTag/${TagKey}``; no resource-based policy."""

    def facts(ctx: OperationContext, params: Params) -> ResourcePolicy:
        arn = params.get(param)
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, resource_type, arn)) if isinstance(arn, str) else {}
        return ResourcePolicy(None, None, tags=tags)

    return facts


_oidc_tags = _provider_tags(OIDC, "OpenIDConnectProviderArn")
_saml_tags = _provider_tags(SAML, "SAMLProviderArn")


def _client_ids(row: Row) -> list[str]:
    return [str(c) for c in json.loads(str(row["client_ids"]))]


def _save(ctx: OperationContext, row: Row, **values: str) -> None:
    iam_store.change(ctx.tx, schema.oidc_providers, {"arn": row["arn"]}, **values)
    ctx.tx.touch(ctx.account_id)


# --------------------------------------------------------------------------- OIDC: client ids, thumbprints
@SERVICE.operation(
    "AddClientIDToOpenIDConnectProvider",
    action="iam:AddClientIDToOpenIDConnectProvider",
    resource=_oidc_arn,
    resource_policy=_oidc_tags,
    writes=True,
)
def add_client_id(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE, CLIENT_ID_RULE)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    client_id = str(params["ClientID"])
    client_ids = _client_ids(row)
    if client_id in client_ids:
        return {}
    if len(client_ids) >= MAX_CLIENT_IDS:
        raise limit_exceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    _save(ctx, row, client_ids=json.dumps([*client_ids, client_id]))
    return {}


@SERVICE.operation(
    "RemoveClientIDFromOpenIDConnectProvider",
    action="iam:RemoveClientIDFromOpenIDConnectProvider",
    resource=_oidc_arn,
    resource_policy=_oidc_tags,
    writes=True,
)
def remove_client_id(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE, CLIENT_ID_RULE)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    client_id = str(params["ClientID"])
    client_ids = _client_ids(row)
    if client_id in client_ids:
        _save(ctx, row, client_ids=json.dumps([c for c in client_ids if c != client_id]))
    return {}


@SERVICE.operation(
    "UpdateOpenIDConnectProviderThumbprint",
    action="iam:UpdateOpenIDConnectProviderThumbprint",
    resource=_oidc_arn,
    resource_policy=_oidc_tags,
    writes=True,
)
def update_thumbprint(ctx: OperationContext, params: Params) -> Result:
    raw = params.get("ThumbprintList")
    thumbprints = [str(t) for t in raw] if isinstance(raw, list) else []
    validate(
        params,
        OIDC_ARN_RULE,
        Rule("ThumbprintList", True),
        extra=[(f"thumbprintList.{i}.member", t, Rule("T", True, None, 40, 40)) for i, t in enumerate(thumbprints, 1)],
    )
    if len(thumbprints) > MAX_THUMBPRINTS or any(not _THUMBPRINT.fullmatch(t) for t in thumbprints):
        raise invalid_input("Thumbprint list must contain fewer than 5 entries of 40 hexadecimal characters.")
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    _save(ctx, row, thumbprints=json.dumps(thumbprints))
    return {}


# --------------------------------------------------------------------------- OIDC: tags
@SERVICE.operation(
    "TagOpenIDConnectProvider",
    action="iam:TagOpenIDConnectProvider",
    resource=_oidc_arn,
    condition_keys=request_tag_keys,
    resource_policy=_oidc_tags,
    writes=True,
)
def tag_oidc_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE, Rule("Tags", True))
    tags = check_tags(params)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    add_tags(ctx, OIDC, str(row["arn"]), tags)
    return {}


@SERVICE.operation(
    "UntagOpenIDConnectProvider",
    action="iam:UntagOpenIDConnectProvider",
    resource=_oidc_arn,
    condition_keys=tag_keys_key,
    resource_policy=_oidc_tags,
    writes=True,
)
def untag_oidc_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE)
    keys = check_tag_keys(params)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    iam_store.drop_tags(ctx.tx, ctx.account_id, OIDC, str(row["arn"]), keys)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListOpenIDConnectProviderTags",
    action="iam:ListOpenIDConnectProviderTags",
    resource=_oidc_arn,
    resource_policy=_oidc_tags,
)
def list_oidc_provider_tags(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    return list_tags(ctx, OIDC, str(row["arn"]), params)


# --------------------------------------------------------------------------- SAML: tags
@SERVICE.operation(
    "TagSAMLProvider",
    action="iam:TagSAMLProvider",
    resource=_saml_arn,
    condition_keys=request_tag_keys,
    resource_policy=_saml_tags,
    writes=True,
)
def tag_saml_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, SAML_ARN_RULE, Rule("Tags", True))
    tags = check_tags(params)
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    add_tags(ctx, SAML, str(row["arn"]), tags)
    return {}


@SERVICE.operation(
    "UntagSAMLProvider",
    action="iam:UntagSAMLProvider",
    resource=_saml_arn,
    condition_keys=tag_keys_key,
    resource_policy=_saml_tags,
    writes=True,
)
def untag_saml_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, SAML_ARN_RULE)
    keys = check_tag_keys(params)
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    iam_store.drop_tags(ctx.tx, ctx.account_id, SAML, str(row["arn"]), keys)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListSAMLProviderTags",
    action="iam:ListSAMLProviderTags",
    resource=_saml_arn,
    resource_policy=_saml_tags,
)
def list_saml_provider_tags(ctx: OperationContext, params: Params) -> Result:
    validate(params, SAML_ARN_RULE)
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    return list_tags(ctx, SAML, str(row["arn"]), params)
