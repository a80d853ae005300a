"""Two more benchmark phases, each on a simulator of its own at scale M.

- ``server_limited_plan`` (issue 13): the plan against a server that allows 600 requests a
  minute in fixed windows and answers 429 with ``Retry-After`` past it. The run completes,
  fewer than 1% of requests are answered 429, and the wall time stays within 1.15 x
  (requests / limit): the client waits for the window, it does not hammer it.
- ``fleet_plan`` (issue 16): five M instances served by one ``sim serve --instance ...``,
  planned together with ``--all-instances``, against the slowest of the five planned alone.
  Each instance keeps its own rate limit and client.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import scenario as scn
from harness import CliRunner, Simulator

from domogov.sim.statefile import dump_document

SERVER_LIMIT_PER_MINUTE = 600
FLEET = ("fleet-a", "fleet-b", "fleet-c", "fleet-d", "fleet-e")


def _scenario(work: Path, seed: int) -> tuple[scn.Scenario, Path, Path]:
    sc = scn.build("M", seed)
    state_file = work / "state.json"
    dump_document(sc.state, state_file)
    manifests = work / "manifests"
    scn.write_manifests(sc.specs, manifests, None)
    return sc, state_file, manifests


def server_limited_plan(
    env: dict[str, str], work: Path, latency_ms: float, seed: int, timeout: float
) -> dict[str, Any]:
    """Plan M against a server-side limit of 600 requests a minute (fixed windows)."""
    work.mkdir(parents=True, exist_ok=True)
    sc, state_file, manifests = _scenario(work, seed)
    run_env = {**env, "DOMO_TOKEN": sc.token}
    sim = Simulator(
        state_file,
        latency_ms,
        work / "simulator.log",
        ["--rate-limit-per-minute", str(SERVER_LIMIT_PER_MINUTE)],
    )
    runner = CliRunner(run_env, work)
    try:
        sim.start()
        sim.reset_stats()
        run = runner.run(
            "plan-server-limited",
            ["plan", str(manifests), "--base-url", sim.url, "--allow-destructive"],
            timeout,
        )
        stats = sim.stats()
    finally:
        runner.kill_current()
        sim.stop()
    requests = int(stats.get("total", 0))
    answered_429 = int(stats.get("faults_injected", {}).get("rate_limit_per_minute", 0))
    served = requests - answered_429
    return {
        **run.to_json(),
        "limit_per_minute": SERVER_LIMIT_PER_MINUTE,
        "requests": requests,
        "answered_429": answered_429,
        "share_429": round(answered_429 / requests, 4) if requests else 0.0,
        # Served requests need this many minutes of windows at the very least.
        "limit_bound_s": round(served / SERVER_LIMIT_PER_MINUTE * 60, 1),
    }


def _worker_cap(env: dict[str, str]) -> int:
    from domogov.fleet.workers import MAX_WORKERS

    cap = env.get("DOMOGOV_FLEET_WORKERS", "").strip()
    return int(cap) if cap.isdigit() and int(cap) > 0 else MAX_WORKERS


def fleet_plan(
    env: dict[str, str], work: Path, latency_ms: float, seed: int, timeout: float
) -> dict[str, Any]:
    """Five M instances planned together, and each alone, on one fleet simulator."""
    work.mkdir(parents=True, exist_ok=True)
    _, state_file, manifests = _scenario(work, seed)
    states = work / "states"
    states.mkdir(exist_ok=True)
    for name in FLEET:
        shutil.copy(state_file, states / f"{name}.json")
    fleet_dir = work / "fleet"
    shutil.copytree(manifests, fleet_dir)
    project = (fleet_dir / "domogov.yaml").read_text(encoding="utf-8")
    lines = ["instances:"] + [f"  {name}: {{}}" for name in FLEET]
    (fleet_dir / "domogov.yaml").write_text(project + "\n" + "\n".join(lines) + "\n")
    run_env = dict(env)
    for name in FLEET:
        key = name.upper().replace("-", "_")
        token = f"bench-fleet-token-{name}"
        run_env[f"DOMO_TOKEN_{key}"] = token
        run_env[f"DOMOGOV_SIM_TOKEN_{key}"] = token
    extra = [*(a for n in FLEET for a in ("--instance", n)), "--state-dir", str(states)]
    # The fleet server reads each instance's token from its environment.
    sim = Simulator(None, latency_ms, work / "simulator.log", extra, env=run_env)
    sim.health_path = f"/{FLEET[0]}/_sim/health"
    runner = CliRunner(run_env, work)
    base = "{instance}"
    singles: dict[str, float] = {}
    try:
        sim.start()
        url = f"{sim.url}/{base}"
        for name in FLEET:
            single = runner.run(
                f"plan-{name}",
                [
                    "plan",
                    str(fleet_dir),
                    "--instance",
                    name,
                    "--base-url",
                    url,
                    "--allow-destructive",
                ],
                timeout,
            )
            singles[name] = single.wall_s
        # Text output on both sides, as a reviewer reads it: the same rendering work per
        # instance. (`--json` on a fleet adds about 1.6 s at five M plans: the indenting JSON
        # encoder is pure Python.)
        together = runner.run(
            "plan-fleet",
            [
                "plan",
                str(fleet_dir),
                "--all-instances",
                "--base-url",
                url,
                "--allow-destructive",
            ],
            timeout,
        )
        counts = {
            name: httpx.get(f"{sim.url}/{name}/_sim/stats", timeout=30).json().get("total", 0)
            for name in FLEET
        }
    finally:
        runner.kill_current()
        sim.stop()
    stdout = Path(together.stdout).read_text(encoding="utf-8", errors="replace")
    # A section per instance that planned: its heading, and no error under it.
    sections = sum(
        1
        for part in stdout.split("\n=== ")[1:]
        if part.split(" ", 1)[0] in FLEET and "\nError: " not in part
    )
    return {
        **together.to_json(),
        "instances": list(FLEET),
        "single_wall_s": {k: round(v, 2) for k, v in singles.items()},
        "slowest_single_s": round(max(singles.values()), 2),
        "requests_by_instance": counts,
        "sections": sections,
        # One worker process per instance (domogov/fleet/workers.py), unless capped.
        "workers": min(len(FLEET), _worker_cap(env)),
    }
