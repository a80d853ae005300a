"""Fleet runs on the sandbox (SPEC §7): a section per instance, a summary, the worst exit code,
one saved plan file for the fleet with a staleness check per instance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domogov.cli import cli
from domogov.connect import Connection, read_token, token_variable
from domogov.errors import UsageError
from domogov.fleet.members import worst
from domogov.fleet.report import MARKDOWN_LIMIT

ROOT = Path(__file__).parents[2]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "fleet", tmp_path / "fleet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": ""}, catch_exceptions=False)
    return result.exit_code, result.output


def test_plan_all_instances_shows_sections_and_var_differences(workdir: Path) -> None:
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--detailed-exitcode")
    assert code == 2, out
    us, emea = out.split("=== acme-emea (sandbox-acme-emea) ===")
    assert "=== acme (sandbox-acme) ===" in us
    assert '"Analysts with access to US finance data"' in us
    assert '"Analysts with access to EMEA finance data"' in emea
    assert "gov-Works Council" in emea and "gov-Works Council" not in us  # the overlay's own
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in us
    assert "Plan: 2 to add, 2 to change, 0 to destroy." in emea
    assert "acme-emea    2       2        0  changes" in out
    # The DomoStats job changes on both; when it runs is each instance's ${var.stats_at}.
    job = "~ domostats_job.50e7230f-d2f2-42e2-a208-d94c8ae9f64c/subsidiary.domo.com"
    assert job in us and job in emea
    assert '~ schedule.at: "02:00" -> "04:00"' in emea and "schedule.at" not in us
    # Each instance has its own sandbox.
    assert (workdir / ".domogov" / "sandbox-acme.json").is_file()
    assert (workdir / ".domogov" / "sandbox-acme-emea.json").is_file()


def test_apply_converges_on_every_instance(workdir: Path) -> None:
    code, out = invoke("apply", "fleet", "--sandbox", "--all-instances", "--auto-approve")
    assert code == 0, out
    assert out.count("applied (exit 0)") == 2
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--detailed-exitcode")
    assert code == 0, out
    assert out.count("No changes.") == 2


def test_instance_subset_and_unknown_instance(workdir: Path) -> None:
    code, out = invoke("plan", "fleet", "--sandbox", "--instance", "acme-emea")
    assert code == 0, out
    assert "=== acme-emea" in out and "=== acme (" not in out
    code, out = invoke("plan", "fleet", "--sandbox", "--instance", "acme,nope")
    assert code == 1
    assert "unknown instance nope" in out
    code, out = invoke("plan", "fleet", "--sandbox")
    assert code == 1
    assert "pass --all-instances or --instance" in out


def test_all_instances_on_a_plain_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "groups.yaml").write_text("groups: []\n", encoding="utf-8")
    code, out = invoke("plan", str(tmp_path), "--sandbox", "--all-instances")
    assert code == 1
    assert "declares no instances" in out


def test_saved_fleet_plan_applies_each_instance_with_its_own_staleness_check(
    workdir: Path,
) -> None:
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--out", "fleet.json")
    assert code == 0, out
    doc = json.loads((workdir / "fleet.json").read_text(encoding="utf-8"))
    assert sorted(doc["instances"]) == ["acme", "acme-emea"]
    assert doc["instances"]["acme"]["instance"] == "sandbox-acme"
    # acme alone moves on after the plan was saved: only its plan is stale.
    code, out = invoke("apply", "fleet", "--sandbox", "--instance", "acme", "--auto-approve")
    assert code == 0, out
    code, out = invoke("apply", "fleet.json", "--sandbox")
    assert code == 1, out  # the worst: acme's stale refusal
    assert "acme         -       -        -  error (exit 1)" in out
    assert "the saved plan is stale" in out
    assert "acme-emea    2       2        0  applied (exit 0)" in out
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--detailed-exitcode")
    assert code == 0, out


def test_markdown_and_json_views(workdir: Path) -> None:
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--markdown")
    assert code == 0, out
    assert "| `acme-emea` | 2 | 2 | 0 | changes |" in out
    assert "<details><summary>acme: changes</summary>" in out
    assert "<details><summary>acme-emea: changes</summary>" in out
    assert len(out) < MARKDOWN_LIMIT
    code, out = invoke("plan", "fleet", "--sandbox", "--all-instances", "--json")
    doc = json.loads(out)
    assert [m["instance"] for m in doc["fleet"]] == ["acme", "acme-emea"]
    assert doc["fleet"][1]["plan"]["summary"] == {"add": 2, "change": 2, "destroy": 0}


def test_drift_and_doctor_fleet(workdir: Path) -> None:
    assert invoke("apply", "fleet", "--sandbox", "--all-instances", "--auto-approve")[0] == 0
    code, out = invoke("drift", "fleet", "--sandbox", "--all-instances")
    assert code == 0, out
    assert out.count("No drift") == 2
    code, out = invoke("doctor", "fleet", "--sandbox", "--all-instances", "--json")
    doc = json.loads(out)
    assert [m["instance"] for m in doc["fleet"]] == ["acme", "acme-emea"]
    assert all(m["doctor"] is not None for m in doc["fleet"])
    assert code == doc["exit_code"]


def test_worst_exit_code() -> None:
    assert worst([0, 2, 0]) == 2
    assert worst([2, 1, 0]) == 1
    assert worst([1, 3]) == 3
    assert worst([]) == 0


def test_per_instance_token(monkeypatch: pytest.MonkeyPatch) -> None:
    assert token_variable("acme-emea") == "DOMO_TOKEN_ACME_EMEA"
    monkeypatch.setenv("DOMO_TOKEN", "shared-token-value")
    monkeypatch.setenv("DOMO_TOKEN_ACME_EMEA", "emea-token-value")
    assert read_token(None, "acme-emea") == "emea-token-value"
    assert read_token(None, "acme") == "shared-token-value"
    monkeypatch.delenv("DOMO_TOKEN")
    with pytest.raises(UsageError):
        read_token(None, "acme")
    conn = Connection(sandbox=True, fleet_name="acme")
    assert conn.label() == "sandbox-acme"
    assert conn.sandbox_state.name == "sandbox-acme.json"
