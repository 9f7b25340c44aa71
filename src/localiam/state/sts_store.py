"""What STS writes and reads: temporary credentials (rows of ``sessions``) and the roles that
``AssumeRole`` looks up.

A session row follows the conventions :mod:`localiam.state.authz` reads back:

- ``kind`` is ``assumed-role`` (``AssumeRole``), ``federated-user`` (``GetFederationToken``) or
  ``session-token`` (``GetSessionToken``);
- ``account_id`` is the account the credentials act in (the role's account for a role
  session), and the access key id encodes it (:mod:`localiam.state.access_keys`);
- ``arn`` is what the caller looks like in a denial: ``arn:aws:sts::ACCT:assumed-role/ROLE/NAME``
  (the role name without its path), ``arn:aws:sts::ACCT:federated-user/NAME``, or the calling
  user's or root's ARN for ``GetSessionToken``;
- ``user_key`` names the IAM user behind a federated or session-token session (``NULL``: the
  root user);
- ``policy`` / ``policy_arns`` are the session policies, ``tags`` / ``transitive_tag_keys`` the
  session tags (JSON), ``chained`` marks a role session created with role credentials.

``GetFederationToken`` without any session policy gives a session with no permissions
(``id_credentials_temp_control-access_getfederationtoken``: "if you do not pass a policy ... the
resulting temporary security credentials have no permissions"), while a resource-based policy
that names the federated user still grants access. ``authz`` reads a session with no session
policy as "not limited", so such a session stores :data:`NO_PERMISSIONS_SESSION_POLICY`, a
session policy that allows nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from localiam.state import schema
from localiam.state.access_keys import new_access_key, new_secret_key, new_session_token
from localiam.state.aws_managed import AWS_MANAGED
from localiam.state.store import Tx

NO_PERMISSIONS_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoSessionPolicyPassed", "Effect": "Deny", "NotAction": "*", "Resource": "*"}],
    },
    separators=(",", ":"),
)
"""A session policy whose only statement applies to no action: every request falls to "no
session policy allows", and only a resource-based policy naming the session can grant."""


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    """The four values of an STS ``Credentials`` structure (``API_Credentials``)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class RoleRecord:
    """The parts of a role ``AssumeRole`` needs."""

    account_id: str
    name: str
    name_key: str
    role_id: str
    path: str
    arn: str
    trust_policy: str
    max_session_duration: int
    service_linked: bool
    tags: Mapping[str, str]


def parse_role_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, path, name) of ``arn:aws:iam::ACCOUNT:role/PATH/NAME``, or ``None``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    account = parts[4]
    if not (len(account) == 12 and account.isdigit()):
        return None
    resource = parts[5][len("role") :]
    path, _, name = resource.rpartition("/")
    if not name:
        return None
    return account, path + "/", name


def find_role(tx: Tx, arn: str) -> RoleRecord | None:
    """The role an ARN names, if it exists with exactly that path (IAM matches role names
    case-insensitively, ``reference_iam-quotas``)."""
    parsed = parse_role_arn(arn)
    if parsed is None:
        return None
    account, path, name = parsed
    r = schema.roles
    row = tx.one_or_none(select(r).where(r.c.account_id == account, r.c.name_key == name.lower()))
    if row is None or row.path != path:
        return None
    t = schema.tags
    tags = {
        tag.key: tag.value
        for tag in tx.execute(
            select(t.c.key, t.c.value).where(
                t.c.account_id == account, t.c.resource_type == "role", t.c.resource_key == row.name_key
            )
        )
    }
    return RoleRecord(
        account_id=account,
        name=row.name,
        name_key=row.name_key,
        role_id=row.role_id,
        path=row.path,
        arn=f"arn:aws:iam::{account}:role{row.path}{row.name}",
        trust_policy=row.trust_policy,
        max_session_duration=row.max_session_duration,
        service_linked=bool(row.service_linked),
        tags=tags,
    )


def mark_role_used(tx: Tx, role: RoleRecord) -> None:
    """``RoleLastUsed`` (``API_RoleLastUsed``): the last time the role was assumed."""
    r = schema.roles
    tx.execute(
        r.update().where(r.c.account_id == role.account_id, r.c.name_key == role.name_key).values(last_used_at=tx.now)
    )


def managed_policy_exists(tx: Tx, arn: str) -> bool:
    if arn in AWS_MANAGED:
        return True
    mp = schema.managed_policies
    return tx.one_or_none(select(mp.c.arn).where(mp.c.arn == arn)) is not None


def issue_session(
    tx: Tx,
    *,
    account_id: str,
    kind: str,
    arn: str,
    duration: int,
    role: RoleRecord | None = None,
    user_key: str | None = None,
    session_name: str | None = None,
    policy: str | None = None,
    policy_arns: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
    transitive_tag_keys: Sequence[str] = (),
    source_identity: str | None = None,
    mfa: bool = False,
    mfa_authenticated_at: float | None = None,
    chained: bool = False,
    provider: str | None = None,
    federation: Mapping[str, Sequence[str]] | None = None,
    scope_policies: Sequence[str] = (),
    expires_at: float | None = None,
) -> IssuedCredentials:
    """Write one session row and return its credentials; the session expires ``duration``
    seconds from the transaction's clock. ``provider`` is the identity provider of a web
    identity or SAML session (``aws:FederatedProvider``), ``federation`` the token's or
    assertion's condition keys the session keeps for later requests; ``scope_policies`` the
    scope-down policies of a ``GetScopedCredentials`` session, and ``expires_at`` its end when
    it is not ``duration`` from now. ``mfa`` marks a session whose caller proved an MFA
    code, verified at ``mfa_authenticated_at`` (``aws:MultiFactorAuthAge`` counts from it)."""
    key_id = new_access_key(account_id, temporary=True)
    secret = new_secret_key()
    token = new_session_token()
    expires_at = expires_at if expires_at is not None else tx.now + duration
    values: dict[str, Any] = {
        "access_key_id": key_id,
        "secret": secret,
        "session_token": token,
        "account_id": account_id,
        "kind": kind,
        "arn": arn,
        "role_arn": role.arn if role else None,
        "role_id": role.role_id if role else None,
        "user_key": user_key,
        "session_name": session_name,
        "issued_at": tx.now,
        "expires_at": expires_at,
        "policy": policy,
        "policy_arns": json.dumps(list(policy_arns)) if policy_arns else None,
        "tags": json.dumps(dict(tags)) if tags else None,
        "transitive_tag_keys": json.dumps(list(transitive_tag_keys)) if transitive_tag_keys else None,
        "source_identity": source_identity,
        "mfa": mfa,
        "mfa_authenticated_at": mfa_authenticated_at if mfa else None,
        "chained": chained,
        "provider": provider,
        "federation": json.dumps({k: list(v) for k, v in federation.items()}) if federation else None,
        "scope_policies": json.dumps(list(scope_policies)) if scope_policies else None,
    }
    tx.execute(schema.sessions.insert().values(**values))
    tx.touch(account_id)
    return IssuedCredentials(key_id, secret, token, expires_at)


@dataclass(frozen=True, slots=True)
class OidcProviderRecord:
    """An IAM OIDC provider, as ``AssumeRoleWithWebIdentity`` needs it."""

    arn: str
    url: str
    client_ids: tuple[str, ...]


def find_oidc_provider(tx: Tx, account_id: str, url: str) -> OidcProviderRecord | None:
    """The account's OIDC provider for ``url`` (the issuer without its scheme), if any."""
    t = schema.oidc_providers
    row = tx.one_or_none(select(t).where(t.c.account_id == account_id, t.c.url == url))
    if row is None:
        return None
    return OidcProviderRecord(row.arn, row.url, tuple(json.loads(row.client_ids)))
