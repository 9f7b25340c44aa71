"""The condition keys a web identity token or a SAML assertion puts in a request, and which of
them a role session keeps for its later requests (IAM User Guide
``reference_policies_iam-condition-keys``: "Available keys for AWS web identity federation" and
"Available keys for SAML-based AWS STS federation").

- A web identity provider's keys are named by the provider: the issuer without its scheme for an
  IAM OIDC provider (``token.actions.githubusercontent.com:sub``), or the trusted issuer's name
  (``accounts.google.com:aud``, ``cognito-identity.amazonaws.com:amr``). For Google, ``aud``
  holds the token's ``azp`` when it has one, and ``oaud`` then holds its ``aud``.
- SAML's keys are ``saml:*`` whatever the provider.
- "Cross-service" keys stay in the role session: ``aud``, ``sub``, ``amr`` and the Facebook /
  Login with Amazon ids of a web identity; ``saml:namequalifier``, ``saml:sub`` and
  ``saml:sub_type`` of an assertion. The others are seen only by the trust policy.

Both ``AssumeRoleWithWebIdentity`` and ``localiam simulate`` (a federated principal stated in a
scenario) use these, so a trust policy tested offline sees what the endpoint would give it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GOOGLE = "accounts.google.com"
COGNITO = "cognito-identity.amazonaws.com"
FACEBOOK = "graph.facebook.com"
AMAZON = "www.amazon.com"
TRUSTED_ISSUERS = frozenset({GOOGLE, FACEBOOK, AMAZON, COGNITO})
"""Issuers a trust policy may name without an IAM OIDC provider (``id_roles_providers_oidc``)."""
WEB_IDENTITY_SESSION_KEYS = frozenset({"aud", "sub", "amr", "id", "user_id", "app_id"})
SAML_SESSION_KEYS = frozenset({"namequalifier", "sub", "sub_type"})

Keys = dict[str, list[str]]


def is_saml_provider(provider: str) -> bool:
    """Whether ``provider`` (a ``Federated`` principal) is an IAM SAML provider's ARN."""
    return provider.startswith("arn:") and ":saml-provider/" in provider


def key_prefix(provider: str) -> str:
    """The prefix of a provider's condition keys: ``saml`` for a SAML provider, the URL part
    of an IAM OIDC provider's ARN (``arn:aws:iam::ACCT:oidc-provider/HOST/PATH``), else the
    issuer's name itself."""
    if is_saml_provider(provider):
        return "saml"
    marker = ":oidc-provider/"
    if provider.startswith("arn:") and marker in provider:
        return provider.split(marker, 1)[1]
    return provider.split("://", 1)[-1].rstrip("/")


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def web_identity_keys(prefix: str, claims: Mapping[str, Any]) -> tuple[Keys, Keys]:
    """(keys the role session keeps, keys only the trust policy sees) of a token's claims."""
    kept: Keys = {}
    trust_only: Keys = {}
    if "sub" in claims:
        kept[f"{prefix}:sub"] = _strings(claims["sub"])
    aud = claims.get("aud")
    azp = claims.get("azp")
    if prefix == GOOGLE and isinstance(azp, str):
        kept[f"{prefix}:aud"] = [azp]
        if aud is not None:
            trust_only[f"{prefix}:oaud"] = _strings(aud)
    elif aud is not None:
        kept[f"{prefix}:aud"] = _strings(aud)
    if claims.get("amr"):
        kept[f"{prefix}:amr"] = _strings(claims["amr"])
    if prefix in (FACEBOOK, AMAZON):
        for name in ("id", "user_id", "app_id"):
            if claims.get(name) is not None:
                kept[f"{prefix}:{name}"] = _strings(claims[name])
    if prefix == GOOGLE and isinstance(claims.get("email"), str):
        trust_only[f"{prefix}:email"] = [claims["email"]]
    return kept, trust_only


def saml_keys(values: Mapping[str, Any]) -> tuple[Keys, Keys]:
    """(kept, trust only) of SAML keys given without their ``saml:`` prefix (``sub``,
    ``sub_type``, ``aud``, ``iss``, ``edupersonprincipalname`` ...)."""
    kept: Keys = {}
    trust_only: Keys = {}
    for name, value in values.items():
        bare = name.split(":", 1)[1] if name.lower().startswith("saml:") else name
        target = kept if bare.lower() in SAML_SESSION_KEYS else trust_only
        target[f"saml:{bare}"] = _strings(value)
    return kept, trust_only


def federation_keys(provider: str, claims: Mapping[str, Any]) -> tuple[Keys, Keys]:
    """The keys of a login through ``provider`` with ``claims`` (token claims, or SAML keys)."""
    if is_saml_provider(provider):
        return saml_keys(claims)
    return web_identity_keys(key_prefix(provider), claims)
