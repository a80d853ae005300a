"""Fixtures for the export and fmt tests: a simulated instance and an output directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from exportkit import Env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)
