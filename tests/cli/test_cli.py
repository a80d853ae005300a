"""The command line over real HTTP: plan, apply, saved plans, exit codes, errors, secrets."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from servekit import serve

from domogov.cli import cli
from domogov.sim import create_app, load_state_file

STATE = Path(__file__).parents[1] / "e2e" / "state.yaml"
TOKEN = "cli-test-token-9f2c"
GROUPS = """\
groups:
  - name: Finance Analysts
    members: [bob@example.com, carol@example.com]
  - name: Web Analysts
    members: [erin@example.com]
"""


@pytest.fixture
def served() -> Iterator[tuple[str, object]]:
    state = load_state_file(STATE)
    app = create_app(state, token=TOKEN)
    with serve(app) as url:
        yield url, state


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "groups.yaml").write_text(GROUPS)
    return tmp_path / "cfg"


def run(*args: str, token: str | None = TOKEN) -> Result:
    env = {"DOMO_TOKEN": token} if token else {"DOMO_TOKEN": ""}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert TOKEN not in result.output, "the token leaked into the output"
    return result


def stats(url: str) -> dict:
    return httpx.get(f"{url}/_sim/stats").json()


def test_plan_text_and_detailed_exitcode(served, config: Path) -> None:
    url, _ = served
    result = run("plan", str(config), "--base-url", url)
    assert result.exit_code == 0, result.output
    assert "+ group.Web Analysts" in result.output
    assert "Plan: 1 to add, 1 to change, 0 to destroy." in result.output
    assert run("plan", str(config), "--base-url", url, "--detailed-exitcode").exit_code == 2


def test_plan_json_is_the_versioned_document(served, config: Path) -> None:
    url, _ = served
    doc = json.loads(run("plan", str(config), "--base-url", url, "--json").output)
    assert doc["format_version"] == "1" and doc["summary"] == {"add": 1, "change": 1, "destroy": 0}
    create = next(c for c in doc["changes"] if c["action"] == "create")
    assert create["calls"][0] == {
        "method": "POST",
        "path": "/api/content/v2/groups",
        "body": {"name": "Web Analysts", "description": "", "type": "closed"},
        "idempotent": False,
        "produces": "group.Web Analysts",
        "id_key": "id",
    }
    assert create["calls"][1]["body"][0]["groupId"] == "${group.Web Analysts.id}"
    assert all(c["fingerprint"].startswith("sha256:") for c in doc["changes"])


def test_saved_plan_apply_then_plan_is_empty(served, config: Path, tmp_path: Path) -> None:
    url, _ = served
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(config), "--base-url", url, "--out", str(plan_file)).exit_code == 0
    assert TOKEN not in plan_file.read_text()
    result = run("apply", str(plan_file), "--base-url", url)
    assert result.exit_code == 0, result.output
    assert "Apply: 2 done, 0 failed, 0 skipped." in result.output
    again = run("plan", str(config), "--base-url", url, "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output


def test_stale_saved_plan_is_refused_naming_the_object(served, config: Path, tmp_path) -> None:
    url, _ = served
    plan_file = tmp_path / "plan.json"
    run("plan", str(config), "--base-url", url, "--out", str(plan_file))
    httpx.put(
        f"{url}/api/content/v2/groups/501/user/1004", headers={"X-DOMO-Developer-Token": TOKEN}
    )
    writes_before = stats(url)["by_method"].get("PUT", 0)
    result = run("apply", str(plan_file), "--base-url", url)
    assert result.exit_code == 1
    assert "stale" in result.output and "group.Finance Analysts" in result.output
    assert stats(url)["by_method"].get("PUT", 0) == writes_before


def test_plan_for_another_instance_is_refused(served, config: Path, tmp_path: Path) -> None:
    url, _ = served
    plan_file = tmp_path / "plan.json"
    run("plan", str(config), "--base-url", url, "--out", str(plan_file))
    doc = json.loads(plan_file.read_text())
    doc["instance"] = "acme"
    plan_file.write_text(json.dumps(doc))
    result = run("apply", str(plan_file), "--base-url", url)
    assert result.exit_code == 1 and "made for instance 'acme'" in result.output


def test_apply_without_terminal_or_auto_approve_is_refused(served, config: Path) -> None:
    url, _ = served
    result = run("apply", str(config), "--base-url", url)
    assert result.exit_code == 1 and "--auto-approve" in result.output
    assert stats(url)["by_method"].get("POST", 0) == 0
    ok = run("apply", str(config), "--base-url", url, "--auto-approve")
    assert ok.exit_code == 0, ok.output


def test_missing_token_is_a_clear_error(config: Path) -> None:
    result = run("plan", str(config), "--base-url", "http://127.0.0.1:9", token=None)
    assert result.exit_code == 1 and "DOMO_TOKEN" in result.output


def test_wrong_token_is_an_auth_error(served, config: Path) -> None:
    url, _ = served
    result = run("plan", str(config), "--base-url", url, token="wrong-token")
    assert result.exit_code == 1 and "401" in result.output
    assert "wrong-token" not in result.output


def test_plain_http_to_a_remote_host_is_refused(config: Path) -> None:
    result = run("plan", str(config), "--base-url", "http://domo.example.com")
    assert result.exit_code == 1 and "loopback" in result.output


def test_verbose_logs_calls_without_the_token(served, config: Path) -> None:
    url, _ = served
    result = run("plan", str(config), "--base-url", url, "-vv")
    assert result.exit_code == 0
    assert "GET /api/content/v2/groups/grouplist" in result.output


def test_invalid_config_sends_nothing(served, tmp_path: Path) -> None:
    url, _ = served
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "groups.yaml").write_text("groups:\n  - name: X\n    memebers: []\n")
    result = run("plan", str(bad), "--base-url", url)
    assert result.exit_code == 1
    assert "groups.yaml:3:5" in result.output and "did you mean 'members'" in result.output
    assert stats(url)["total"] == 0


def test_validate_ok_and_errors(tmp_path: Path, config: Path) -> None:
    ok = run("validate", str(config))
    assert ok.exit_code == 0 and ok.output.startswith("OK: 2 objects in 1 files")
    bad = tmp_path / "bad"
    shutil.copytree(config, bad)
    (bad / "more.yaml").write_text("groups:\n  - name: Web Analysts\n")
    result = run("validate", str(bad))
    assert result.exit_code == 1 and "declared twice" in result.output


def test_markdown_plan(served, config: Path) -> None:
    url, _ = served
    result = run("plan", str(config), "--base-url", url, "--markdown")
    assert "### domogov plan for" in result.output
    assert "<details><summary><code>group.Web Analysts</code></summary>" in result.output


def test_drift_exit_codes_and_formats(served, tmp_path: Path) -> None:
    url, _ = served
    cfg = tmp_path / "drift"
    cfg.mkdir()
    (cfg / "groups.yaml").write_text(
        "groups:\n  - name: Finance Analysts\n    members: [bob@example.com, frank@example.com]\n"
    )
    clean = run("drift", str(cfg), "--base-url", url)
    assert clean.exit_code == 0 and "No drift" in clean.output
    httpx.post(f"{url}/_sim/act-as", json={"userId": 1008})
    httpx.put(
        f"{url}/api/content/v2/groups/501/user/1004", headers={"X-DOMO-Developer-Token": TOKEN}
    )
    found = run("drift", str(cfg), "--base-url", url, "--since", "1h")
    assert found.exit_code == 2
    assert "member dave@example.com added outside domogov by Heidi Ops at" in found.output
    as_json = json.loads(run("drift", str(cfg), "--base-url", url, "--json").output)
    assert as_json["drift"][0]["actor"] == "Heidi Ops"
    md = run("drift", str(cfg), "--base-url", url, "--markdown").output
    assert "| `group.Finance Analysts` |" in md
    bad = run("drift", str(cfg), "--base-url", url, "--since", "soon")
    assert bad.exit_code == 1 and "--since 'soon'" in bad.output
