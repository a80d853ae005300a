"""Concurrency bound and client-side rate limit, measured at the simulator."""

from __future__ import annotations

import asyncio
import time

from clientkit import BASE, TOKEN, Sim
from starlette.types import ASGIApp, Receive, Scope, Send

from domogov.client import DomoClient
from domogov.sim import SimTransport

ME = "/api/content/v2/users/me"


class InFlight:
    """ASGI wrapper counting requests being served at once (the server's view of concurrency)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = 0
        self.peak = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


async def _burst(client: DomoClient, n: int) -> None:
    await asyncio.gather(*(client.get(ME) for _ in range(n)))


async def test_no_more_than_max_concurrency_requests_in_flight(sim: Sim) -> None:
    await sim.faults(latency_ms=30)
    server = InFlight(sim.app)
    async with DomoClient(BASE, TOKEN, transport=SimTransport(server), max_concurrency=3) as c:
        await _burst(c, 20)
    assert server.peak == 3


async def test_the_measurement_sees_parallelism_when_unbounded(sim: Sim) -> None:
    await sim.faults(latency_ms=30)
    server = InFlight(sim.app)
    async with DomoClient(BASE, TOKEN, transport=SimTransport(server), max_concurrency=20) as c:
        await _burst(c, 20)
    assert server.peak > 3


async def test_rate_limit_spaces_requests(sim: Sim) -> None:
    # 20 requests per second: 11 requests need at least 10 gaps of 50 ms.
    async with DomoClient(BASE, TOKEN, transport=sim.transport, rate_limit=20) as client:
        started = time.monotonic()
        await _burst(client, 11)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.4
    assert await sim.hits(f"GET {ME}") == 11


async def test_retries_also_wait_for_the_rate_limit(sim: Sim) -> None:
    await sim.script("503", count=4, method="GET", path=ME)
    async with DomoClient(
        BASE, TOKEN, transport=sim.transport, rate_limit=20, backoff_base=0, backoff_max=0
    ) as client:
        started = time.monotonic()
        await client.get(ME)
        elapsed = time.monotonic() - started
    assert client.stats[f"GET {ME}"] == 5
    assert elapsed >= 0.15  # 4 gaps of 50 ms, minus slack
