"""``localiam serve``: the AWS-compatible endpoint, every service on one port."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from localiam import __version__
from localiam.cli.config import (
    ROOT_CREDENTIALS,
    data_dir,
    database_url,
    echo_permission_warnings,
    write_root_credentials,
)

if TYPE_CHECKING:
    from localiam.state.bodies import BodyStore
    from localiam.state.store import Store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4599, show_default=True, type=int)
@click.option(
    "--data-dir",
    "data_dir_option",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where state lives (default: $LOCALIAM_DATA_DIR or the user data dir).",
)
@click.option("--ephemeral", is_flag=True, help="Keep state in memory only; nothing is written to disk.")
@click.option("--database", default=None, help="postgresql://... to share state between processes.")
@click.option(
    "--unsafe-lambda",
    is_flag=True,
    help="Where no sandbox (bubblewrap) works, run Lambda functions without one: they can then read the data dir.",
)
@click.option(
    "--lambda-concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Concurrent Lambda invocations per account before TooManyRequestsException (default 1000, as AWS).",
)
@click.option(
    "--show-cognito-codes",
    is_flag=True,
    help="Print each Cognito code and temporary password on stderr as it is made (they are secrets: "
    "off by default; `localiam cognito codes` reads them).",
)
def serve(
    host: str,
    port: int,
    data_dir_option: Path | None,
    ephemeral: bool,
    database: str | None,
    unsafe_lambda: bool,
    lambda_concurrency: int | None,
    show_cognito_codes: bool,
) -> None:
    """Serve IAM, STS, Organizations, S3 and Lambda, authenticated with SigV4 and authorized by the engine."""
    import uvicorn

    from localiam.server.app import create_app
    from localiam.server.pipeline import Pipeline
    from localiam.server.transport import uvicorn_options
    from localiam.services.registry import default_services
    from localiam.state.bootstrap import first_start
    from localiam.state.store import Store, StoreError

    if ephemeral and (data_dir_option or database):
        raise click.UsageError(
            "--ephemeral keeps everything in memory; it cannot be combined with --data-dir or --database"
        )
    # Whatever the server writes (the database and its WAL, bodies, unpacked Lambda packages,
    # what a function writes) is its owner's alone; files and directories made with an explicit
    # mode keep it, the rest get 0600/0700 instead of the usual 0644/0755.
    os.umask(0o077)
    directory = None if ephemeral else data_dir(data_dir_option)
    if directory is not None:
        echo_permission_warnings(directory)
    try:
        store = Store.ephemeral() if directory is None else Store(database_url(directory, database))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    creds = first_start(store)
    if creds is not None:
        if directory is not None:
            path = write_root_credentials(directory, creds)
            click.echo(f"Created the organization's management account; root credentials written to {path}:")
        else:
            click.echo("Created the organization's management account (in memory); root credentials:")
        click.echo(json.dumps(creds.as_dict(), indent=2))
    elif directory is not None:
        click.echo(f"Using {directory} (root credentials of the management account: {directory / ROOT_CREDENTIALS})")
    endpoint = f"http://{host}:{port}"
    if show_cognito_codes:
        show_codes()
    start_lambda(directory, store, unsafe=unsafe_lambda, account_concurrency=lambda_concurrency)
    bodies = open_bodies(store, directory)
    services = default_services()
    app = create_app(Pipeline(store, services, endpoint=endpoint, bodies=bodies))
    for line in banner(endpoint, services, store.url, directory):
        click.echo(line)
    uvicorn.run(app, host=host, port=port, log_level="warning", loop="uvloop", access_log=False, **uvicorn_options())


def banner(endpoint: str, services: Iterable[str], store_url: str, directory: Path | None) -> list[str]:
    """What ``serve`` says before it listens: where, which services, and where the data lives
    (the data dir; a database elsewhere, its password masked, and the data dir that holds the
    object bodies and Lambda packages; or memory with ``--ephemeral``)."""
    from localiam.state.store import display_url, sqlite_url

    if directory is None:
        data = "in memory (--ephemeral): nothing is kept when the server stops"
    elif store_url == sqlite_url(directory):
        data = str(directory)
    else:
        data = f"{display_url(store_url)}; object bodies and Lambda packages in {directory}"
    return [
        f"localiam {__version__} serving on {endpoint}",
        f"  services: {', '.join(sorted(services))}",
        f"  data: {data}",
    ]


def open_bodies(store: Store, directory: Path | None) -> BodyStore:
    """S3 object bodies and Lambda deployment packages under the data dir (in memory with
    ``--ephemeral``), with what a crash left behind swept away: temporary files, bodies no
    object or function names, parts of uploads that no longer exist. Files younger than a
    minute are left alone: another process sharing the data dir (``--database``) may be
    writing them."""
    from localiam.state import lambda_store, s3_store
    from localiam.state.bodies import BodyStore

    bodies = BodyStore(directory)
    with store.read() as tx:
        refs = s3_store.referenced_bodies(tx) | lambda_store.code_refs(tx)
        uploads = s3_store.upload_ids(tx)
    bodies.sweep(refs, uploads, grace=60.0 if store.dialect == "postgresql" else 0.0)
    return bodies


def start_lambda(directory: Path | None, store: Store, *, unsafe: bool, account_concurrency: int | None) -> None:
    """Make the Lambda runtime and say at start how functions will run (or why they will not)."""
    from localiam.services.awslambda.invoke import configure

    hide = [directory] if directory is not None else []
    database = store.engine.url.database if store.dialect == "sqlite" else None
    if database and database != ":memory:":
        hide.append(Path(database).resolve().parent)
    runtime = configure(unsafe=unsafe, hide=hide, account_concurrency=account_concurrency)
    memory = {"cgroup2": "cgroup v2", "cgroup1": "cgroup v1", "rlimit": "RLIMIT_AS"}[runtime.memory.mode]
    if runtime.sandbox is not None:
        click.echo(f"Lambda: functions run in a bubblewrap sandbox ({runtime.sandbox.version}; MemorySize by {memory})")
    elif unsafe:
        click.secho(
            f"WARNING: Lambda functions run WITHOUT a sandbox (--unsafe-lambda): {runtime.refusal}. A function runs as "
            "this user and can read the data dir (every secret in it) and signal localiam.",
            fg="yellow",
            err=True,
        )
    else:
        click.secho(
            f"Lambda: functions will not run: {runtime.refusal}. Install bubblewrap, or start with --unsafe-lambda "
            "to run them without isolation.",
            fg="yellow",
            err=True,
        )


def show_codes() -> None:
    """``--show-cognito-codes``: the codes Cognito would e-mail, on stderr as they are made."""
    import logging

    from localiam.services.cognito_idp import users

    users.SHOW_CODES = True
    logger = logging.getLogger("localiam.cognito")
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
