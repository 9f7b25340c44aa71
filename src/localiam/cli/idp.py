"""``localiam idp``: localiam's test identity providers, for federation flows that run offline.

Like ``localiam accounts create`` the commands take ``--data-dir`` (or ``LOCALIAM_DATA_DIR``)
or ``--database``, work while the server runs on the same store, and print the token, metadata
or assertion alone on stdout, so a shell can capture it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from localiam.cli.config import data_dir, database_url
from localiam.cli.idp_saml import saml
from localiam.state.store import Store, StoreError


def open_store(data_dir_option: Path | None, database: str | None) -> Store:
    """The store the server uses (``--data-dir``, ``LOCALIAM_DATA_DIR``, ``--database``)."""
    try:
        return Store(database_url(data_dir(data_dir_option), database))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def store_options(command: Any) -> Any:
    command = click.option("--database", default=None, help="postgresql://... instead of the data dir's SQLite file.")(
        command
    )
    return click.option(
        "--data-dir", "data_dir_option", type=click.Path(path_type=Path, file_okay=False), default=None
    )(command)


def _claim(value: str) -> tuple[str, Any]:
    """``k=v``: ``v`` as JSON when it parses (numbers, lists, objects), else as a string."""
    name, sep, raw = value.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--claim")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


@click.group()
def idp() -> None:
    """Test identity providers (OpenID Connect and SAML) that sign with localiam's own keys."""


@idp.group()
def oidc() -> None:
    """An OpenID Connect issuer for offline tests."""


@oidc.command("token")
@click.option("--issuer", required=True, help="The iss claim: https://accounts.google.com, any issuer URL.")
@click.option("--sub", "subject", required=True, help="The sub claim: who signed in.")
@click.option(
    "--aud", "audiences", required=True, multiple=True, help="The aud claim (the app's client id); repeat for several."
)
@click.option(
    "--claim", "claims", multiple=True, help="Another claim, NAME=VALUE (VALUE as JSON when it parses); repeatable."
)
@click.option(
    "--expires-in", default=3600, show_default=True, type=int, help="Seconds until exp (negative: already expired)."
)
@store_options
def token(
    issuer: str,
    subject: str,
    audiences: tuple[str, ...],
    claims: tuple[str, ...],
    expires_in: int,
    data_dir_option: Path | None,
    database: str | None,
) -> None:
    """Print an ID token signed with localiam's key for ISSUER.

    AssumeRoleWithWebIdentity on the same store accepts it as that issuer's token; the
    discovery document and JWKS are served at
    /_localiam/idp/oidc/HOST/PATH/.well-known/openid-configuration. The key stands in for the
    issuer only inside localiam.
    """
    from localiam.services.idp.oidc import mint_token

    extra = dict(_claim(c) for c in claims)
    audience: str | list[str] = audiences[0] if len(audiences) == 1 else list(audiences)
    store = open_store(data_dir_option, database)
    try:
        click.echo(mint_token(store, issuer, subject=subject, audience=audience, claims=extra, expires_in=expires_in))
    finally:
        store.close()


idp.add_command(saml)
