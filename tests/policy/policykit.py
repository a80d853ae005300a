"""Helpers for the policy tests: write a config directory, build plan changes by hand."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from domogov.config import Config
from domogov.core.changes import Action, Change, Plan
from domogov.errors import ConfigError
from domogov.policy import load_checked

SALES = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"
LEDGER = "9f1c2e4a-7b3d-4c5e-8a6f-1d2e3b4c5a6f"


def write(root: Path, files: dict[str, str]) -> str:
    """Write ``{relative path: text}`` (dedented) under ``root/cfg``; returns its path as
    messages name it: relative to the working directory (the conftest makes it tmp_path)."""
    for rel, text in files.items():
        path = root / "cfg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return os.path.relpath(root / "cfg")


def load(root: Path, files: dict[str, str]) -> Config:
    return load_checked(write(root, files))


def errors(root: Path, files: dict[str, str]) -> list[str]:
    """The lines load_checked reports: manifest loading, then policies.

    The test fails if the directory loads cleanly.
    """
    with pytest.raises(ConfigError) as info:
        load_checked(write(root, files))
    return [str(i) for i in info.value.issues]


def share_change(
    dataset: str, before: list[str] | None, after: list[str], name: str | None = None
) -> Change:
    """A dataset_share change as the kind builds it: grants like ``group:X CAN_VIEW``."""
    base = {"dataset": dataset, "name": name, "owner": "user:owner@example.com"}
    return Change(
        address=f"dataset_share.{dataset}",
        kind="dataset_share",
        action=Action.UPDATE,
        key={"dataset": dataset},
        before=None if before is None else {**base, "grants": sorted(before)},
        after={**base, "grants": sorted(after)},
    )


def cert_change(dataset: str, certified: bool) -> Change:
    state: dict[str, Any] = {"entity_type": "DATA_SOURCE", "id": dataset}
    return Change(
        address=f"certification.dataset.{dataset}",
        kind="certification",
        action=Action.UPDATE,
        key={"dataset": dataset},
        before={**state, "certified": not certified},
        after={**state, "certified": certified},
    )


def group_change(name: str, before: list[str] | None, after: list[str]) -> Change:
    def state(members: list[str]) -> dict[str, Any]:
        return {"name": name, "description": "", "type": "closed", "members": sorted(members)}

    return Change(
        address=f"group.{name}",
        kind="group",
        action=Action.CREATE if before is None else Action.UPDATE,
        key={"name": name},
        before=None if before is None else {"id": 7, **state(before), "owners": []},
        after=state(after),
    )


def plan_of(*changes: Change) -> Plan:
    return Plan(instance="test", changes=list(changes))


def emails(n: int, domain: str = "example.com") -> list[str]:
    return [f"user{i:03d}@{domain}" for i in range(n)]
