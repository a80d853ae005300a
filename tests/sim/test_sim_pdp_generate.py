"""Generated states with PDP policies: consistent, deterministic, and leaving every other
object of a seed as it was."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from domogov.sim import SimState, generate_state, load_state_file
from domogov.sim.cli import sim
from domogov.sim.integrity import integrity_problems

SIZES = {"users": 200, "groups": 12, "datasets": 40, "alerts": 3, "schedules": 2, "seed": 5}


def test_generated_pdp_policies_are_consistent_and_deterministic() -> None:
    doc = generate_state(**SIZES, pdp_policies=70)
    state = SimState.from_document(doc)  # refuses a dangling dataset, user or group
    assert integrity_problems(state) == []
    assert doc == generate_state(**SIZES, pdp_policies=70)
    policies = [p for d in doc["pdp"] for p in d["policies"]]
    assert sum(1 for p in policies if not p.get("open")) == 70
    # Every dataset with policies has Domo's own open policy, first; names are unique.
    assert all(d["policies"][0]["name"] == "All Rows" for d in doc["pdp"])
    assert all(d["policies"][0].get("open") for d in doc["pdp"])
    names = [p["name"] for p in policies if not p.get("open")]
    assert len(set(names)) == len(names)
    assert all(p["parameters"] for p in policies if not p.get("open"))
    assert len(doc["pdp"]) == 35  # spread over the 40 datasets: ceil(70 / 40) = 2 each


def test_pdp_policies_leave_the_rest_of_a_seed_unchanged() -> None:
    plain = generate_state(**SIZES)
    assert plain["pdp"] == []
    with_pdp = generate_state(**SIZES, pdp_policies=30)
    assert {k: v for k, v in with_pdp.items() if k != "pdp"} == {
        k: v for k, v in plain.items() if k != "pdp"
    }


def test_sim_generate_pdp_policies_option(tmp_path: Path) -> None:
    out = tmp_path / "state.json"
    args = ["generate", "--users", "50", "--datasets", "10", "--pdp-policies", "12"]
    result = CliRunner().invoke(sim, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    state = load_state_file(out)
    assert sum(1 for d in state.pdp.values() for p in d.policies if not p.open) == 12
