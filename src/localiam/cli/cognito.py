"""``localiam cognito codes``: the confirmation codes and temporary passwords Cognito would have
e-mailed or texted (sign-up, forgotten password, an administrator's invitation). Like
``localiam accounts create`` it takes ``--data-dir`` (or ``LOCALIAM_DATA_DIR``) or ``--database``
and works while the server runs."""

from __future__ import annotations

import datetime as _dt
import json
import time
from pathlib import Path

import click

from localiam.cli.idp import open_store, store_options
from localiam.services.cognito_idp.codes import codes_for


@click.group()
def cognito() -> None:
    """Cognito user pools."""


@cognito.command("codes")
@click.option("--pool-id", required=True, help="The user pool's id (us-east-1_AbC123xyZ).")
@click.option("--username", default=None, help="Only this user's (the username, or the sub in an e-mail pool).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@store_options
def codes(pool_id: str, username: str | None, output: str, data_dir_option: Path | None, database: str | None) -> None:
    """Print the codes waiting for POOL_ID's users, newest last; with --username alone and one
    code, just the code (so a shell can capture it)."""
    store = open_store(data_dir_option, database)
    try:
        with store.read() as tx:
            found = [m for m in codes_for(tx, pool_id, username) if m.expires_at > time.time()]
    finally:
        store.close()
    if output == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "Username": m.username,
                        "Purpose": m.purpose,
                        "Code": m.code,
                        "ExpiresAt": int(m.expires_at),
                        "Message": m.message,
                    }
                    for m in found
                ]
            )
        )
        return
    if username is not None and len(found) == 1:
        click.echo(found[0].code)
        return
    if not found:
        raise click.ClickException(
            f"no codes waiting in user pool {pool_id}" + (f" for {username}" if username else "")
        )
    for m in found:
        until = _dt.datetime.fromtimestamp(m.expires_at, _dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{m.username}\t{m.purpose}\t{m.code}\t(until {until})")
