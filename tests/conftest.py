"""Shared test set-up: puts tests/ on sys.path for the helper modules (servekit)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _restore_domogov_logger() -> Iterator[None]:
    """CLI runs configure the `domogov` logger for a terminal; give the next test it back."""
    logger = logging.getLogger("domogov")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
