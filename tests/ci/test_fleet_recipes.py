"""The fleet CI recipes (examples/ci/fleet): one job per instance, linted like the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from cikit import RECIPES, load_yaml
from test_recipe_lint import actionlint, gitlab_schema

FLEET = RECIPES / "fleet"
GITHUB = FLEET / "github" / "domogov-fleet-plan.yml"
GITLAB = FLEET / "gitlab" / ".gitlab-ci.yml"
EXAMPLE = RECIPES.parents[1] / "examples" / "fleet"


def _example_instances() -> list[str]:
    return list(load_yaml(EXAMPLE / "domogov.yaml")["instances"])


def test_github_fleet_recipe_passes_actionlint() -> None:
    done = actionlint(GITHUB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_github_fleet_recipe_is_a_matrix_over_the_instances() -> None:
    job = load_yaml(GITHUB)["jobs"]["plan"]
    entries = job["strategy"]["matrix"]["include"]
    assert [e["instance"] for e in entries] == _example_instances()
    # Each instance's token comes from its own secret, named as domogov names the variable.
    assert [e["secret"] for e in entries] == ["DOMO_TOKEN_ACME", "DOMO_TOKEN_ACME_EMEA"]
    assert job["strategy"]["fail-fast"] is False
    plan = next(s for s in job["steps"] if s.get("id") == "plan")
    assert '--instance "$INSTANCE"' in plan["run"]
    assert plan["env"]["DOMO_TOKEN"] == "${{ secrets[matrix.secret] }}"


def test_gitlab_fleet_recipe_passes_the_gitlab_ci_schema() -> None:
    done = gitlab_schema(GITLAB)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_fleet_recipe_runs_parallel_jobs_per_instance() -> None:
    job = load_yaml(GITLAB)["domogov:fleet-plan"]
    [matrix] = job["parallel"]["matrix"]
    assert matrix["INSTANCE"] == _example_instances()
    assert any('--instance "$INSTANCE"' in line for line in job["script"])


def test_the_fleet_lint_can_fail(tmp_path: Path) -> None:
    text = GITHUB.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(text.replace("matrix.instance }}", "matrix.instanse }}", 1), encoding="utf-8")
    done = actionlint(bad)
    assert done.returncode == 1
    assert "instanse" in done.stdout


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
