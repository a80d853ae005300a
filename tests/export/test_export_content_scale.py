"""Content permissions at scale: 500 pages, 2,000 cards, 300 files and 100 workflows exported,
then planned against the same instance: no changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from exportkit import Env, export, plan
from ruamel.yaml import YAML

from domogov.sim import SimState, generate_state

pytestmark = pytest.mark.slow

SECTIONS = ("page_shares", "file_permissions", "workflow_permissions")


def _declared(out: Path, section: str) -> list[dict[str, object]]:
    """Every object of ``section`` the export wrote (one file, or part files)."""
    yaml = YAML(typ="safe")
    paths = [out / f"{section}.yaml"] if (out / f"{section}.yaml").exists() else []
    if (out / section).is_dir():
        paths += sorted((out / section).iterdir())
    return [obj for p in paths for obj in yaml.load(p)[section]]


async def test_a_generated_instance_of_content_round_trips(tmp_path: Path) -> None:
    doc = generate_state(
        users=400,
        groups=40,
        datasets=20,
        alerts=0,
        schedules=0,
        pages=500,
        cards=2_000,
        files=300,
        workflows=100,
        seed=11,
    )
    assert (len(doc["pages"]), len(doc["cards"]), len(doc["files"]), len(doc["workflows"])) == (
        500,
        2_000,
        300,
        100,
    )
    env = Env(tmp_path, SimState.from_document(doc))
    result = await export(env, sections=SECTIONS)
    assert result.warnings == []
    out = tmp_path / "out"
    shares = _declared(out, "page_shares")
    assert sorted(s["page"] for s in shares if "page" in s) == [p["id"] for p in doc["pages"]]
    assert len([s for s in shares if "card" in s]) == 2_000
    files = _declared(out, "file_permissions")
    assert [f["file"] for f in files] == [f["id"] for f in doc["files"]]
    assert sum(1 for f in files if f["public"]) == sum(1 for f in doc["files"] if f["public"])
    flows = _declared(out, "workflow_permissions")
    assert sorted(f["workflow"] for f in flows) == sorted(w["id"] for w in doc["workflows"])
    # Owners are not grants: a page's exported grants are exactly its shares.
    first = doc["pages"][0]
    [page] = [s for s in shares if s.get("page") == first["id"]]
    assert len(page["grants"]) == len(first["sharedUsers"]) + len(first["sharedGroups"])

    again = await plan(env)
    assert again.changes == [], [c.address for c in again.changes][:10]
