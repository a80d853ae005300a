"""Fault soak: apply ~550 changes across every kind while 20% of requests fail, then converge.

The simulator injects, at random (seeded): 429 with and without Retry-After, the 403
rate-limit form, 500/502/503, dropped connections, and writes applied whose answer is lost.
`pytest -m soak` runs a longer version.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from soakkit import duplicates, scenario

from domogov.client import DomoClient
from domogov.config import load_config
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import SimTransport, create_app

FAULTS = {
    "rate": 0.2,
    "kinds": {
        "429": 1,
        "429_no_retry_after": 1,
        "403_rate_limit": 1,
        "500": 1,
        "502": 1,
        "503": 1,
        "drop": 1,
        "lost_write": 2,
    },
}


async def soak(tmp_path: Path, seed: int, scale: str, max_rounds: int) -> dict[str, int]:
    config_dir = tmp_path / f"config-{seed}"
    state, _ = scenario(scale, seed, config_dir)
    app = create_app(state)
    transport = SimTransport(app)
    config = load_config(config_dir)
    options = PlanOptions(instance="soak", allow_destructive=True)

    def client() -> DomoClient:
        # Backoff and Retry-After (max_retry_after) kept tiny so the soak stays fast.
        return DomoClient(
            "http://127.0.0.1",
            state.token,
            transport=transport,
            backoff_base=0.001,
            backoff_max=0.005,
            max_retry_after=0.005,
            max_retries=8,
        )

    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as control:
        async with client() as c:
            first, _ = await make_plan(config, c, options)
        assert len(first.changes) >= 500 if scale == "soak" else len(first.changes) > 20
        await control.post("/_sim/faults", json={"seed": seed, **FAULTS})
        codes = []
        for _ in range(max_rounds):
            async with client() as c:
                try:
                    plan, ctx = await make_plan(config, c, options)
                except Exception as exc:  # a read that failed every retry: try the round again
                    codes.append(f"plan failed: {type(exc).__name__}")
                    continue
                if not plan.changes:
                    break
                report = await apply_plan(plan, ctx)
            assert report.exit_code in (0, 3), [o for o in report.outcomes if o.status != "done"]
            codes.append(report.exit_code)
        stats = (await control.get("/_sim/stats")).json()
        await control.delete("/_sim/faults")
        async with client() as c:
            final, _ = await make_plan(config, c, options)
    assert final.changes == [], [c.address for c in final.changes][:20]
    assert duplicates(state.to_document()) == {}
    injected = stats.get("faults_injected", {})
    assert sum(injected.values()) > 100, injected
    return {"changes": len(first.changes), "rounds": len(codes), **injected}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_apply_under_20_percent_faults_converges_without_duplicates(
    tmp_path: Path, seed: int
) -> None:
    figures = await soak(tmp_path, seed, "soak", max_rounds=6)
    print(f"soak seed {seed}: {figures}")  # shown with -s; quoted in the closing note
    assert figures["changes"] >= 500


# Also `slow`: the fast loop's `-m "not slow"` replaces pyproject's `-m "not soak"`, and
# must still leave the soak out.
@pytest.mark.soak
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 110))
async def test_long_soak(tmp_path: Path, seed: int) -> None:
    figures = await soak(tmp_path, seed, "soak", max_rounds=10)
    assert figures["rounds"] <= 10 and figures["changes"] >= 500
