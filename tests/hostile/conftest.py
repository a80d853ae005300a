"""Fixtures for the hostile tests: the simulator served once per module, on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hostilekit import served_sim


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    """A simulator no hostile manifest may reach: its stats must stay at zero requests."""
    with served_sim() as url:
        yield url
