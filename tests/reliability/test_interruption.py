"""Interruptions and concurrent applies, through the real CLI in subprocesses over HTTP.

SIGKILL at random points must leave a state a re-plan describes (a subset of the original
plan) and a re-apply converges; SIGINT stops cleanly with a report and exit 3; two applies at
once end in the desired state with no duplicates.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from servekit import serve
from soakkit import duplicates, scenario

from domogov.sim import create_app

# Seconds each (subprocesses applying against a served simulator, killed at random points):
# left out of the fast loop (-m "not slow"), run by CI.
pytestmark = pytest.mark.slow

TOKEN = "interrupt-test-token"


def cli(*args: str, url: str) -> list[str]:
    return [sys.executable, "-m", "domogov", *args, "--base-url", url]


def env() -> dict[str, str]:
    return {**os.environ, "DOMO_TOKEN": TOKEN}


def plan_json(config: Path, url: str) -> dict[str, Any]:
    out = subprocess.run(
        cli("plan", str(config), "--json", "--allow-destructive", url=url),
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def apply(config: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli("apply", str(config), "--auto-approve", "--allow-destructive", *extra, url=url),
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


class Apply:
    """`domogov apply` in a subprocess; its output goes to files, never to a pipe that could
    fill up and block the process before it applies anything."""

    def __init__(self, config: Path, url: str, name: str) -> None:
        self.out_path = config.parent / f"{name}.out"
        self.err_path = config.parent / f"{name}.err"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.proc = subprocess.Popen(
                cli(
                    "apply",
                    str(config),
                    "--auto-approve",
                    "--allow-destructive",
                    "--parallelism",
                    "2",
                    url=url,
                ),
                env=env(),
                stdout=out,
                stderr=err,
            )

    def wait(self, timeout: float = 300) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        return code, self.out_path.read_text(), self.err_path.read_text()


def writes(url: str) -> int:
    stats = httpx.get(f"{url}/_sim/stats").json()
    return sum(n for method, n in stats["by_method"].items() if method != "GET")


def wait_for_writes(
    url: str, at_least: int, timeout: float = 60, proc: subprocess.Popen[Any] | None = None
) -> None:
    """Until the apply has made ``at_least`` writes (or has ended: nothing left to write)."""
    deadline = time.monotonic() + timeout
    start = writes(url)
    while writes(url) - start < at_least:
        if proc is not None and proc.poll() is not None:
            return
        assert time.monotonic() < deadline, "the apply made no writes"
        time.sleep(0.02)


@pytest.fixture
def instance(tmp_path: Path) -> Any:
    config = tmp_path / "config"
    state, _ = scenario("tiny", 5, config)
    app = create_app(state, token=TOKEN)
    with serve(app) as url:
        yield config, url, state


def test_sigkill_at_random_points_then_replan_and_converge(instance: Any) -> None:
    config, url, state = instance
    # Slow enough that six kills land while writes remain (~100 writes at 2 in flight).
    httpx.post(f"{url}/_sim/faults", json={"latency_ms": 60})
    first = plan_json(config, url)
    original = {c["address"] for c in first["changes"]}
    total = sum(first["summary"].values())
    rng = random.Random(3)
    kills = 0
    for round_ in range(6):
        run = Apply(config, url, f"kill{round_}")
        wait_for_writes(url, 1, proc=run.proc)
        time.sleep(rng.uniform(0.0, 0.4))
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGKILL)
            kills += 1
        run.proc.wait(timeout=60)
        replan = plan_json(config, url)
        remaining = {c["address"] for c in replan["changes"]}
        # What is left is part of what was planned: nothing new, nothing undone.
        assert remaining <= original
        assert sum(replan["summary"].values()) <= total
        assert duplicates(state.to_document()) == {}
    assert kills >= 5
    httpx.delete(f"{url}/_sim/faults")
    done = apply(config, url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert plan_json(config, url)["changes"] == []
    assert duplicates(state.to_document()) == {}


def test_sigint_stops_cleanly_with_a_report(instance: Any) -> None:
    config, url, _ = instance
    httpx.post(f"{url}/_sim/faults", json={"latency_ms": 60})
    run = Apply(config, url, "sigint")
    wait_for_writes(url, 3)  # the apply has started making changes: interrupt it
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.wait(timeout=60)
    assert code == 3, out + err
    assert "Interrupted: nothing new was started after the signal." in out
    assert "skipped" in out and "interrupted" in out
    assert "Traceback" not in err
    httpx.delete(f"{url}/_sim/faults")
    assert apply(config, url).returncode == 0
    assert plan_json(config, url)["changes"] == []


def test_two_applies_at_once_end_in_the_desired_state(instance: Any) -> None:
    config, url, state = instance
    httpx.post(f"{url}/_sim/faults", json={"latency_ms": 10, "jitter_ms": 10, "seed": 4})
    runs = [Apply(config, url, f"twin{i}") for i in range(2)]
    for run in runs:
        code, out, err = run.wait()
        assert code in (0, 3), out + err
    httpx.delete(f"{url}/_sim/faults")
    assert duplicates(state.to_document()) == {}
    replan = plan_json(config, url)
    if replan["changes"]:  # a change both raced on and one lost: a second apply finishes it
        assert apply(config, url).returncode == 0
    assert plan_json(config, url)["changes"] == []
    assert duplicates(state.to_document()) == {}
