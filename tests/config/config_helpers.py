"""Helpers for the manifest-language tests: write a config directory, collect its issues."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from domogov.config import load_config
from domogov.errors import ConfigError, ConfigIssue

REPO = Path(__file__).resolve().parents[2]


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root`` (text is dedented)."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def issues_of(path: Path | str) -> list[ConfigIssue]:
    """The issues load_config reports for ``path`` (fails the test if it loads cleanly)."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.issues


def lines_of(path: Path | str) -> list[str]:
    """The issues as printed lines."""
    return [str(i) for i in issues_of(path)]
