"""Identity providers for federation: OpenID Connect (``CreateOpenIDConnectProvider``,
``GetOpenIDConnectProvider``, ``ListOpenIDConnectProviders``, ``DeleteOpenIDConnectProvider``)
and SAML (``CreateSAMLProvider``, ``GetSAMLProvider``, ``UpdateSAMLProvider``,
``ListSAMLProviders``, ``DeleteSAMLProvider``). IAM User Guide ``id_roles_providers_create_oidc`` /
``id_roles_providers_create_saml``.

An OIDC provider is named by its URL without the scheme:
``arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH``; ``GetOpenIDConnectProvider`` reports the URL
the same way. One provider per URL ("Provider with url URL already exists."). Deleting an OIDC
provider that does not exist is not an error (``API_DeleteOpenIDConnectProvider``: "This
operation is idempotent"). A SAML provider is ``arn:aws:iam::ACCOUNT:saml-provider/NAME``;
its metadata is parsed on ``CreateSAMLProvider`` and ``UpdateSAMLProvider``
(:mod:`localiam.services.saml_metadata`): an ``IDPSSODescriptor`` with at least one signing
certificate, or ``InvalidInput`` "Could not parse metadata." (``troubleshoot_saml``).
"""

from __future__ import annotations

import json
import re
import urllib.parse

from localiam.services.base import OperationContext, Params, ResourceOf, Result
from localiam.services.iam.common import (
    SAML_NAME,
    SERVICE,
    Rule,
    already_exists,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    timestamp,
    validate,
)
from localiam.services.iam.entities import add_tags, check_tags, request_tag_keys, tag_list
from localiam.services.saml_metadata import MetadataError, SamlMetadata, parse_metadata
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

OIDC_ARN_RULE = Rule("OpenIDConnectProviderArn", True, None, 20, 2048)
SAML_ARN_RULE = Rule("SAMLProviderArn", True, None, 20, 2048)
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _loopback_http(url: str) -> bool:
    """An ``http://`` URL whose host is this machine (``127.0.0.1``, ``localhost``, ``[::1]``,
    any port): a Keycloak or Dex run next to localiam. AWS accepts only ``https://``
    (``API_CreateOpenIDConnectProvider``: "The URL must begin with https://"); an identity
    provider on the loopback interface is the one exception localiam makes."""
    if not url.lower().startswith("http://"):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        return False
    return parts.hostname in _LOOPBACK_HOSTS


def _oidc_arn(ctx: OperationContext, params: Params) -> str:
    validate(params, Rule("Url", True, None, 1, 255))
    url = str(params.get("Url") or "")
    host_path = url.split("://", 1)[-1].rstrip("/")
    return f"arn:aws:iam::{ctx.account_id}:oidc-provider/{host_path}"


def _arn_param(param: str) -> ResourceOf:
    def arn(_ctx: OperationContext, params: Params) -> str:
        validate(params, Rule(param, True, None, 20, 2048))
        return str(params.get(param) or "")

    return arn


@SERVICE.operation(
    "CreateOpenIDConnectProvider",
    action="iam:CreateOpenIDConnectProvider",
    resource=_oidc_arn,
    condition_keys=request_tag_keys,
    writes=True,
)
def create_oidc_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, Rule("Url", True, None, 1, 255))
    client_ids = [str(c) for c in params.get("ClientIDList") or []]
    thumbprints = [str(t) for t in params.get("ThumbprintList") or []]
    validate(
        {},
        extra=[(f"clientIDList.{i}.member", c, Rule("C", True, None, 1, 255)) for i, c in enumerate(client_ids, 1)]
        + [(f"thumbprintList.{i}.member", t, Rule("T", True, None, 40, 40)) for i, t in enumerate(thumbprints, 1)],
    )
    tags = check_tags(params)
    url = str(params["Url"])
    if not (url.startswith("https://") and len(url) > len("https://")) and not _loopback_http(url):
        raise invalid_input("Invalid Url: the URL must begin with https://")
    if len(client_ids) > MAX_CLIENT_IDS:
        raise limit_exceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    if len(thumbprints) > MAX_THUMBPRINTS or any(not _THUMBPRINT.fullmatch(t) for t in thumbprints):
        raise invalid_input("Thumbprint list must contain fewer than 5 entries of 40 hexadecimal characters.")
    arn = _oidc_arn(ctx, params)
    if iam_store.one(ctx.tx, schema.oidc_providers, arn=arn) is not None:
        raise already_exists(f"Provider with url {url} already exists.")
    iam_store.add(
        ctx.tx,
        schema.oidc_providers,
        arn=arn,
        account_id=ctx.account_id,
        url=url.split("://", 1)[1].rstrip("/"),
        client_ids=json.dumps(list(dict.fromkeys(client_ids))),
        thumbprints=json.dumps(thumbprints),
        created_at=ctx.now,
    )
    if tags:
        add_tags(ctx, "oidc-provider", arn, tags)
    ctx.tx.touch(ctx.account_id)
    out: Result = {"OpenIDConnectProviderArn": arn}
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def _oidc(ctx: OperationContext, arn: str) -> Row:
    row = iam_store.one(ctx.tx, schema.oidc_providers, arn=arn, account_id=ctx.account_id)
    if row is None:
        raise no_such_entity(f"OpenIDConnect Provider not found for arn {arn}")
    return row


@SERVICE.operation(
    "GetOpenIDConnectProvider",
    action="iam:GetOpenIDConnectProvider",
    resource=_arn_param("OpenIDConnectProviderArn"),
)
def get_oidc_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE)
    row = _oidc(ctx, str(params["OpenIDConnectProviderArn"]))
    out: Result = {
        "Url": row["url"],
        "ClientIDList": json.loads(str(row["client_ids"])),
        "ThumbprintList": json.loads(str(row["thumbprints"])),
        "CreateDate": timestamp(row["created_at"]),
    }
    tags = iam_store.tags_of(ctx.tx, ctx.account_id, "oidc-provider", str(row["arn"]))
    if tags:
        out["Tags"] = tag_list(tags)
    return out


@SERVICE.operation("ListOpenIDConnectProviders", action="iam:ListOpenIDConnectProviders", resource=lambda ctx, p: "*")
def list_oidc_providers(ctx: OperationContext, params: Params) -> Result:
    rows = iam_store.rows(ctx.tx, schema.oidc_providers, order_by=("arn",), account_id=ctx.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": r["arn"]} for r in rows]}


@SERVICE.operation(
    "DeleteOpenIDConnectProvider",
    action="iam:DeleteOpenIDConnectProvider",
    resource=_arn_param("OpenIDConnectProviderArn"),
    writes=True,
)
def delete_oidc_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, OIDC_ARN_RULE)
    arn = str(params["OpenIDConnectProviderArn"])
    if iam_store.remove(ctx.tx, schema.oidc_providers, arn=arn, account_id=ctx.account_id):
        iam_store.drop_tags(ctx.tx, ctx.account_id, "oidc-provider", arn)
    ctx.tx.touch(ctx.account_id)
    return {}


# --------------------------------------------------------------------------- SAML
def _saml_arn(ctx: OperationContext, params: Params) -> str:
    validate(params, Rule("Name", True, SAML_NAME, 1, 128))
    return f"arn:aws:iam::{ctx.account_id}:saml-provider/{params.get('Name') or ''}"


def _metadata(params: Params) -> SamlMetadata:
    """The metadata document, parsed; ``InvalidInput`` "Could not parse metadata." otherwise."""
    try:
        return parse_metadata(str(params["SAMLMetadataDocument"]))
    except MetadataError as exc:
        raise invalid_input(str(exc)) from None


@SERVICE.operation(
    "CreateSAMLProvider",
    action="iam:CreateSAMLProvider",
    resource=_saml_arn,
    condition_keys=request_tag_keys,
    writes=True,
)
def create_saml_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, Rule("SAMLMetadataDocument", True, None, 1000, 10000000), Rule("Name", True, SAML_NAME, 1, 128))
    tags = check_tags(params)
    parsed = _metadata(params)
    arn = _saml_arn(ctx, params)
    if iam_store.one(ctx.tx, schema.saml_providers, arn=arn) is not None:
        raise already_exists(f"SAMLProvider named {params['Name']} already exists")
    iam_store.add(
        ctx.tx,
        schema.saml_providers,
        arn=arn,
        account_id=ctx.account_id,
        name=str(params["Name"]),
        metadata_document=str(params["SAMLMetadataDocument"]),
        created_at=ctx.now,
        valid_until=parsed.valid_until,
    )
    if tags:
        add_tags(ctx, "saml-provider", arn, tags)
    ctx.tx.touch(ctx.account_id)
    out: Result = {"SAMLProviderArn": arn}
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def _saml(ctx: OperationContext, arn: str) -> Row:
    row = iam_store.one(ctx.tx, schema.saml_providers, arn=arn, account_id=ctx.account_id)
    if row is None:
        raise no_such_entity(f"Manifest not found for arn {arn}")
    return row


@SERVICE.operation("GetSAMLProvider", action="iam:GetSAMLProvider", resource=_arn_param("SAMLProviderArn"))
def get_saml_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, SAML_ARN_RULE)
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    out: Result = {"SAMLMetadataDocument": row["metadata_document"], "CreateDate": timestamp(row["created_at"])}
    if row["valid_until"] is not None:
        out["ValidUntil"] = timestamp(row["valid_until"])
    tags = iam_store.tags_of(ctx.tx, ctx.account_id, "saml-provider", str(row["arn"]))
    if tags:
        out["Tags"] = tag_list(tags)
    return out


@SERVICE.operation(
    "UpdateSAMLProvider",
    action="iam:UpdateSAMLProvider",
    resource=_arn_param("SAMLProviderArn"),
    writes=True,
)
def update_saml_provider(ctx: OperationContext, params: Params) -> Result:
    """``API_UpdateSAMLProvider``: new metadata (new signing certificates) for a provider;
    checked as ``CreateSAMLProvider`` checks it. The assertion encryption and private key
    parameters are not supported."""
    validate(params, SAML_ARN_RULE, Rule("SAMLMetadataDocument", False, None, 1000, 10000000))
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    if params.get("SAMLMetadataDocument") is not None:
        parsed = _metadata(params)
        iam_store.change(
            ctx.tx,
            schema.saml_providers,
            {"arn": row["arn"]},
            metadata_document=str(params["SAMLMetadataDocument"]),
            valid_until=parsed.valid_until,
        )
    ctx.tx.touch(ctx.account_id)
    return {"SAMLProviderArn": row["arn"]}


@SERVICE.operation("ListSAMLProviders", action="iam:ListSAMLProviders", resource=lambda ctx, p: "*")
def list_saml_providers(ctx: OperationContext, params: Params) -> Result:
    rows = iam_store.rows(ctx.tx, schema.saml_providers, order_by=("arn",), account_id=ctx.account_id)
    out = []
    for r in rows:
        entry: Result = {"Arn": r["arn"]}
        if r["valid_until"] is not None:
            entry["ValidUntil"] = timestamp(r["valid_until"])
        entry["CreateDate"] = timestamp(r["created_at"])
        out.append(entry)
    return {"SAMLProviderList": out}


@SERVICE.operation(
    "DeleteSAMLProvider",
    action="iam:DeleteSAMLProvider",
    resource=_arn_param("SAMLProviderArn"),
    writes=True,
)
def delete_saml_provider(ctx: OperationContext, params: Params) -> Result:
    validate(params, SAML_ARN_RULE)
    row = _saml(ctx, str(params["SAMLProviderArn"]))
    iam_store.remove(ctx.tx, schema.saml_providers, arn=row["arn"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, "saml-provider", str(row["arn"]))
    ctx.tx.touch(ctx.account_id)
    return {}
