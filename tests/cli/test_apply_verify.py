"""apply re-reads what it changed (verify), reports it in --json, and --no-verify skips it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domogov.cli import cli

ROOT = Path(__file__).parents[2]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "config", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": ""}, catch_exceptions=False)
    return result.exit_code, result.output


def test_apply_json_reports_outcomes_and_the_verify_reads(workdir: Path) -> None:
    code, out = invoke("apply", "config", "--sandbox", "--auto-approve", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["summary"] == {"done": 27, "failed": 0, "skipped": 0}
    assert doc["verify"]["not_effective"] == []
    # The re-read: the directory (token user, users, grouplist, roles) plus the kinds' reads.
    assert doc["verify"]["reads"] >= 4


def test_no_verify_makes_no_reads_after_apply(workdir: Path) -> None:
    code, out = invoke("apply", "config", "--sandbox", "--auto-approve", "--json", "--no-verify")
    assert code == 0, out
    assert json.loads(out)["verify"] is None


def test_apply_text_says_verified(workdir: Path) -> None:
    code, out = invoke("apply", "config", "--sandbox", "--auto-approve")
    assert code == 0, out
    assert "Apply: 27 done, 0 failed, 0 skipped. Verified." in out


def test_apply_json_without_auto_approve_is_refused(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["apply", "config", "--sandbox", "--json"], env={"DOMO_TOKEN": ""}
    )
    assert result.exit_code == 1
    assert "apply --json prints no plan to approve: add --auto-approve" in result.output
