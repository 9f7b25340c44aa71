"""``localiam accounts create``: a standalone account and its root credentials.

It writes straight to the store, so it works while ``localiam serve`` runs on the same data
directory; the server looks unknown access keys up in the store and sees the account at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from localiam.cli.config import data_dir, database_url, echo_permission_warnings
from localiam.errors import AwsError
from localiam.state.accounts import create_account
from localiam.state.store import Store, StoreError


@click.group()
def accounts() -> None:
    """Manage AWS accounts."""


@accounts.command("create")
@click.option("--account-id", default=None, help="12-digit id; a random one when omitted.")
@click.option("--name", default=None, help="Account name.")
@click.option("--data-dir", "data_dir_option", type=click.Path(path_type=Path, file_okay=False), default=None)
@click.option("--database", default=None, help="postgresql://... instead of the data dir's SQLite file.")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON credentials.")
def create(
    account_id: str | None, name: str | None, data_dir_option: Path | None, database: str | None, as_json: bool
) -> None:
    """Create a standalone account and print its root credentials as JSON."""
    directory = data_dir(data_dir_option)
    echo_permission_warnings(directory)
    try:
        store = Store(database_url(directory, database))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with store.write() as tx:
            creds = create_account(tx, account_id=account_id, name=name)
    except AwsError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    finally:
        store.close()
    click.echo(json.dumps(creds.as_dict(), indent=None if as_json else 2))
