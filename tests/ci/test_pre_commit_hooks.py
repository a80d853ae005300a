"""`.pre-commit-hooks.yaml`: each hook's entry + args, run as pre-commit would, on a copy of
examples/config in governance/ (the documented default directory)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cikit import ROOT, load_yaml

from domogov.cli import cli

HOOKS = {h["id"]: h for h in load_yaml(ROOT / ".pre-commit-hooks.yaml")}


def run_hook(
    hook_id: str, cwd: Path, args: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command pre-commit runs for a hook: entry, then args (pass_filenames is false)."""
    hook = HOOKS[hook_id]
    argv = shlex.split(hook["entry"]) + (hook["args"] if args is None else args)
    assert argv[0] == "domogov"
    command = [sys.executable, "-m", "domogov", *argv[1:]]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_hooks_are_declared_as_documented() -> None:
    assert set(HOOKS) == {"domogov-validate", "domogov-fmt"}
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False and hook["args"] == ["governance"]
        assert hook["types"] == ["yaml"] and hook["name"] and hook["description"]
    assert HOOKS["domogov-validate"]["entry"] == "domogov validate"
    assert HOOKS["domogov-fmt"]["entry"] == "domogov fmt --check"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "config", tmp_path / "governance")
    return tmp_path


def test_validate_hook_passes_then_fails_on_a_broken_manifest(repo: Path) -> None:
    ok = run_hook("domogov-validate", repo)
    assert ok.returncode == 0 and ok.stdout.strip() == "OK: 26 objects in 10 files"
    groups = repo / "governance" / "groups.yaml"
    groups.write_text(groups.read_text().replace("members:", "membrs:", 1))
    bad = run_hook("domogov-validate", repo)
    assert bad.returncode == 1
    assert "governance/groups.yaml:" in bad.stderr and "did you mean 'members'?" in bad.stderr


def test_validate_hook_directory_is_overridable(repo: Path) -> None:
    (repo / "governance").rename(repo / "policies")
    assert run_hook("domogov-validate", repo).returncode == 1  # no governance/ here
    assert run_hook("domogov-validate", repo, args=["policies"]).returncode == 0


def test_fmt_hook(repo: Path) -> None:
    if "fmt" not in cli.commands:
        pytest.skip("`domogov fmt` is not available yet")
    assert run_hook("domogov-fmt", repo).returncode == 0
    groups = repo / "governance" / "groups.yaml"
    groups.write_text(groups.read_text().replace("    type: closed\n", "    type:    closed\n", 1))
    result = run_hook("domogov-fmt", repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "groups.yaml" in result.stdout + result.stderr


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
