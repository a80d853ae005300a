"""Fixtures for end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2ekit import Env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)
