"""Lint of role trust policies: web identity federation that does not check the audience.

``FEDERATED_TRUST_WITHOUT_AUDIENCE`` (WARNING, at the statement)
    An ``Allow`` statement lets an OIDC identity provider's users call
    ``sts:AssumeRoleWithWebIdentity`` (named, or covered by a wildcard or a ``NotAction``) with
    no condition on the provider's audience key. A token the provider signed for any other
    application (another client id of the same Keycloak or Google, an identity of another
    Cognito identity pool) can then assume the role.

The audience keys are those of the IAM User Guide's ``reference_policies_iam-condition-keys``
("Available keys for AWS web identity federation"):

- an IAM OIDC provider ``arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH``: ``HOST/PATH:aud``
  (``id_roles_create_for-idp_oidc``);
- ``accounts.google.com``: ``accounts.google.com:aud``, or ``accounts.google.com:oaud`` (the
  token's ``aud`` when it also has an ``azp``, which ``:aud`` then carries);
- ``cognito-identity.amazonaws.com``: ``cognito-identity.amazonaws.com:aud``, the identity pool
  id. ``API_AssumeRoleWithWebIdentity``: trust policies "must contain the
  cognito-identity.amazonaws.com:aud condition key to restrict role assumption to users from
  your intended identity pools. A policy that trusts Amazon Cognito identity pools without this
  condition creates a risk that a user from an unintended identity pool can assume the role.";
- ``graph.facebook.com`` and ``www.amazon.com``: ``graph.facebook.com:app_id``,
  ``www.amazon.com:app_id``.

IAM Access Analyzer's policy validation checks role trust policies too (AWS Security Blog, "IAM
Access Analyzer makes it simpler to author and validate role trust policies"); the wording of
its finding for this case was not found in the pages this was written from, so the message is
localiam's own.

A condition counts when it can only be true for chosen audiences: a positive operator (not
``Null``, not a ``...Not...`` operator) whose values are not all ``*``. A provider named with a
wildcard, a SAML provider, and statements that deny or use ``NotPrincipal`` are not reported.
"""

from __future__ import annotations

from localiam.policy.findings import Collector, Finding, pointer
from localiam.policy.match import actions_cover
from localiam.policy.model import Condition, Effect, PartialPolicy, PartialStatement, Policy

CODE = "FEDERATED_TRUST_WITHOUT_AUDIENCE"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"

BUILT_IN_PROVIDERS: dict[str, tuple[str, ...]] = {
    "accounts.google.com": ("accounts.google.com:aud", "accounts.google.com:oaud"),
    "cognito-identity.amazonaws.com": ("cognito-identity.amazonaws.com:aud",),
    "graph.facebook.com": ("graph.facebook.com:app_id",),
    "www.amazon.com": ("www.amazon.com:app_id",),
}
"""The identity providers built into AWS, and the keys that name their audience."""

_OIDC_ARN = ":oidc-provider/"


def audience_keys(provider: str) -> tuple[str, ...] | None:
    """The condition keys that carry ``provider``'s audience, or ``None`` when it is not an
    OIDC provider (a SAML provider) or is named with a wildcard."""
    if "*" in provider or "?" in provider:
        return None
    lowered = provider.lower()
    if lowered in BUILT_IN_PROVIDERS:
        return BUILT_IN_PROVIDERS[lowered]
    if lowered.startswith("arn:") and _OIDC_ARN in provider:
        host_path = provider.split(_OIDC_ARN, 1)[1].rstrip("/")
        return (f"{host_path}:aud",) if host_path else None
    return None


def lint_trust(policy: Policy | PartialPolicy) -> list[Finding]:
    """Every ``FEDERATED_TRUST_WITHOUT_AUDIENCE`` warning of a role trust policy, in document
    order (one per statement and provider). A statement with errors is checked when its
    Effect, Principal and actions could be read."""
    collector = Collector()
    for statement in PartialPolicy.of(policy).statements:
        _check_statement(statement, collector)
    return collector.findings


def _check_statement(statement: PartialStatement, c: Collector) -> None:
    if statement.effect is not Effect.ALLOW or statement.principal is None or statement.actions is None:
        return
    if not statement.principal.federated or not actions_cover(statement.actions, WEB_IDENTITY):
        return
    for provider in statement.principal.federated:
        keys = audience_keys(provider)
        if keys is None or any(_restricts(condition, keys) for condition in statement.conditions):
            continue
        wanted = " or ".join(f'"{k}"' for k in keys)
        c.warning(
            CODE,
            statement.location or pointer("Statement", statement.index),
            f'This statement allows {WEB_IDENTITY} to "{provider}" without a condition on {wanted}, '
            "so a token the provider issued for any application can assume the role. Add a "
            f'condition such as "StringEquals": {{"{keys[0]}": "YOUR_CLIENT_ID"}}.',
        )


def _restricts(condition: Condition, keys: tuple[str, ...]) -> bool:
    if condition.key.lower() not in {k.lower() for k in keys}:
        return False
    if condition.base == "Null" or "Not" in condition.base:
        return False
    return any(value != "*" for value in condition.values)
