"""Where localiam keeps its state: ``--data-dir``, else ``LOCALIAM_DATA_DIR``, else the user's
data directory (platformdirs). The database is SQLite in that directory unless ``--database``
names a PostgreSQL URL.

The data dir holds every secret localiam knows: the database (secret access keys, session
tokens), ``root-credentials.json``, S3 object bodies and Lambda packages. localiam creates it
0700 and everything in it 0600 (``mkdir``/``open`` with that mode; SQLite's ``-wal`` and ``-shm``
files take the database file's mode). A data dir or file that already exists keeps the mode its
owner gave it (it may be shared on purpose, as a PostgreSQL-backed team setup may share it);
:func:`permission_warnings` says which are readable by others and the ``chmod`` that fixes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

import click
import platformdirs

from localiam.state.accounts import RootCredentials
from localiam.state.store import sqlite_url

ROOT_CREDENTIALS = "root-credentials.json"
DATABASE_FILES = ("localiam.db", "localiam.db-wal", "localiam.db-shm")
PRIVATE_DIRS = ("objects", "lambda-code")


def data_dir(option: Path | None) -> Path:
    if option is not None:
        path = option
    elif os.environ.get("LOCALIAM_DATA_DIR"):
        path = Path(os.environ["LOCALIAM_DATA_DIR"])
    else:
        path = Path(platformdirs.user_data_dir("localiam", appauthor=False))
    # Absolute, so that nothing below depends on the working directory: Lambda's sandbox binds
    # package directories under the data dir by path, from processes that start elsewhere.
    path = path.expanduser().absolute()
    try:
        # 0700 for the data dir itself; missing parents (~/.local/share) get the usual mode.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create the data directory {path}: {exc.strerror or exc}") from None
    return path


def permission_warnings(directory: Path) -> list[str]:
    """A warning for the data dir and for each file or directory of localiam's in it whose mode
    lets other users of the machine in (group or other bits set), with the ``chmod`` to run."""
    warnings: list[str] = []
    candidates = [(directory, True)]
    candidates += [(directory / name, False) for name in (*DATABASE_FILES, ROOT_CREDENTIALS)]
    candidates += [(directory / name, True) for name in PRIVATE_DIRS]
    for path, is_dir in candidates:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            wanted = "700" if is_dir else "600"
            what = "data directory" if path == directory else ("directory" if is_dir else "file")
            warnings.append(
                f"warning: the {what} {path} has mode {mode:04o}: other users of this machine can read "
                f"localiam's secrets there. Run: chmod {wanted} {path}"
            )
    return warnings


def echo_permission_warnings(directory: Path) -> None:
    for warning in permission_warnings(directory):
        click.echo(warning, err=True)


def database_url(directory: Path, database: str | None) -> str:
    return database or os.environ.get("LOCALIAM_DATABASE_URL") or sqlite_url(directory)


def write_root_credentials(directory: Path, creds: RootCredentials) -> Path:
    """``<data-dir>/root-credentials.json``, mode 0600 from its creation, written atomically."""
    target = directory / ROOT_CREDENTIALS
    tmp = target.with_suffix(".json.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a leftover keeps its own mode: never write secrets into it
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds.as_dict(), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target
