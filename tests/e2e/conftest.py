"""Fixtures of the end-to-end tests; the helpers are in ``e2e_helpers``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import Clock

from localiam.testing import LocaliamServer


@pytest.fixture
def server(localiam_server: LocaliamServer) -> LocaliamServer:
    return localiam_server


@pytest.fixture
def iam(server: LocaliamServer) -> Any:
    """The management account's root user, over IAM."""
    return server.client("iam")


@pytest.fixture
def clock(server: LocaliamServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    yield Clock(server, monkeypatch)
