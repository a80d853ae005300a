"""Fixtures for the manifest-language tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from config_helpers import write_tree

from domogov.config import Config, load_config


@pytest.fixture
def tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dict[str, str | bytes]], str]:
    """Write files into ``cfg/`` under a temporary working directory; returns "cfg"."""
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str | bytes]) -> str:
        write_tree(tmp_path / "cfg", files)
        return "cfg"

    return make


@pytest.fixture
def load(tree: Callable[[dict[str, str | bytes]], str]) -> Callable[..., Config]:
    """Write files and load them."""

    def make(files: dict[str, str | bytes]) -> Config:
        return load_config(tree(files))

    return make
