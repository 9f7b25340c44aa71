from __future__ import annotations

import pytest
from sts_harness import World


@pytest.fixture
def world() -> World:
    return World()
