"""Export at scale: 500 datasets per file, bounded reads, and a 2,000-group instance."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from exportkit import Env, export, plan
from ruamel.yaml import YAML

from domogov.resources.dataset_share import KIND as DATASET_SHARE
from domogov.sim import SimState, generate_state

# Seconds each (instances of thousands of objects):
# left out of the fast loop (-m "not slow"), run by CI.
pytestmark = pytest.mark.slow


PERMISSIONS = "GET /api/data/v3/datasources/{id}/permissions"
CERTIFIED = "GET /api/tags/v3/{entityType}/{entityId}/system/CERTIFIED/state"
#: PDP has no bulk read either: its policies and its on/off state, one read each per dataset.
PDP_READS = (
    "GET /api/query/v1/data-control/{id}",
    "GET /api/query/v1/data-control/{id}/filter-groups",
)


def _directory_reads(by_endpoint: dict[str, int]) -> int:
    """Requests other than the one-per-object reads of datasets and certifications."""
    return sum(n for e, n in by_endpoint.items() if e not in (PERMISSIONS, CERTIFIED, *PDP_READS))


def _ids(doc: dict) -> tuple[str, ...]:
    return tuple(d["id"] for d in doc["datasets"])


async def test_dataset_shares_split_500_per_file(tmp_path: Path, monkeypatch) -> None:
    doc = generate_state(users=60, groups=6, datasets=1001, alerts=4, schedules=2, seed=3)
    env = Env(tmp_path, SimState.from_document(doc))
    chunks: list[int] = []
    original = DATASET_SHARE.fetch

    async def spy(ctx, keys):
        chunks.append(len(keys))
        return await original(ctx, keys)

    monkeypatch.setattr(DATASET_SHARE, "fetch", spy)
    result = await export(env, datasets=_ids(doc), sections=("dataset_shares",))
    out = tmp_path / "out"
    parts = sorted(p.name for p in (out / "dataset_shares").iterdir())
    assert parts == ["part-001.yaml", "part-002.yaml", "part-003.yaml"]
    assert [n for rel, n, _ in result.files if rel.startswith("dataset_shares/")] == [500, 500, 1]
    assert chunks == [500, 500, 1]  # never more than one file's datasets read at once
    yaml = YAML(typ="safe")
    seen = []
    for part in parts:
        seen += [s["dataset"] for s in yaml.load(out / "dataset_shares" / part)["dataset_shares"]]
    assert seen == sorted(_ids(doc))
    assert (await plan(env)).changes == []

    # A smaller export removes the part files it no longer needs.
    await export(env, datasets=_ids(doc)[:10], sections=("dataset_shares",))
    assert sorted(p.name for p in (out / "dataset_shares").iterdir()) == ["part-001.yaml"]


@pytest.mark.timeout(120)
async def test_large_instance_round_trips(tmp_path: Path) -> None:
    doc = generate_state(users=20_000, groups=2_000, seed=1)
    env = Env(tmp_path, SimState.from_document(doc))
    started = time.perf_counter()
    result = await export(env, all_datasets=True)
    exported = time.perf_counter() - started
    stats = await env.stats()
    assert result.warnings == []
    groups = next(n for rel, n, _ in result.files if rel == "groups.yaml")
    dynamic = sum(1 for g in doc["groups"] if g["type"] == "dynamic")
    assert groups == 2_000 - dynamic
    # --all-datasets reads each dataset the search finds (50) and each card's certification
    # (50 cards); Domo has no bulk read of either.
    by_endpoint = stats["by_endpoint"]
    assert by_endpoint[PERMISSIONS] == len(doc["datasets"])
    assert by_endpoint[CERTIFIED] == len(doc["datasets"]) + len(doc["cards"])
    # Groups and members come from the paged grouplist: no request per group or user.
    assert _directory_reads(by_endpoint) < 150, by_endpoint
    started = time.perf_counter()
    again = await plan(env)
    planned = time.perf_counter() - started
    assert again.changes == [], [c.address for c in again.changes][:10]
    # The plan reads the same paged lists: its requests do not grow with groups or users either.
    after = (await env.stats())["by_endpoint"]
    read_by_plan = _directory_reads(after) - _directory_reads(by_endpoint)
    assert read_by_plan < 150, after
    print(f"export {exported:.1f}s, {stats['total']} requests; load+plan {planned:.1f}s")
