"""Helpers for export tests: export a simulated instance, then plan the result against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e.e2ekit import LEDGER, SALES, STATE_FILE, TRAFFIC, Env

from domogov.config import load_config
from domogov.core.changes import Plan
from domogov.export import ExportOptions, ExportResult, export_instance
from domogov.reconcile import PlanOptions, make_plan
from domogov.sim import SimState, load_state_file

ALL_DATASETS = (SALES, LEDGER, TRAFFIC)

__all__ = ["ALL_DATASETS", "LEDGER", "SALES", "STATE_FILE", "TRAFFIC", "Env", "state_with"]


def state_with(**changes: Any) -> SimState:
    """The e2e state with some top-level tables replaced or extended (``add_groups=[...]``)."""
    doc = load_state_file(STATE_FILE).to_document()
    for key, value in changes.items():
        if key.startswith("add_"):
            doc[key.removeprefix("add_")].extend(value)
        else:
            doc[key] = value
    return SimState.from_document(doc)


async def export(env: Env, out: Path | None = None, **options: Any) -> ExportResult:
    """Export the simulated instance to ``out`` (default: ``<tmp>/out``)."""
    target = out or env.dir.parent / "out"
    async with env.client() as client:
        return await export_instance(client, ExportOptions(out=target, **options))


async def plan(env: Env, directory: Path | None = None) -> Plan:
    """Plan a directory (default: the export's) against the same simulated instance."""
    config = load_config(directory or env.dir.parent / "out")
    async with env.client() as client:
        result, _ = await make_plan(config, client, PlanOptions(instance="export-test"))
    return result


def files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, for byte-for-byte comparisons."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
