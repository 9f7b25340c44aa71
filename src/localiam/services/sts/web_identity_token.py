"""``GetWebIdentityToken``: a JWT, signed by the account's outbound issuer, that tells an
external service who the calling AWS principal is (STS API Reference
``API_GetWebIdentityToken``; IAM User Guide ``id_roles_providers_outbound``).

The account must have enabled outbound identity federation (IAM
``EnableOutboundWebIdentityFederation``), else ``OutboundWebIdentityFederationDisabledException``.
Claims: ``iss`` (the account's issuer), ``sub`` (the caller's ARN), ``aud`` (one audience as a
string, several as a list), ``iat``, ``exp``, ``jti``, ``scope`` when asked, and under
``https://sts.amazonaws.com/`` the ``principal_id`` (the role's ARN for a role session, as the
API Reference says), ``aws_account`` and the request's tags (``request_tags``). A token lives
60 to 3,600 seconds, 300 by default, and never past the calling session
(``SessionDurationEscalationException``).

localiam signs with RS256 only; ``ES384`` and the ``JWT_SVID`` token type (a workload identity
localiam does not issue) and ``OriginIdentity`` subjects (trusted identity propagation) are
refused with ``ValidationError`` in localiam's words. Authorization: ``sts:GetWebIdentityToken``
with ``sts:IdentityTokenAudience``, ``sts:DurationSeconds``, ``sts:SigningAlgorithm``,
``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` (Service Authorization Reference).
"""

from __future__ import annotations

import uuid
from typing import Any

from joserfc import jwt

from localiam.errors import ValidationError, client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.idp import keys
from localiam.services.idp.oidc import ALGORITHM, KIND
from localiam.services.sts._service import SERVICE, duration, signed_caller, timestamp
from localiam.state import iam_store, schema
from localiam.state.idp_store import idp_key

NAMESPACE = "https://sts.amazonaws.com/"


def _tags(params: Params) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in params.get("Tags") or [] if isinstance(t, dict)}


def _keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {
        "sts:IdentityTokenAudience": [str(a) for a in params.get("Audience") or []],
        "sts:SigningAlgorithm": str(params.get("SigningAlgorithm") or ""),
        "sts:DurationSeconds": str(params.get("DurationSeconds") or 300),
    }
    tags = _tags(params)
    if tags:
        out.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        out["aws:TagKeys"] = list(tags)
    return out


@SERVICE.operation(
    "GetWebIdentityToken",
    action="sts:GetWebIdentityToken",
    resource=lambda ctx, params: "*",
    condition_keys=_keys,
)
def get_web_identity_token(ctx: OperationContext, params: Params) -> Result:
    caller = signed_caller(ctx)
    audiences = [str(a) for a in params.get("Audience") or []]
    if not audiences:
        raise ValidationError(
            "1 validation error detected: Value null at 'audience' failed to satisfy constraint: "
            "Member must not be null"
        )
    if params.get("SigningAlgorithm") != ALGORITHM:
        raise ValidationError(f"localiam signs web identity tokens with {ALGORITHM} only.")
    if params.get("TokenType") == "JWT_SVID":
        raise ValidationError("A JWT-SVID needs a workload identity, which localiam does not issue.")
    if params.get("SubjectMode") == "OriginIdentity":
        raise ValidationError("OriginIdentity subjects need trusted identity propagation, which localiam does not run.")
    seconds = duration(params, default=300, minimum=60, maximum=3600)
    settings = iam_store.one(ctx.tx, schema.iam_account_settings, account_id=ctx.account_id)
    if settings is None or not settings["outbound_enabled"] or not settings["outbound_issuer"]:
        raise client_error(
            "OutboundWebIdentityFederationDisabledException",
            "Outbound web identity federation is not enabled for this account.",
            403,
        )
    expires = int(ctx.now) + seconds
    session_end = caller.key.expires_at
    if session_end is not None and expires > session_end:
        raise client_error(
            "SessionDurationEscalationException",
            "The requested token lifetime ends after the calling session expires.",
            403,
        )
    issuer = str(settings["outbound_issuer"])
    key = idp_key(ctx.tx, KIND, issuer)
    if key is None:
        raise client_error("SignerNotConfiguredException", "The account's outbound issuer has no signing key.", 404)
    principal = caller.principal
    sts_claims: dict[str, Any] = {"aws_account": ctx.account_id, "principal_id": principal.principal_arn}
    tags = _tags(params)
    if tags:
        sts_claims["request_tags"] = tags
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": principal.arn,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": int(ctx.now),
        "exp": expires,
        "jti": str(uuid.uuid4()),
        NAMESPACE: sts_claims,
    }
    if params.get("Scope"):
        claims["scope"] = str(params["Scope"])
    header = {"alg": ALGORITHM, "kid": key.key_id, "typ": "JWT"}
    token = jwt.encode(header, claims, keys.private_key(key), algorithms=[ALGORITHM])
    return {"WebIdentityToken": token, "Expiration": timestamp(expires)}
