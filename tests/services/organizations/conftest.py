"""The Organizations tests share the STS tests' world (``tests/services/sts/sts_harness.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sts"))

import pytest
from sts_harness import World


@pytest.fixture
def world() -> World:
    return World()
