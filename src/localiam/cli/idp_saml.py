"""``localiam idp saml ...``: the test SAML identity provider's metadata and assertions."""

from __future__ import annotations

import click


@click.group()
def saml() -> None:
    """A SAML 2.0 identity provider for offline tests."""
