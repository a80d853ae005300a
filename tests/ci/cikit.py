"""Run the CI recipes' shell steps against the simulator, the way GitHub and GitLab would.

Each `run:`/`script:` step runs under bash (``-eo pipefail``, as both CIs do) in a workspace
holding ``governance/`` (a copy of examples/config). ``domogov`` is the real CLI; the
instance flag is replaced by ``--base-url`` of a served simulator. ``gh`` and ``curl`` are
the stubs of stubs.py; their calls land in ``calls`` and their state in ``state``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).parents[2]
RECIPES = ROOT / "examples" / "ci"
TOKEN = "ci-recipe-token-5b1e"
INSTANCE_FLAG = re.compile(r'--instance\s+"\$(?:DOMO_INSTANCE|\{DOMO_INSTANCE\})"')
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path)


@dataclass
class StepResult:
    """One executed (or skipped) step."""

    name: str
    code: int | None  # None: not run
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Workspace:
    """A checkout with governance/, stubbed gh/curl, and the simulator's URL."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root, self.base_url = root, base_url
        shutil.copytree(ROOT / "examples" / "config", root / "governance")
        self.bin, self.stub = root / ".bin", root / ".stub"
        self.bin.mkdir()
        (self.stub / "artifacts").mkdir(parents=True)
        launcher = (
            f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        )
        for tool in ("gh", "curl"):
            self._script(tool, launcher + "from stubs import main\nmain()\n")
        self._script("domogov", f'#!/bin/sh\nexec "{sys.executable}" -m domogov "$@"\n')
        self.state = {
            "comments": [],
            "notes": [],
            "issues": [],
            "pulls": [],
            "runs": [],
            "jobs": [],
            "artifacts": str(self.stub / "artifacts"),
        }

    def _script(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)

    @property
    def state(self) -> dict[str, Any]:
        return json.loads((self.stub / "state.json").read_text(encoding="utf-8"))

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        (self.stub / "state.json").write_text(json.dumps(value), encoding="utf-8")

    def calls(self) -> list[list[str]]:
        log = self.stub / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def bash(self, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """Run a step's script as the CIs do, with the instance flag pointed at the simulator."""
        assert "set -x" not in script, "a step must not trace commands: it would echo secrets"
        script = INSTANCE_FLAG.sub(f'--base-url "{self.base_url}"', script)
        for line in re.findall(r"^\s*domogov (?:plan|apply|drift)\b.*$", script, re.M):
            assert "--base-url" in line, f'without --instance "$DOMO_INSTANCE": {line.strip()}'
        path = self.stub / "step.sh"
        path.write_text(script, encoding="utf-8")
        full = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.root),
            "STUB_DIR": str(self.stub),
            "NO_COLOR": "1",
            **env,
        }
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=self.root,
            env=full,
            capture_output=True,
            text=True,
            timeout=120,
        )


def is_install(script: str) -> bool:
    return "pip install" in script


# --- GitHub Actions ----------------------------------------------------------------------


def github_condition(
    condition: str | None, outputs: dict[str, dict[str, str]], failed: bool
) -> bool:
    """The few `if:` forms the recipes use: always(), success(), failure(), steps outputs."""
    if condition is None:
        return not failed
    text = EXPRESSION.sub(r"\1", str(condition))
    text = re.sub(
        r"steps\.([\w-]+)\.outputs\.([\w-]+)",
        lambda m: repr(outputs.get(m[1], {}).get(m[2], "")),
        text,
    )
    text = text.replace("always()", "True").replace("success()", repr(not failed))
    text = text.replace("failure()", repr(failed)).replace("&&", " and ").replace("||", " or ")
    assert re.fullmatch(r"[\w\s'=!()-]*", text), f"unsupported if: {condition}"
    return bool(eval(text))


def run_github_job(
    ws: Workspace, workflow: str, context: dict[str, str], job: str | None = None
) -> list[StepResult]:
    """Run the job's steps; `uses:` steps are no-ops except upload-artifact (kept per run)."""
    doc = load_yaml(RECIPES / "github" / workflow)
    name = job or next(iter(doc["jobs"]))
    spec = doc["jobs"][name]
    outputs: dict[str, dict[str, str]] = {}
    results: list[StepResult] = []
    failed = False

    def resolve(value: Any) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m[1]
            if step := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
                return outputs.get(step[1], {}).get(step[2], "")
            return context[expr]  # a KeyError names an expression the test does not provide

        return EXPRESSION.sub(one, str(value))

    for i, step in enumerate(spec["steps"]):
        label = step.get("name") or step.get("uses") or f"step {i}"
        if not github_condition(step.get("if"), outputs, failed):
            results.append(StepResult(label, None))
            continue
        if "uses" in step:
            if step["uses"].startswith("actions/upload-artifact"):
                store = (
                    Path(ws.state["artifacts"]) / context["github.run_id"] / step["with"]["name"]
                )
                store.mkdir(parents=True, exist_ok=True)
                for rel in str(step["with"]["path"]).split():
                    shutil.copy(ws.root / rel, store / rel)
            results.append(StepResult(label, 0))
            continue
        script = step["run"]
        if is_install(script):
            results.append(StepResult(label, None))
            continue
        env = {
            k: resolve(v)
            for k, v in {**doc.get("env", {}), **spec.get("env", {}), **step.get("env", {})}.items()
        }
        output_file = ws.stub / f"output-{i}"
        output_file.write_text("")
        env["GITHUB_OUTPUT"] = str(output_file)
        done = ws.bash(script, env)
        parsed = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
        )
        if "id" in step:
            outputs[step["id"]] = parsed
        results.append(StepResult(label, done.returncode, done.stdout, done.stderr, parsed))
        failed = failed or done.returncode != 0
    return results


# --- GitLab CI ---------------------------------------------------------------------------


def run_gitlab_job(ws: Workspace, job: str, env: dict[str, str]) -> StepResult:
    """Run before_script + script as one bash script (as the runner does), minus pip install."""
    doc = load_yaml(RECIPES / "gitlab" / ".gitlab-ci.yml")
    spec = doc[job]
    lines = [
        line for line in [*spec.get("before_script", []), *spec["script"]] if not is_install(line)
    ]
    variables = {k: str(v) for k, v in doc.get("variables", {}).items()}
    done = ws.bash("\n".join(lines), {**variables, **env})
    return StepResult(job, done.returncode, done.stdout, done.stderr)


def keep_gitlab_artifacts(ws: Workspace, job: str, job_id: int) -> None:
    """What the runner does after a successful job: store `artifacts.paths` under the job id."""
    spec = load_yaml(RECIPES / "gitlab" / ".gitlab-ci.yml")[job]
    store = Path(ws.state["artifacts"]) / str(job_id)
    store.mkdir(parents=True, exist_ok=True)
    for rel in spec["artifacts"]["paths"]:
        shutil.copy(ws.root / rel, store / rel)
