"""Rate limits slow everyone: one shared pause for the run, and concurrency that backs off.

Time here is a FakeClock: the pause sleeps on it, and the fake server stamps every request it
sees with it, so "sent after the pause" is an exact comparison, not a race against real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from clientkit import TOKEN, ClientFactory, FakeClock, Sim

from domogov.client import DomoClient
from domogov.errors import RateLimitedError

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]
RATE_LIMIT_BODY = {"status": 403, "statusReason": "Forbidden", "message": "API Rate limit reached."}


def limited(kind: str, retry_after: str | None = "5") -> httpx.Response:
    """A rate-limit answer of either form Domo uses."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if kind == "403":
        return httpx.Response(403, json=RATE_LIMIT_BODY, headers=headers)
    return httpx.Response(429, json={"status": 429, "message": "Too many"}, headers=headers)


def fake_client(handler: Handler, clock: FakeClock, **options: object) -> DomoClient:
    return DomoClient(
        "http://localhost",
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (no real time involved)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


@pytest.mark.parametrize("kind", ["429", "403"])
async def test_a_rate_limit_holds_every_other_request_for_its_retry_after(kind: str) -> None:
    clock = FakeClock()
    seen: list[tuple[float, str]] = []
    answered = False

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal answered
        seen.append((clock.elapsed, request.url.path))
        if request.url.path == "/api/first" and not answered:
            answered = True
            return limited(kind, "5")
        return httpx.Response(200, json={"ok": True})

    async with fake_client(handler, clock) as client:
        first = asyncio.create_task(client.get("/api/first"))
        await until(lambda: client.rate_limited == 1)
        # Six new requests after the rate limit: none may reach the server before it lifts.
        others = [client.get(f"/api/other/{i}") for i in range(6)]
        await asyncio.gather(first, *others)
        assert client.paused_seconds == 5.0
    assert seen[0] == (0.0, "/api/first")
    later = seen[1:]
    assert len(later) == 7  # the retry of the first and the six others
    assert all(at >= 5.0 for at, _ in later), later
    assert clock.elapsed == 5.0  # one pause for everyone, not one after another


async def test_requests_limited_together_share_one_pause_and_halve_concurrency_once() -> None:
    clock = FakeClock()
    seen: list[tuple[float, str]] = []
    arrived = 0
    all_here = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        seen.append((clock.elapsed, request.url.path))
        arrived += 1
        if arrived <= 4:
            if arrived == 4:
                all_here.set()
            await all_here.wait()  # four requests in flight at once, all limited
            return limited("429", "5")
        return httpx.Response(200, json={"ok": True})

    async with fake_client(handler, clock, max_concurrency=8, recover_after=100) as client:
        await asyncio.gather(*(client.get(f"/api/{i}") for i in range(4)))
        assert client.rate_limited == 4
        assert client.paused_seconds == 5.0  # one pause of 5 s, not 4 stacked
        assert client.concurrency == 4  # one signal: 8 -> 4, not 8 -> 1
    retries = seen[4:]
    assert len(retries) == 4 and all(at == 5.0 for at, _ in retries), seen
    assert clock.elapsed == 5.0


async def test_a_later_rate_limit_extends_the_pause_it_finds() -> None:
    clock = FakeClock()
    waits = iter(["5", "8"])
    seen: list[tuple[float, str]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append((clock.elapsed, request.url.path))
        wait = next(waits, None)
        return limited("429", wait) if wait else httpx.Response(200, json={"ok": True})

    async with fake_client(handler, clock) as client:
        await client.get("/api/x")
        assert client.paused_seconds == 13.0  # 5, then 8 more from when it ended
    assert [at for at, _ in seen] == [0.0, 5.0, 13.0]


async def test_retry_after_above_120_seconds_is_capped_at_120() -> None:
    clock = FakeClock()
    seen: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.elapsed)
        return limited("429", "600") if len(seen) == 1 else httpx.Response(200, json=[])

    async with fake_client(handler, clock, backoff_max=1.0) as client:
        assert await client.get("/api/x") == []
        assert client.paused_seconds == 120.0
    assert clock.sleeps == [120.0]
    assert seen == [0.0, 120.0]


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    clock = FakeClock()
    when = datetime.now(UTC) + timedelta(seconds=30)
    answers = iter([limited("429", format_datetime(when, usegmt=True))])

    async def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json=[]))

    async with fake_client(handler, clock) as client:
        await client.get("/api/x")
    (slept,) = clock.sleeps
    assert 28.0 <= slept <= 30.0  # the header has whole seconds; a moment has passed


async def test_without_retry_after_the_pause_is_the_backoff_with_jitter() -> None:
    clock = FakeClock()
    answers = iter([limited("429", None), limited("403", None)])

    async def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json=[]))

    async with fake_client(handler, clock, backoff_base=2.0, backoff_max=60.0) as client:
        await client.get("/api/x")
    first, second = clock.sleeps
    assert 2.0 <= first <= 4.0  # base, plus up to one base of jitter
    assert 4.0 <= second <= 6.0  # doubled


async def test_a_rate_limit_that_never_lifts_gives_up_with_the_counters_kept() -> None:
    clock = FakeClock()

    async def handler(request: httpx.Request) -> httpx.Response:
        return limited("429", "10")

    async with fake_client(handler, clock, max_retries=2) as client:
        with pytest.raises(RateLimitedError, match="gave up after 3 attempts"):
            await client.get("/api/x")
        assert client.metrics() == {
            "requests": 3,
            "retries": 2,
            "rate_limited": 3,
            "paused_seconds": 30.0,
            "concurrency": 1,  # 8 -> 4 -> 2 -> 1: each try was sent under the lowered limit
            "max_concurrency": 8,
        }


async def test_concurrency_halves_on_a_rate_limit_and_recovers_after_successes() -> None:
    clock = FakeClock()
    limit_next = True

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal limit_next
        if limit_next:
            limit_next = False
            return limited("429", "1")
        return httpx.Response(200, json={"ok": True})

    async with fake_client(handler, clock, max_concurrency=6, recover_after=3) as client:
        assert client.concurrency == 6
        await client.get("/api/x")  # limited, then retried: one success
        assert client.concurrency == 3
        history = []
        for _ in range(14):
            await client.get("/api/x")
            history.append(client.concurrency)
    # Two more successes make the first run of three; then one step per three successes.
    assert history == [3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6]


async def test_a_lowered_concurrency_bounds_what_the_server_sees_in_flight() -> None:
    clock = FakeClock()
    now = peak = 0
    limit_next = True

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal now, peak, limit_next
        if limit_next:
            limit_next = False
            return limited("429", "1")
        now += 1
        peak = max(peak, now)
        for _ in range(5):  # stay in flight while the others are sent
            await asyncio.sleep(0)
        now -= 1
        return httpx.Response(200, json={"ok": True})

    async with fake_client(handler, clock, max_concurrency=8, recover_after=1_000) as client:
        await client.get("/api/x")
        assert client.concurrency == 4
        await asyncio.gather(*(client.get("/api/y") for _ in range(20)))
    assert peak == 4


async def test_the_simulators_rate_limit_pauses_the_run(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("429", count=1, method="GET", path="/api/content/v2/users/me")
    clock = FakeClock()
    client = make_client(sleep=clock.sleep, clock=clock, max_concurrency=4)
    results = await asyncio.gather(*(client.get("/api/content/v2/users/me") for _ in range(6)))
    assert all(me["id"] == 1001 for me in results)
    assert client.rate_limited == 1 and client.paused_seconds == 1.0
    assert client.concurrency == 2
    assert await sim.hits("GET /api/content/v2/users/me") == 7
