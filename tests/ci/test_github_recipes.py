"""The GitHub Actions recipes: their steps run against the simulator, gh stubbed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cikit import RECIPES, TOKEN, StepResult, Workspace, load_yaml, run_github_job
from click.testing import CliRunner

from domogov.cli import cli

# Seconds each (each recipe runs its shell steps and the real CLI):
# left out of the fast loop (-m "not slow"), run by CI.
pytestmark = pytest.mark.slow

MARKER = "<!-- domogov-plan -->"
PR, HEAD, MERGE, PLAN_RUN = 42, "headsha1", "mergesha1", "7001"


def context(run_id: str = PLAN_RUN, sha: str = HEAD) -> dict[str, str]:
    return {
        "secrets.DOMO_TOKEN": TOKEN,
        "vars.DOMO_INSTANCE": "acme",
        "github.token": "ghs_stub",
        "github.repository": "acme/governance",
        "github.server_url": "https://github.com",
        "github.run_id": run_id,
        "github.sha": sha,
        "github.event.pull_request.number": str(PR),
        "github.event.pull_request.head.sha": HEAD,
    }


def by_name(results: list[StepResult]) -> dict[str, StepResult]:
    return {r.name: r for r in results}


def no_secret(ws: Workspace, results: list[StepResult]) -> None:
    for r in results:
        assert TOKEN not in r.output, f"{r.name} printed the token"
    assert TOKEN not in json.dumps(ws.state) and TOKEN not in json.dumps(ws.calls())


def plan_pr(ws: Workspace, run_id: str = PLAN_RUN) -> dict[str, StepResult]:
    results = run_github_job(ws, "domogov-plan.yml", context(run_id))
    no_secret(ws, results)
    return by_name(results)


def test_plan_workflow_posts_then_updates_one_comment(ws: Workspace) -> None:
    steps = plan_pr(ws)
    assert steps["Install domogov"].code is None  # pip install: not run here
    assert steps["Validate"].code == 0 and "OK: 26 objects in 10 files" in steps["Validate"].stdout
    assert steps["Plan"].code == 0 and steps["Plan"].outputs == {"exit_code": "0"}
    assert steps["Post or update the plan comment"].code == 0, steps[
        "Post or update the plan comment"
    ].stderr
    assert steps["Fail when the plan failed"].code is None
    [comment] = ws.state["comments"]
    plan_md = (ws.root / "plan.md").read_text(encoding="utf-8")
    assert comment["pr"] == PR and comment["body"].startswith(MARKER + "\n" + plan_md)
    assert "Plan: 4 to add, 20 to change, 3 to destroy." in comment["body"]
    assert HEAD in comment["body"] and "actions/runs/7001" in comment["body"]
    artifact = ws.root / ".stub" / "artifacts" / PLAN_RUN / "domogov-plan"
    assert json.loads((artifact / "plan.json").read_text())["format_version"] == "1"
    # A second push: the same comment is edited, no new one is added.
    plan_pr(ws, run_id="7002")
    assert len(ws.state["comments"]) == 1
    methods = [c[c.index("--method") + 1] for c in ws.calls() if "--method" in c]
    assert methods == ["POST", "PATCH"]
    [lookup, *_] = [c for c in ws.calls() if c[:2] == ["gh", "api"] and "--jq" in c]
    assert MARKER in lookup[lookup.index("--jq") + 1] and "--paginate" in lookup


def test_plan_failure_is_shown_in_the_comment_and_fails_the_job(ws: Workspace) -> None:
    groups = ws.root / "governance" / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    groups.write_text(text.replace("bob.martin@acme.example]", "nobody@acme.example]", 1))
    steps = plan_pr(ws)
    assert steps["Validate"].code == 0  # an unknown user is only known by reading Domo
    assert steps["Plan"].outputs == {"exit_code": "1"}
    assert steps["Upload the reviewed plan"].code is None  # nothing to apply
    assert steps["Fail when the plan failed"].code == 1
    [comment] = ws.state["comments"]
    assert "### domogov plan failed (exit 1)" in comment["body"]
    assert "nobody@acme.example" in comment["body"]


def merged(ws: Workspace, run_id: str = PLAN_RUN) -> None:
    """GitHub's side of a merge: the pull request and its successful plan run."""
    state = ws.state
    state["pulls"] = [{"number": PR, "merge_sha": MERGE, "head": {"sha": HEAD}}]
    state["runs"] = [{"id": int(run_id), "head_sha": HEAD}]
    ws.state = state


def apply_merge(ws: Workspace) -> dict[str, StepResult]:
    results = run_github_job(ws, "domogov-apply.yml", context(run_id="8001", sha=MERGE))
    no_secret(ws, results)
    return by_name(results)


def test_apply_workflow_applies_the_reviewed_plan(ws: Workspace) -> None:
    plan_pr(ws)
    (ws.root / "plan.json").unlink()  # the merge job starts from a fresh checkout
    merged(ws)
    steps = apply_merge(ws)
    assert steps["Download the reviewed plan"].code == 0, steps["Download the reviewed plan"].output
    assert (
        "Applying the plan of pull request #42 (workflow run 7001)"
        in steps["Download the reviewed plan"].stdout
    )
    assert steps["Apply"].code == 0, steps["Apply"].output
    assert "Apply: 27 done, 0 failed, 0 skipped." in steps["Apply"].stdout
    download = next(c for c in ws.calls() if c[1:3] == ["run", "download"])
    assert download[3] == PLAN_RUN and "domogov-plan" in download
    listing = next(c for c in ws.calls() if c[1:3] == ["run", "list"])
    assert {"--workflow", "domogov-plan.yml", "--commit", HEAD, "--status", "success"} <= set(
        listing
    )


def test_a_stale_plan_fails_asking_for_a_re_plan(ws: Workspace, sim: tuple[str, Any]) -> None:
    plan_pr(ws)
    merged(ws)
    # Someone edits Finance Analysts in Domo after the review: add Judy Lee by hand.
    body = [{"groupId": 501, "addMembers": [{"type": "USER", "id": "1011"}]}]
    answer = httpx.put(
        f"{sim[0]}/api/content/v2/groups/access",
        json=body,
        headers={"X-DOMO-Developer-Token": TOKEN},
    )
    assert answer.status_code < 300, answer.text
    steps = apply_merge(ws)
    assert steps["Apply"].code == 1
    assert "group.Finance Analysts" in steps["Apply"].stdout
    assert "::error::The reviewed plan is stale" in steps["Apply"].stdout
    assert "Re-plan" in steps["Apply"].stdout


def test_apply_without_a_reviewed_plan_applies_nothing(ws: Workspace) -> None:
    merged(ws)
    state = ws.state
    state["runs"] = []
    ws.state = state
    steps = apply_merge(ws)
    assert steps["Download the reviewed plan"].code == 1
    assert (
        "no successful domogov plan for pull request #42"
        in steps["Download the reviewed plan"].stdout
    )
    assert steps["Apply"].code is None


def drift_available() -> bool:
    return "drift" in cli.commands


def test_drift_workflow(ws: Workspace) -> None:
    doc = load_yaml(RECIPES / "github" / "domogov-drift.yml")
    assert "schedule" in doc["on"]  # YAML 1.2: `on` is a string key, not true
    step = next(s for s in doc["jobs"]["drift"]["steps"] if s.get("id") == "drift")
    assert 'domogov drift "$GOVERNANCE_DIR" --instance "$DOMO_INSTANCE" --markdown' in step["run"]
    if not drift_available():
        pytest.skip("`domogov drift` is not available yet: only the recipe's text is checked")
    ctx = context(run_id="9001", sha="main")
    steps = by_name(run_github_job(ws, "domogov-drift.yml", ctx))
    assert steps["Check for drift"].outputs == {"exit_code": "2"}, steps["Check for drift"].output
    [issue] = ws.state["issues"]
    assert issue["open"] and issue["labels"] == ["domogov-drift"]
    assert issue["body"].startswith("<!-- domogov-drift -->")
    assert "group.Finance Analysts" in issue["body"]  # what `domogov drift --markdown` found
    steps = by_name(run_github_job(ws, "domogov-drift.yml", ctx))
    assert len(ws.state["issues"]) == 1  # updated, not opened again
    assert any(c[1:3] == ["issue", "edit"] for c in ws.calls())
    # Converge, and the next night closes the issue.
    result = CliRunner().invoke(
        cli,
        ["apply", str(ws.root / "governance"), "--base-url", ws.base_url, "--auto-approve"],
        env={"DOMO_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    steps = by_name(run_github_job(ws, "domogov-drift.yml", ctx))
    assert steps["Check for drift"].outputs == {"exit_code": "0"}
    assert not ws.state["issues"][0]["open"]


SAMPLES: dict[str, Any] = {
    '.[] | select(.body | contains("<!-- domogov-plan -->")) | .id': [
        {"id": 1, "body": "hello"},
        {"id": 2, "body": "<!-- domogov-plan -->\nplan"},
    ],
    ".[0].number // empty": [],
    ".[0].head.sha // empty": [{"number": 3, "head": {"sha": "abc"}}],
    ".[0].databaseId // empty": [{"databaseId": 12}],
}


@pytest.mark.parametrize("expr", sorted(SAMPLES))
def test_jq_emulation_matches_jq(expr: str) -> None:
    """The gh stub emulates the recipes' --jq filters; real jq (when installed) agrees."""
    import shutil
    import subprocess

    from stubs import JQ, jq

    assert set(SAMPLES) == set(JQ)
    emulated = [str(v) for v in jq(expr, SAMPLES[expr])]
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    real = subprocess.run(
        ["jq", "-r", expr],
        input=json.dumps(SAMPLES[expr]),
        capture_output=True,
        text=True,
        check=True,
    )
    assert real.stdout.splitlines() == emulated
