"""The key pairs of localiam's test identity providers (``localiam idp ...``): one per OIDC
issuer and one per SAML IdP name, kept in the store so that every process and replica signs
and verifies with the same key.

A key is made once, by whichever process asks first; when two ask at once, the first write
wins and the other reads it back (:func:`ensure_idp_key`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from localiam.state import schema
from localiam.state.store import Store, Tx


@dataclass(frozen=True, slots=True)
class IdpKey:
    """A test IdP's signing key: ``kind`` is ``oidc`` (``name`` the issuer URL) or ``saml``
    (``name`` the IdP's name); PEM texts; ``certificate`` is the SAML IdP's."""

    kind: str
    name: str
    key_id: str
    private_key: str
    certificate: str | None


_ONE = select(schema.test_idp_keys).where(
    schema.test_idp_keys.c.kind == bindparam("kind"), schema.test_idp_keys.c.name == bindparam("name")
)
"""Built once: every user pool token check reads its pool's key (API Gateway's Cognito
authorizer, identity pools, GetUser)."""


def idp_key(tx: Tx, kind: str, name: str) -> IdpKey | None:
    row = tx.execute(_ONE, {"kind": kind, "name": name}).first()
    if row is None:
        return None
    return IdpKey(row.kind, row.name, row.key_id, row.private_key, row.certificate)


def idp_keys(tx: Tx, kind: str) -> list[IdpKey]:
    t = schema.test_idp_keys
    rows = tx.execute(select(t).where(t.c.kind == kind).order_by(t.c.name))
    return [IdpKey(r.kind, r.name, r.key_id, r.private_key, r.certificate) for r in rows]


def ensure_idp_key(store: Store, kind: str, name: str, make: Callable[[], IdpKey]) -> IdpKey:
    """The key of ``(kind, name)``, made with ``make`` and stored if there is none yet."""
    with store.read() as tx:
        found = idp_key(tx, kind, name)
    if found is not None:
        return found
    made = make()
    try:
        with store.write() as tx:
            tx.execute(
                schema.test_idp_keys.insert().values(
                    kind=kind,
                    name=name,
                    key_id=made.key_id,
                    private_key=made.private_key,
                    certificate=made.certificate,
                    created_at=tx.now,
                )
            )
    except IntegrityError:
        pass  # another process made it first: use theirs
    with store.read() as tx:
        found = idp_key(tx, kind, name)
    assert found is not None
    return found


def idp_key_in(tx: Tx, kind: str, name: str, make: Callable[[], IdpKey]) -> IdpKey:
    """The key of ``(kind, name)`` in a write transaction, made and added there if missing (a
    user pool's key, made by CreateUserPool in its own transaction)."""
    found = idp_key(tx, kind, name)
    if found is not None:
        return found
    made = make()
    tx.execute(
        schema.test_idp_keys.insert().values(
            kind=kind,
            name=name,
            key_id=made.key_id,
            private_key=made.private_key,
            certificate=made.certificate,
            created_at=tx.now,
        )
    )
    return made
