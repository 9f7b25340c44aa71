"""Outbound identity federation: ``EnableOutboundWebIdentityFederation``,
``DisableOutboundWebIdentityFederation`` and ``GetOutboundWebIdentityFederationInfo`` (IAM API
Reference; IAM User Guide ``id_roles_providers_outbound``).

Enabling gives the account an issuer, ``https://UUID.tokens.sts.global.api.aws`` as AWS names
them, and a signing key; STS ``GetWebIdentityToken`` then signs JWTs for the account's
principals (``services/sts/web_identity_token.py``). localiam serves the issuer's discovery
document and JWKS as it serves its test issuers' (``/_localiam/idp/oidc/HOST/.well-known/...``),
and ``AssumeRoleWithWebIdentity`` in any localiam account accepts the tokens once an OIDC
provider for the issuer exists there. The issuer stays the same when the feature is disabled
and enabled again. Enabling twice answers ``FeatureEnabled``; disabling or reading a feature
never enabled, ``FeatureDisabled``.
"""

from __future__ import annotations

import uuid

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.account_settings import save_setting, settings_of
from localiam.services.iam.common import SERVICE
from localiam.services.idp import keys
from localiam.services.idp.oidc import KIND
from localiam.state.idp_store import idp_key_in


def _anywhere(_ctx: OperationContext, _params: Params) -> str:
    return "*"


def _disabled() -> Exception:
    return client_error("FeatureDisabled", "Outbound web identity federation is not enabled for this account.", 404)


@SERVICE.operation(
    "EnableOutboundWebIdentityFederation",
    action="iam:EnableOutboundWebIdentityFederation",
    resource=_anywhere,
    writes=True,
)
def enable_outbound_web_identity_federation(ctx: OperationContext, params: Params) -> Result:
    row = settings_of(ctx.tx, ctx.account_id)
    if row is not None and row["outbound_enabled"]:
        raise client_error(
            "FeatureEnabled", "Outbound web identity federation is already enabled for this account.", 409
        )
    issuer = (
        row["outbound_issuer"] if row is not None else None
    ) or f"https://{uuid.uuid4()}.tokens.sts.global.api.aws"
    idp_key_in(ctx.tx, KIND, issuer, lambda: keys.new_rsa_key(KIND, issuer))
    save_setting(ctx.tx, ctx.account_id, outbound_issuer=issuer, outbound_enabled=True)
    ctx.tx.touch(ctx.account_id)
    return {"IssuerIdentifier": issuer}


@SERVICE.operation(
    "DisableOutboundWebIdentityFederation",
    action="iam:DisableOutboundWebIdentityFederation",
    resource=_anywhere,
    writes=True,
)
def disable_outbound_web_identity_federation(ctx: OperationContext, params: Params) -> Result:
    row = settings_of(ctx.tx, ctx.account_id)
    if row is None or not row["outbound_enabled"]:
        raise _disabled()
    save_setting(ctx.tx, ctx.account_id, outbound_enabled=False)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "GetOutboundWebIdentityFederationInfo", action="iam:GetOutboundWebIdentityFederationInfo", resource=_anywhere
)
def get_outbound_web_identity_federation_info(ctx: OperationContext, params: Params) -> Result:
    row = settings_of(ctx.tx, ctx.account_id)
    if row is None or not row["outbound_issuer"]:
        raise _disabled()
    return {"IssuerIdentifier": row["outbound_issuer"], "JwtVendingEnabled": bool(row["outbound_enabled"])}
