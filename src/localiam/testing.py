"""A pytest plugin (and a context manager) that runs localiam in-process for tests.

```python
def test_admin_can_create_users(localiam_server):
    iam = localiam_server.client("iam")            # the management account's root user
    iam.create_user(UserName="alice")
```

The server listens on a free port of 127.0.0.1 with an ephemeral (in-memory) store, so each
test starts from an empty organization: one management account with root credentials.
``localiam_server`` is function-scoped; ``run_server()`` gives the same outside pytest.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localiam.server.app import create_app
from localiam.server.pipeline import Pipeline
from localiam.server.transport import uvicorn_options
from localiam.services.registry import default_services
from localiam.state.accounts import RootCredentials, create_account
from localiam.state.bodies import BodyStore
from localiam.state.bootstrap import first_start
from localiam.state.store import Store


@dataclass
class LocaliamServer:
    """A running server: its endpoint, its store, and the management account's root keys."""

    endpoint: str
    store: Store
    pipeline: Pipeline
    root: RootCredentials
    region: str = "us-east-1"

    @property
    def account_id(self) -> str:
        return self.root.account_id

    def client(
        self,
        service: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """A boto3 client for ``service`` pointed at this server (root credentials unless
        others are given)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=kwargs.pop("region_name", self.region),
            aws_access_key_id=access_key_id or self.root.access_key_id,
            aws_secret_access_key=secret_access_key or self.root.secret_access_key,
            aws_session_token=session_token,
            config=kwargs.pop("config", Config(retries={"max_attempts": 1})),
            **kwargs,
        )

    def create_account(self, account_id: str | None = None, name: str | None = None) -> RootCredentials:
        """A standalone account, as ``localiam accounts create`` makes one."""
        with self.store.write() as tx:
            return create_account(tx, account_id=account_id, name=name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def run_server(
    store: Store | None = None,
    port: int | None = None,
    *,
    bodies_dir: Path | None = None,
    unsafe_lambda: bool = False,
) -> Iterator[LocaliamServer]:
    """Serve on 127.0.0.1 in a background thread until the block ends; S3 object bodies live
    under ``bodies_dir`` (in memory without it). Lambda functions run in bubblewrap's sandbox;
    where none works they are refused, unless ``unsafe_lambda`` (then they run without one, for
    the whole process)."""
    import uvicorn

    from localiam.services.awslambda.invoke import configure, runtime

    functions = runtime()
    if unsafe_lambda and functions.sandbox is None and not functions.unsafe:
        functions = configure(unsafe=True)
    if bodies_dir is not None:
        functions.hide(bodies_dir)
    store = store or Store.ephemeral()
    root = first_start(store)
    if root is None:
        raise RuntimeError("run_server needs an empty store: it creates the management account")
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    pipeline = Pipeline(store, default_services(), endpoint=endpoint, bodies=BodyStore(bodies_dir))
    config = uvicorn.Config(
        create_app(pipeline), host="127.0.0.1", port=port, log_level="warning", access_log=False, **uvicorn_options()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"localiam-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"localiam did not start on port {port}")
        time.sleep(0.01)
    try:
        yield LocaliamServer(endpoint, store, pipeline, root)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture
def localiam_server() -> Iterator[LocaliamServer]:
    """A fresh in-process localiam with an ephemeral store."""
    with run_server() as server:
        yield server


# ---- test identity providers
def _target_store(target: LocaliamServer | Store | str | Path) -> tuple[Store, bool]:
    """The store of a running server, a store, a data dir or a database URL; and whether it
    was opened here (and must be closed)."""
    if isinstance(target, LocaliamServer):
        return target.store, False
    if isinstance(target, Store):
        return target, False
    if isinstance(target, str) and "://" in target:
        return Store(target), True
    from localiam.state.store import sqlite_url

    return Store(sqlite_url(Path(target))), True


# ---- test OIDC identity provider
def oidc_token(
    target: LocaliamServer | Store | str | Path,
    *,
    issuer: str,
    subject: str,
    audience: str | list[str],
    claims: dict[str, Any] | None = None,
    expires_in: int = 3600,
) -> str:
    """A signed ID token from localiam's test issuer for ``issuer`` (any URL, such as
    ``https://accounts.google.com``), which ``AssumeRoleWithWebIdentity`` on this server, store,
    data dir or database URL accepts as that issuer's: ``oidc_token(server, issuer="accounts.google.com",
    subject="alice", audience="my-app")``. ``claims`` are added last and may replace the
    standard ones (an ``exp`` in the past makes an expired token)."""
    from localiam.services.idp.oidc import mint_token

    store, opened = _target_store(target)
    try:
        return mint_token(store, issuer, subject=subject, audience=audience, claims=claims, expires_in=expires_in)
    finally:
        if opened:
            store.close()


# ---- test SAML identity provider
def saml_metadata(target: LocaliamServer | Store | str | Path, name: str = "corp") -> str:
    """The metadata XML of the test SAML IdP ``name`` (``localiam idp saml metadata``), to pass
    to ``create_saml_provider(SAMLMetadataDocument=...)``."""
    from localiam.services.idp.saml import metadata, signing_key

    store, opened = _target_store(target)
    try:
        return metadata(signing_key(store, name))
    finally:
        if opened:
            store.close()


def saml_assertion(
    target: LocaliamServer | Store | str | Path,
    *,
    role: str | list[str],
    subject: str,
    name: str = "corp",
    **options: Any,
) -> str:
    """A signed SAML Response of the test IdP ``name``, base64, for
    ``assume_role_with_saml(SAMLAssertion=...)`` (``localiam idp saml assertion``).

    ``role`` is ``ROLE_ARN,PROVIDER_ARN``, or a role ARN alone (paired with the provider
    ``name`` of the role's account), or a list of them. ``options`` are those of
    :class:`localiam.services.idp.saml.AssertionOptions`: ``tags``, ``transitive_tag_keys``,
    ``source_identity``, ``session_name``, ``session_duration``, ``attributes``, ``audience``,
    ``recipient``, ``issued_at``, ``valid_for``, ``sign`` ...

    ```python
    assertion = saml_assertion(localiam_server, role=role_arn, subject="alice", tags={"Dept": "eng"})
    ```
    """
    from localiam.services.idp.saml import AssertionOptions, encoded_response, role_pair, signing_key

    roles = [role] if isinstance(role, str) else list(role)
    built = AssertionOptions(subject=subject, roles=[role_pair(r, name) for r in roles], **options)
    store, opened = _target_store(target)
    try:
        return encoded_response(signing_key(store, name), built)
    finally:
        if opened:
            store.close()


# ---- Cognito user pools
def cognito_code(
    target: LocaliamServer | Store | str | Path, *, pool_id: str, username: str, purpose: str = "sign-up"
) -> str:
    """The code Cognito would have sent ``username`` (``purpose``: ``sign-up``,
    ``forgot-password``, ``invitation`` for an administrator's temporary password), as
    ``localiam cognito codes`` prints it."""
    from localiam.services.cognito_idp.codes import codes_for

    store, opened = _target_store(target)
    try:
        with store.read() as tx:
            found = [m for m in codes_for(tx, pool_id, username) if m.purpose == purpose]
    finally:
        if opened:
            store.close()
    if not found:
        raise LookupError(f"no {purpose} code for {username} in user pool {pool_id}")
    return found[-1].code
