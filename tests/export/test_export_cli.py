"""`domogov export` over real HTTP: options, output, and `domogov plan` agreeing with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from exportkit import LEDGER, SALES, STATE_FILE
from servekit import serve

from domogov.cli import cli
from domogov.sim import create_app, load_state_file

TOKEN = "export-test-token-51c7"


@pytest.fixture
def url() -> Iterator[str]:
    app = create_app(load_state_file(STATE_FILE), token=TOKEN)
    with serve(app) as base:
        yield base


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": TOKEN})
    assert TOKEN not in result.output
    return result


def test_export_then_plan_shows_no_changes(url: str, tmp_path: Path) -> None:
    out = tmp_path / "governance"
    result = run("export", "--base-url", url, "--out", str(out), "--datasets", f"{SALES},{LEDGER}")
    assert result.exit_code == 0, result.output
    assert f"Exported to {out}:" in result.output
    assert "dataset_shares/part-001.yaml  2 dataset shares" in result.output
    assert "domogov.yaml (written)" in result.output
    planned = run("plan", str(out), "--base-url", url, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output
    assert run("fmt", str(out), "--check").exit_code == 0
    # The base URL is not an instance name: domogov.yaml names none.
    assert "instance:" not in (out / "domogov.yaml").read_text()


def test_kinds_option(url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", "--base-url", url, "--out", str(out), "--kinds", "group,role")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "domogov.schema.json",
        "domogov.yaml",
        "groups.yaml",
        "roles.yaml",
    ]


def test_usage_errors(url: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    bad_kind = run("export", "--base-url", url, "--out", out, "--kinds", "group,widgets")
    assert bad_kind.exit_code == 1
    assert "unknown kind 'widgets' in --kinds" in bad_kind.output
    both = run("export", "--base-url", url, "--out", out, "--datasets", SALES, "--all-datasets")
    assert both.exit_code == 1
    assert "not both" in both.output
    bad_id = run("export", "--base-url", url, "--out", out, "--datasets", "nope")
    assert bad_id.exit_code == 1
    assert "invalid dataset id 'nope'" in bad_id.output
    assert not Path(out).exists()


def test_all_datasets_says_where_they_come_from(url: str, tmp_path: Path) -> None:
    result = run("export", "--base-url", url, "--out", str(tmp_path / "o"), "--all-datasets")
    assert result.exit_code == 0, result.output
    # Every dataset of the instance, not only the one alert 358 watches.
    assert "Note: --all-datasets: 3 dataset(s) found through the search API" in result.output
    assert "dataset_shares/part-001.yaml  3 dataset shares" in result.output


def test_wrong_token_is_an_error(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["export", "--base-url", url, "--out", str(tmp_path / "o")],
        env={"DOMO_TOKEN": "wrong"},
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
