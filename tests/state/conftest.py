"""Store URLs for the store tests: a SQLite file, and PostgreSQL when ``LOCALIAM_TEST_POSTGRES_URL``
names a database (``.ci/run`` sets it).

Each PostgreSQL test gets a schema of its own (``localiam_test_<random>``, dropped afterwards)
and a URL whose ``search_path`` is that schema, so runs on the same database never see each
other's tables. Notifications are database-wide: another run's writes may reach our listeners,
which only makes caches drop entries early.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

POSTGRES_ENV = "LOCALIAM_TEST_POSTGRES_URL"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema first in its search path."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: the PostgreSQL store tests need a database (.ci/run sets it)")
    import psycopg

    name = f"localiam_test_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"{POSTGRES_ENV}={base} is set but the database does not answer: {exc}")
    with admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
        sep = "&" if "?" in base else "?"
        try:
            yield f"{base}{sep}options={quote(f'-csearch_path={name}')}"
        finally:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'localiam.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
