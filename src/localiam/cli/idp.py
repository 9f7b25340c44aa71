"""``localiam idp``: localiam's test identity providers, for federation flows that run offline.

Like ``localiam accounts create`` the commands take ``--data-dir`` (or ``LOCALIAM_DATA_DIR``)
or ``--database``, work while the server runs on the same store, and print the token, metadata
or assertion alone on stdout, so a shell can capture it.
"""

from __future__ import annotations

import click

from localiam.cli.idp_saml import saml


@click.group()
def idp() -> None:
    """Test identity providers (OpenID Connect and SAML) that sign with localiam's own keys."""


@idp.group()
def oidc() -> None:
    """An OpenID Connect issuer for offline tests."""


idp.add_command(saml)
