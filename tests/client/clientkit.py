"""Shared helpers for the client tests: a small simulator instance, a sleep recorder and a
fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from domogov.client import DomoClient
from domogov.sim import SimState, SimTransport, create_app

TOKEN = "t0k-sim-client-tests-7d1e"
BASE = "http://localhost"
GROUPS = 25
USERS = 12
SCHEDULES = 7


def sim_document() -> dict[str, Any]:
    """A small instance: 12 users, 25 groups, 7 report schedules (sizes chosen for paging)."""
    users = [
        {
            "id": 1000 + i,
            "displayName": f"User {i}",
            "emailAddress": f"u{i}@example.com",
            "roleId": 1,
        }
        for i in range(1, USERS + 1)
    ]
    groups = [
        {
            "id": 500 + i,
            "name": f"group-{i:02d}",
            "type": "closed",
            "members": [1001],
            "owners": [1001],
        }
        for i in range(GROUPS)
    ]
    schedules = [
        {
            "id": 100 + i,
            "title": f"Report {i}",
            "pageId": 345678,
            "viewId": 789012,
            "schedule": {"frequency": "DAILY", "hourOfDay": 8, "minOfHour": 0, "timezone": "UTC"},
        }
        for i in range(SCHEDULES)
    ]
    roles = [{"id": 1, "name": "Admin", "authorities": []}]
    return {
        "token": TOKEN,
        "me": 1001,
        "users": users,
        "roles": roles,
        "groups": groups,
        "report_schedules": schedules,
    }


class SleepRecorder:
    """Stands in for asyncio.sleep through tenacity's ``sleep`` argument: records, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    """Virtual time for ``DomoClient(sleep=clock.sleep, clock=clock)``: it moves only when a
    sleeper wakes, to that sleeper's wake-up time (never back), so sleepers that overlap
    on a real clock overlap here too. Every sleep is recorded."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake = self.now + seconds
        await asyncio.sleep(0)  # let the other tasks run, as a real sleep would
        self.now = max(self.now, wake)


class Sim:
    """The simulator app plus a client for its /_sim control endpoints."""

    def __init__(self) -> None:
        self.state = SimState.from_document(sim_document())
        self.app = create_app(self.state, token=TOKEN)
        self.transport = SimTransport(self.app)
        self.control = httpx.AsyncClient(transport=SimTransport(self.app), base_url=BASE)

    async def faults(self, **config: Any) -> None:
        """Replace the fault configuration (POST /_sim/faults)."""
        answer = await self.control.post("/_sim/faults", json=config)
        assert answer.status_code == 200, answer.text

    async def script(self, fault: str, count: int = 1, method: str = "*", path: str = "*") -> None:
        """The next ``count`` requests matching method and path glob get ``fault``."""
        entry = {"fault": fault, "count": count, "method": method, "path_glob": path}
        await self.faults(seed=7, script=[entry])

    async def stats(self) -> dict[str, Any]:
        answer = await self.control.get("/_sim/stats")
        return answer.json()

    async def hits(self, endpoint: str) -> int:
        """Requests the simulator received for ``"METHOD /route/template"``."""
        return (await self.stats())["by_endpoint"].get(endpoint, 0)


ClientFactory = Callable[..., DomoClient]
