"""Smoke test: the scale benchmark runs at scale S and writes its results file (no timings)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# Seconds each (the S benchmark end to end):
# left out of the fast loop (-m "not slow"), run by CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("plan", "plan_p1", "apply", "noop_plan", "rate_limited_plan")
PHASE_KEYS = (
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "exit_code",
    "requests",
    "reads",
    "writes",
    "requests_by_endpoint",
    "lower_bound_s",
)
TARGETS = (
    "plan wall <= 1.3 x lower bound",
    "plan >= 8x faster than --parallelism 1",
    "plan requests <= 1.1 x minimum",
    "membership changes of one group = one call",
    "grants on one dataset = one share call + one revoke call",
    "apply write calls <= 1.1 x changed objects",
    "plan client CPU <= 10 s",
    "plan client peak RSS <= 400 MB",
)


@pytest.mark.timeout(600)
def test_bench_scale_s(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scale",
            "S",
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=540,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    for key in ("scale", "sizes", "latency_ms", "minimum_requests", "phases", "targets"):
        assert key in results
    assert results["scale"] == "S"
    for phase in PHASES:
        for key in PHASE_KEYS:
            assert key in results["phases"][phase], (phase, key)
    names = {t["name"] for t in results["targets"]}
    assert set(TARGETS) <= names
    assert any(name.startswith("--rate-limit") for name in names)
    assert all(isinstance(t["met"], bool) for t in results["targets"])
    # Functional outcomes (not timings): the plan/apply/plan cycle converges.
    phases = results["phases"]
    assert phases["plan"]["exit_code"] == 0
    assert phases["apply"]["exit_code"] == 0
    assert phases["noop_plan"]["no_changes"], phases["noop_plan"]["remaining"]
    assert phases["rate_limited_plan"]["exit_code"] == 0
    assert "targets" in proc.stdout and ("met" in proc.stdout)
    # The simulator the script started is gone: nothing listens on its port any more.
    match = re.search(r"simulator on http://127\.0\.0\.1:(\d+)", proc.stdout)
    assert match, proc.stdout[:2000]
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(match[1]))) != 0
