"""Fixtures for the CI recipe tests: a served simulator (the sandbox's sample instance)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cikit import TOKEN, Workspace
from servekit import serve

from domogov.connect import sample_state_path
from domogov.sim import create_app, load_state_file


@pytest.fixture
def sim() -> Iterator[tuple[str, Any]]:
    """(base URL, state) of a simulator seeded like --sandbox, over real HTTP."""
    state = load_state_file(sample_state_path())
    with serve(create_app(state, token=TOKEN)) as url:
        yield url, state


@pytest.fixture
def ws(tmp_path: Path, sim: tuple[str, Any]) -> Workspace:
    return Workspace(tmp_path / "repo", sim[0])
