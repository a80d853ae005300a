"""End-to-end harness: the simulator in-process, the real client, real manifests on disk."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import httpx

from domogov.client import DomoClient
from domogov.config import load_config
from domogov.core.applier import ApplyReport
from domogov.core.changes import Plan
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import SimState, SimTransport, create_app, load_state_file

STATE_FILE = Path(__file__).with_name("state.yaml")
SALES = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"
LEDGER = "0c1e5f7a-2d3b-4c8e-9f10-aa11bb22cc33"
TRAFFIC = "7d9e0f12-3a4b-4c5d-8e6f-778899aabbcc"


class Env:
    """One simulated Domo instance and one config directory."""

    def __init__(self, tmp_path: Path, state: SimState | None = None) -> None:
        self.dir = tmp_path / "config"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = state or load_state_file(STATE_FILE)
        self.app = create_app(self.state)
        self.transport = SimTransport(self.app)

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def client(self, **kwargs: Any) -> DomoClient:
        options: dict[str, Any] = {"backoff_base": 0.001, "backoff_max": 0.01}
        options.update(kwargs)
        return DomoClient("http://127.0.0.1", self.state.token, transport=self.transport, **options)

    async def plan(self, **options: Any) -> Plan:
        config = load_config(self.dir)
        async with self.client() as client:
            plan, _ = await make_plan(config, client, PlanOptions(instance="e2e", **options))
        return plan

    async def apply(self, parallelism: int = 8, **options: Any) -> tuple[Plan, ApplyReport]:
        config = load_config(self.dir)
        async with self.client() as client:
            plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e", **options))
            report = await apply_plan(plan, ctx, parallelism=parallelism)
        return plan, report

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(transport=self.transport, base_url="http://sim") as c:
            answer = await c.request(method, path, json=body)
            assert answer.status_code < 300, answer.text
            return answer.json() if answer.content else None

    async def stats(self) -> dict[str, Any]:
        return await self.control("GET", "/_sim/stats")

    async def converge(self) -> tuple[Plan, ApplyReport]:
        """plan -> apply -> a fresh plan must be empty: the end-to-end test of every kind."""
        plan, report = await self.apply()
        failures = [o for o in report.outcomes if o.status != "done"]
        assert not failures, failures
        again = await self.plan()
        assert again.changes == [], [c.address for c in again.changes]
        return plan, report

    # live-state helpers, read straight from the simulator's state document
    def doc(self) -> dict[str, Any]:
        return self.state.to_document()

    def group(self, name: str) -> dict[str, Any] | None:
        for g in self.doc().get("groups", []):
            if g["name"] == name and g.get("active", True):
                return g
        return None

    def user_id(self, email: str) -> int:
        return next(u["id"] for u in self.doc()["users"] if u["emailAddress"] == email)
