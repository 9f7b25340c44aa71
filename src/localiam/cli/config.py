"""Where localiam keeps its state: ``--data-dir``, else ``LOCALIAM_DATA_DIR``, else the user's
data directory (platformdirs). The database is SQLite in that directory unless ``--database``
names a PostgreSQL URL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import platformdirs

from localiam.state.accounts import RootCredentials
from localiam.state.store import sqlite_url

ROOT_CREDENTIALS = "root-credentials.json"


def data_dir(option: Path | None) -> Path:
    if option is not None:
        path = option
    elif os.environ.get("LOCALIAM_DATA_DIR"):
        path = Path(os.environ["LOCALIAM_DATA_DIR"])
    else:
        path = Path(platformdirs.user_data_dir("localiam", appauthor=False))
    path = path.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create the data directory {path}: {exc.strerror or exc}") from None
    return path


def database_url(directory: Path, database: str | None) -> str:
    return database or os.environ.get("LOCALIAM_DATABASE_URL") or sqlite_url(directory)


def write_root_credentials(directory: Path, creds: RootCredentials) -> Path:
    """``<data-dir>/root-credentials.json``, mode 0600, written atomically."""
    target = directory / ROOT_CREDENTIALS
    tmp = target.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds.as_dict(), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target
