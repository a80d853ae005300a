"""Users and PDP at scale: a generated instance of 5,000 users and 300 PDP policies exported
whole, then planned against the same instance: no changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from exportkit import Env, export, plan
from ruamel.yaml import YAML

from domogov.sim import SimState, generate_state

# Seconds (thousands of users, a hundred datasets read one by one): CI runs it.
pytestmark = pytest.mark.slow

USERS = 5_000
POLICIES = 300


def _declared(out: Path, section: str) -> list[dict[str, Any]]:
    """Every object of ``section`` the export wrote (one file, or part files)."""
    yaml = YAML(typ="safe")
    paths = [out / f"{section}.yaml"] if (out / f"{section}.yaml").exists() else []
    if (out / section).is_dir():
        paths += sorted((out / section).iterdir())
    return [obj for p in paths for obj in yaml.load(p)[section]]


@pytest.mark.timeout(300)
async def test_a_generated_instance_of_users_and_pdp_round_trips(tmp_path: Path) -> None:
    doc = generate_state(
        users=USERS, groups=60, datasets=100, alerts=0, schedules=0, pdp_policies=POLICIES, seed=7
    )
    live = {d["dataset"]: d for d in doc["pdp"]}
    assert sum(1 for d in live.values() for p in d["policies"] if not p.get("open")) == POLICIES
    env = Env(tmp_path, SimState.from_document(doc))
    result = await export(env, all_datasets=True)
    # The one warning: no schedules were generated, so none of another owner can be seen.
    assert [w for w in result.warnings if not w.startswith("report schedules:")] == []
    out = tmp_path / "out"
    users = _declared(out, "users")
    assert len(users) == USERS
    assert sorted(u["email"] for u in users) == sorted(u["emailAddress"] for u in doc["users"])
    exported = _declared(out, "pdp_policies")
    # A dataset with PDP on or a policy is exported; "All Rows" is Domo's own, never listed.
    assert sorted(p["dataset"] for p in exported) == sorted(live)
    names = [p["name"] for entry in exported for p in entry.get("policies", [])]
    assert len(names) == POLICIES and "All Rows" not in names
    first = exported[0]
    source = live[first["dataset"]]
    assert first["enabled"] is source["enabled"]
    again = await plan(env)
    assert again.changes == [], [c.address for c in again.changes][:10]
