"""``localiam idp saml ...``: the test SAML identity provider's metadata and assertions.

``localiam idp saml metadata --name corp`` prints the IdP's metadata XML, to upload with
``aws iam create-saml-provider``; ``localiam idp saml assertion --name corp --role
ROLE_ARN,PROVIDER_ARN --subject alice`` prints a signed SAML Response, base64, for
``aws sts assume-role-with-saml --saml-assertion``. The IdP's key is made on first use and kept
in the store, so the commands work while the server runs and agree with each other. Each prints
only the document on stdout.
"""

from __future__ import annotations

from pathlib import Path

import click

from localiam.cli.config import data_dir, database_url, echo_permission_warnings
from localiam.services.idp.saml import (
    AWS_SIGN_IN,
    PERSISTENT,
    AssertionOptions,
    encoded_response,
    metadata,
    role_pair,
    signing_key,
)
from localiam.state.store import Store, StoreError

_data_dir = click.option(
    "--data-dir", "data_dir_option", type=click.Path(path_type=Path, file_okay=False), default=None
)
_database = click.option("--database", default=None, help="postgresql://... instead of the data dir's SQLite file.")
_name = click.option("--name", required=True, help="The test IdP's name (its entity id ends with it).")


def _store(data_dir_option: Path | None, database: str | None) -> Store:
    directory = data_dir(data_dir_option)
    echo_permission_warnings(directory)
    try:
        return Store(database_url(directory, database))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def saml() -> None:
    """A SAML 2.0 identity provider for offline tests."""


@saml.command("metadata")
@_name
@_data_dir
@_database
def metadata_command(name: str, data_dir_option: Path | None, database: str | None) -> None:
    """Print the IdP's metadata XML (for CreateSAMLProvider)."""
    store = _store(data_dir_option, database)
    try:
        click.echo(metadata(signing_key(store, name)), nl=False)
    finally:
        store.close()


def _attributes(values: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--attribute")
        out.setdefault(key, []).append(value)
    return out


@saml.command("assertion")
@_name
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="ROLE_ARN,PROVIDER_ARN (either order); a role ARN alone pairs with the provider NAME of its account.",
)
@click.option("--subject", required=True, help="The NameID.")
@click.option("--session-name", default=None, help="RoleSessionName (default: the subject).")
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    help="NAME=VALUE, repeatable: PrincipalTag:Dept=eng, TransitiveTagKeys=Dept, SourceIdentity=alice, "
    "or a full attribute Name (urn:oid:...=value).",
)
@click.option("--session-duration", type=int, default=None, help="The SessionDuration attribute (seconds).")
@click.option("--name-id-format", default=PERSISTENT, show_default=True)
@click.option("--audience", default=AWS_SIGN_IN, show_default=True)
@click.option("--recipient", default=AWS_SIGN_IN, show_default=True)
@click.option("--valid-for", type=int, default=300, show_default=True, help="Seconds the assertion is valid.")
@_data_dir
@_database
def assertion_command(
    name: str,
    roles: tuple[str, ...],
    subject: str,
    session_name: str | None,
    attributes: tuple[str, ...],
    session_duration: int | None,
    name_id_format: str,
    audience: str,
    recipient: str,
    valid_for: int,
    data_dir_option: Path | None,
    database: str | None,
) -> None:
    """Print a signed SAML Response, base64 (for AssumeRoleWithSAML)."""
    options = AssertionOptions(
        subject=subject,
        roles=[role_pair(r, name) for r in roles],
        session_name=session_name,
        name_id_format=name_id_format,
        attributes=_attributes(attributes),
        session_duration=session_duration,
        audience=audience,
        recipient=recipient,
        valid_for=valid_for,
    )
    store = _store(data_dir_option, database)
    try:
        click.echo(encoded_response(signing_key(store, name), options))
    finally:
        store.close()
