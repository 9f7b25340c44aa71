"""A small world for calling service handlers directly: an ephemeral store, accounts, IAM
users and roles written the way :mod:`localiam.state.authz` reads them, and ``call``, which does
what the server does around an operation: authenticate the access key (expired session keys
fail with ``ExpiredToken``), authorize the operation's declared action, run the handler, all
in one write transaction. Every result is checked against botocore's output shape with
``check_output`` of ``tests/services/conftest.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import secrets
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from localiam.engine import Decision
from localiam.errors import AccessDenied, AuthFailure
from localiam.services.base import OperationContext, ResourcePolicy, Service
from localiam.state import schema
from localiam.state.accounts import RootCredentials, create_access_key, create_account, lookup_key
from localiam.state.authz import Authz, Caller
from localiam.state.store import Store, Tx

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _shared_checks() -> Any:
    """``tests/services/conftest.py`` as a module (pytest loads it as a plugin, not importably)."""
    path = Path(__file__).resolve().parent.parent / "conftest.py"
    spec = importlib.util.spec_from_file_location("services_shared_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check_output = _shared_checks().check_output


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def trust(principal: str | dict[str, Any], action: str | list[str] = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    who = principal if isinstance(principal, dict) else {"AWS": principal}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": who, "Action": action, **extra}]}


def totp_code(seed: str, step: int, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA-1, the dynamic truncation of RFC 4226 section 5.3), written here
    independently of the server's verifier: the code a device with ``seed`` shows in ``step``."""
    mac = hmac.new(base64.b32decode(seed), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def _unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))


class World:
    def __init__(self) -> None:
        self.store = Store.ephemeral()
        self.authz = Authz(self.store)
        self.clock: float | None = None

    def now(self) -> float:
        """The world's clock: :attr:`clock` when a test set it, else the wall clock (what the
        server's clock reads, for MFA codes)."""
        return self.clock if self.clock is not None else time.time()

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        with self.store.write() as tx:
            if self.clock is not None:
                tx.now = self.clock
            yield tx

    # ------------------------------------------------------------------ the world
    def account(self, account_id: str | None = None) -> RootCredentials:
        with self.tx() as tx:
            return create_account(tx, account_id=account_id)

    def user(
        self,
        account: str,
        name: str,
        *,
        inline: Sequence[Mapping[str, Any]] = (),
        managed: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """A user with an access key; returns the key id."""
        key = name.lower()
        with self.tx() as tx:
            tx.execute(
                schema.users.insert().values(
                    account_id=account, name_key=key, name=name, user_id=_unique_id("AIDA"), path="/", created_at=tx.now
                )
            )
            self._policies(tx, account, "user", key, inline, managed, tags)
            key_id, _secret = create_access_key(tx, account, key)
            tx.touch(account)
        return key_id

    def role(
        self,
        account: str,
        name: str,
        trust_policy: Mapping[str, Any],
        *,
        inline: Sequence[Mapping[str, Any]] = (),
        managed: Sequence[str] = (),
        path: str = "/",
        max_session_duration: int = 3600,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """A role; returns its ARN."""
        key = name.lower()
        with self.tx() as tx:
            tx.execute(
                schema.roles.insert().values(
                    account_id=account,
                    name_key=key,
                    name=name,
                    role_id=_unique_id("AROA"),
                    path=path,
                    trust_policy=json.dumps(trust_policy),
                    max_session_duration=max_session_duration,
                    service_linked=False,
                    created_at=tx.now,
                )
            )
            self._policies(tx, account, "role", key, inline, managed, tags)
            tx.touch(account)
        return f"arn:aws:iam::{account}:role{path}{name}"

    def managed_policy(self, account: str, name: str, document: Mapping[str, Any]) -> str:
        arn = f"arn:aws:iam::{account}:policy/{name}"
        with self.tx() as tx:
            tx.execute(
                schema.managed_policies.insert().values(
                    arn=arn,
                    account_id=account,
                    name=name,
                    policy_id=_unique_id("ANPA"),
                    path="/",
                    default_version="v1",
                    next_version=2,
                    created_at=tx.now,
                    updated_at=tx.now,
                )
            )
            tx.execute(
                schema.policy_versions.insert().values(
                    policy_arn=arn, version_id="v1", document=json.dumps(document), created_at=tx.now
                )
            )
            tx.touch(account)
        return arn

    def _policies(
        self,
        tx: Tx,
        account: str,
        kind: str,
        key: str,
        inline: Sequence[Mapping[str, Any]],
        managed: Sequence[str],
        tags: Mapping[str, str] | None,
    ) -> None:
        for i, document in enumerate(inline):
            tx.execute(
                schema.inline_policies.insert().values(
                    account_id=account,
                    principal_type=kind,
                    principal_key=key,
                    name_key=f"p{i}",
                    name=f"p{i}",
                    document=json.dumps(document),
                )
            )
        for arn in managed:
            tx.execute(
                schema.attachments.insert().values(
                    account_id=account, principal_type=kind, principal_key=key, policy_arn=arn, attached_at=tx.now
                )
            )
        for tag_key, value in (tags or {}).items():
            tx.execute(
                schema.tags.insert().values(
                    account_id=account,
                    resource_type=kind,
                    resource_key=key,
                    key_lower=tag_key.lower(),
                    key=tag_key,
                    value=value,
                )
            )

    # ------------------------------------------------------------------ requests
    def _caller(self, tx: Tx, key_id: str) -> Caller:
        key = lookup_key(tx, key_id)
        if key is None or not key.active:
            raise AuthFailure("The security token included in the request is invalid.", code="InvalidClientTokenId")
        if key.expires_at is not None and key.expires_at <= tx.now:
            raise AuthFailure("The security token included in the request is expired", code="ExpiredToken")
        caller = self.authz.caller(tx, key)
        if caller is None:
            raise AuthFailure("The security token included in the request is invalid.", code="InvalidClientTokenId")
        return caller

    def call(self, service: Service, operation: str, params: Mapping[str, Any], key_id: str) -> dict[str, Any]:
        """Authenticate, authorize the declared action, run the handler; one transaction."""
        op = service.operations[operation]
        with self.tx() as tx:
            ctx = OperationContext(self.store, self.authz, tx, self._caller(tx, key_id), service, clock=self.now)
            request = dict(params)
            if op.action is not None:
                resource = op.resource(ctx, request) if op.resource else "*"
                keys = op.condition_keys(ctx, request) if op.condition_keys else None
                rp = op.resource_policy(ctx, request) if op.resource_policy else None
                ctx.authorize(op.action, resource, context=keys, resource_policy=rp)
            result = op.handler(ctx, request)
        check_output(service.name, operation, result)
        return result

    def decide(
        self,
        key_id: str,
        action: str,
        resource: str,
        *,
        context: Mapping[str, str | list[str]] | None = None,
        resource_policy: ResourcePolicy | None = None,
    ) -> Decision:
        """The engine's decision for a request signed with ``key_id``."""
        with self.tx() as tx:
            ctx = OperationContext(self.store, self.authz, tx, self._caller(tx, key_id), Service("probe"))
            with suppress(AccessDenied):
                ctx.authorize(action, resource, context=context, resource_policy=resource_policy)
            return ctx.decisions[-1]
