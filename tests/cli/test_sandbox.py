"""The --sandbox default: a shipped sample instance on which the example plan touches every kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domogov.cli import cli
from domogov.connect import sample_state_path

ROOT = Path(__file__).parents[2]
KINDS = (
    "group", "role", "dataset_share", "certification", "alert", "report_schedule",
    "page_share", "file_permission", "workflow_permission",
    "domostats_job",
    "user", "pdp_policy",
)  # fmt: skip


def test_sample_instance_is_mirrored_in_examples() -> None:
    shipped = sample_state_path().read_text(encoding="utf-8")
    assert shipped == (ROOT / "examples" / "sandbox" / "state.yaml").read_text(encoding="utf-8")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "config", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": ""}, catch_exceptions=False)
    return result.exit_code, result.output


def test_quick_start_plan_touches_every_kind_then_apply_converges(workdir: Path) -> None:
    code, out = invoke("plan", "config", "--sandbox")
    assert code == 0, out
    for kind in KINDS:
        assert f"{kind}." in out, f"the sandbox plan shows no {kind} change"
    assert "Plan: 4 to add, 20 to change, 3 to destroy." in out
    assert (workdir / ".domogov" / "sandbox.json").exists()
    code, out = invoke("apply", "config", "--sandbox", "--auto-approve")
    assert code == 0, out
    assert "Apply: 27 done, 0 failed, 0 skipped." in out
    code, out = invoke("plan", "config", "--sandbox", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
