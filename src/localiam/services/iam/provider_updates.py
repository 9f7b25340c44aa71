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
from collections.abc import Callable

from localiam.services.base import OperationContext, Params, ResourcePolicy, ResourcePolicyOf, Result
from localiam.services.iam.common import SERVICE, Rule, invalid_input, limit_exceeded, validate
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
from localiam.services.iam.tagging import FindKey, register_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

OIDC = "oidc-provider"
SAML = "saml-provider"
CLIENT_ID_RULE = Rule("ClientID", True, None, 1, 255)

_oidc_arn = _arn_param("OpenIDConnectProviderArn")


def _provider_tags(resource_type: str, param: str) -> ResourcePolicyOf:
    """The provider's tags, for ``aws:ResourceTag/${TagKey}``; no resource-based policy."""

    def facts(ctx: OperationContext, params: Params) -> ResourcePolicy:
        arn = params.get(param)
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, resource_type, arn)) if isinstance(arn, str) else {}
        return ResourcePolicy(None, None, tags=tags)

    return facts


_oidc_tags = _provider_tags(OIDC, "OpenIDConnectProviderArn")
RowOf = Callable[[OperationContext, str], Row]


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


# --------------------------------------------------------------------------- tags of both kinds
def _arn_key(find: RowOf) -> FindKey:
    """A provider's tags are stored under its ARN."""
    return lambda ctx, arn: str(find(ctx, arn)["arn"])


for _kind, _tagged, _param, _rule, _find in (
    ("OpenIDConnectProvider", OIDC, "OpenIDConnectProviderArn", OIDC_ARN_RULE, _oidc),
    ("SAMLProvider", SAML, "SAMLProviderArn", SAML_ARN_RULE, _saml),
):
    register_tag_operations(
        _kind,
        tagged=_tagged,
        param=_param,
        rule=_rule,
        find_key=_arn_key(_find),
        resource=_arn_param(_param),
        resource_policy=_provider_tags(_tagged, _param),
    )
