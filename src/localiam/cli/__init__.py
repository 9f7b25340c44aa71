"""The ``localiam`` command line (click). Rich is imported lazily, only where text output is
drawn, so ``--output json`` and scripting stay fast."""

from __future__ import annotations

import click

from localiam import __version__
from localiam.cli.accounts import accounts
from localiam.cli.cognito import cognito
from localiam.cli.idp import idp
from localiam.cli.policy import policy
from localiam.cli.roles import roles
from localiam.cli.serve import serve
from localiam.cli.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="localiam")
def main() -> None:
    """localiam: AWS identity and access, running on your machine."""


main.add_command(policy)
main.add_command(simulate)
main.add_command(serve)
main.add_command(accounts)
main.add_command(roles)
main.add_command(idp)
main.add_command(cognito)

__all__ = ["main"]
