"""Retries against the simulator's faults, and the idempotency rules for writes."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from clientkit import GROUPS, TOKEN, ClientFactory, FakeClock, Sim, SleepRecorder

from domogov.client import DomoClient
from domogov.errors import (
    AmbiguousWriteError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
)

GROUPLIST = "/api/content/v2/groups/grouplist"
GROUPS_PATH = "/api/content/v2/groups"


async def test_429_with_retry_after_waits_what_the_server_asked(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("429", count=2, method="GET", path=GROUPLIST)
    clock = FakeClock()
    client = make_client(sleep=clock.sleep, clock=clock, backoff_max=5.0)
    rows = await client.get(GROUPLIST, params={"limit": 5})
    assert len(rows) == 5
    assert clock.sleeps == [1.0, 1.0]  # the simulator sends Retry-After: 1
    assert client.retries == 2
    assert client.rate_limited == 2
    assert client.paused_seconds == 2.0
    assert await sim.hits(f"GET {GROUPLIST}") == 3


async def test_backoff_max_does_not_cut_a_rate_limits_retry_after(
    sim: Sim, make_client: ClientFactory
) -> None:
    # backoff_max bounds our own backoff; the server's Retry-After is honoured (up to 120 s).
    await sim.script("429", count=1, method="GET", path=GROUPLIST)
    clock = FakeClock()
    await make_client(sleep=clock.sleep, clock=clock, backoff_max=0.25).get(GROUPLIST)
    assert clock.sleeps == [1.0]


async def test_retry_after_really_delays_the_next_try(sim: Sim, make_client: ClientFactory) -> None:
    await sim.script("429", count=1, method="GET", path=GROUPLIST)
    client = make_client(backoff_base=0.0, backoff_max=5.0)
    started = time.monotonic()
    await client.get(GROUPLIST)
    assert time.monotonic() - started >= 0.9


async def test_429_without_retry_after_backs_off_exponentially(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("429_no_retry_after", count=3, method="GET", path=GROUPLIST)
    clock = FakeClock()
    client = make_client(sleep=clock.sleep, clock=clock, backoff_base=0.01, backoff_max=0.035)
    await client.get(GROUPLIST)
    first, second, third = clock.sleeps
    assert 0.01 <= first <= 0.02  # base plus up to one base of jitter
    assert 0.02 <= second <= 0.03
    assert third == pytest.approx(0.035)  # capped


async def test_403_rate_limit_form_is_retried(sim: Sim, make_client: ClientFactory) -> None:
    await sim.script("403_rate_limit", count=2, method="GET", path=GROUPLIST)
    client = make_client()
    assert len(await client.get(GROUPLIST)) == min(GROUPS, 30)
    assert client.retries == 2


async def test_plain_403_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def forbid(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"status": 403, "statusReason": "Forbidden", "message": "Not allowed", "toe": "X"}
        return httpx.Response(403, json=body)

    transport = httpx.MockTransport(forbid)
    async with DomoClient("http://localhost", TOKEN, transport=transport, backoff_base=0) as c:
        with pytest.raises(PermissionDeniedError, match="Not allowed"):
            await c.get(GROUPLIST)
        assert c.retries == 0
    assert len(calls) == 1


async def test_rate_limit_that_never_lifts_raises_rate_limited(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("429_no_retry_after", count=10, method="GET", path=GROUPLIST)
    client = make_client(max_retries=2)
    with pytest.raises(RateLimitedError, match="gave up after 3 attempts") as err:
        await client.get(GROUPLIST)
    assert err.value.status == 429 and err.value.retryable
    assert await sim.hits(f"GET {GROUPLIST}") == 3


@pytest.mark.parametrize("fault", ["500", "502", "503"])
async def test_server_errors_on_a_read_are_retried(
    sim: Sim, make_client: ClientFactory, fault: str
) -> None:
    await sim.script(fault, count=2, method="GET", path=GROUPLIST)
    client = make_client()
    assert len(await client.get(GROUPLIST, params={"limit": 3})) == 3
    assert client.retries == 2
    assert client.stats[f"GET {GROUPLIST}"] == 3


async def test_server_errors_that_persist_raise_server_error(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("503", count=10, method="GET", path=GROUPLIST)
    with pytest.raises(ServerError) as err:
        await make_client(max_retries=2).get(GROUPLIST)
    assert err.value.status == 503
    assert err.value.method == "GET" and err.value.path == GROUPLIST
    assert err.value.domo_message == "Service temporarily unavailable."


@pytest.mark.parametrize("fault", ["500", "502", "503"])
async def test_server_errors_on_a_create_are_ambiguous_not_retried(
    sim: Sim, make_client: ClientFactory, fault: str
) -> None:
    await sim.script(fault, count=1, method="POST", path=GROUPS_PATH)
    client = make_client()
    with pytest.raises(AmbiguousWriteError, match="read back") as err:
        await client.post(GROUPS_PATH, json={"name": "new", "type": "open"})
    assert err.value.status == int(fault)
    assert client.retries == 0
    assert await sim.hits(f"POST {GROUPS_PATH}") == 1


async def test_rate_limited_create_is_retried_and_applied_once(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("429_no_retry_after", count=2, method="POST", path=GROUPS_PATH)
    client = make_client()
    created = await client.post(GROUPS_PATH, json={"name": "once", "type": "open"})
    assert "id" in created
    names = [g["name"] for g in await client.get(GROUPLIST, params={"limit": 100})]
    assert names.count("once") == 1
    assert client.retries == 2


async def test_dropped_connection_on_a_read_is_retried(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("drop", count=2, method="GET", path=GROUPLIST)
    client = make_client()
    assert len(await client.get(GROUPLIST, params={"limit": 4})) == 4
    assert client.retries == 2


async def test_dropped_connection_that_persists_raises_transport_error(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("drop", count=10, method="GET", path=GROUPLIST)
    with pytest.raises(TransportError, match="connection lost"):
        await make_client(max_retries=1).get(GROUPLIST)


async def test_dropped_connection_on_a_create_is_ambiguous(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("drop", count=1, method="POST", path=GROUPS_PATH)
    client = make_client()
    with pytest.raises(AmbiguousWriteError, match="connection lost after sending"):
        await client.post(GROUPS_PATH, json={"name": "dropped", "type": "open"})
    assert client.retries == 0


async def test_lost_write_on_a_create_is_ambiguous_and_was_applied(
    sim: Sim, make_client: ClientFactory
) -> None:
    # Four lost writes so both ways of losing the answer (504 and a drop) occur (seeded).
    await sim.script("lost_write", count=4, method="POST", path=GROUPS_PATH)
    client = make_client()
    statuses = set()
    for i in range(4):
        with pytest.raises(AmbiguousWriteError) as err:
            await client.post(GROUPS_PATH, json={"name": f"lost-{i}", "type": "open"})
        statuses.add(err.value.status)
    assert statuses == {504, None}, "expected both a 504 and a dropped connection"
    assert await sim.hits(f"POST {GROUPS_PATH}") == 4
    names = {g["name"] for g in await client.get(GROUPLIST, params={"limit": 100})}
    assert {f"lost-{i}" for i in range(4)} <= names  # applied: the applier must read back


async def test_lost_write_on_a_put_is_retried_because_put_is_idempotent(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("lost_write", count=1, method="PUT", path=GROUPS_PATH)
    client = make_client()
    body = [{"groupId": 500, "name": "renamed", "description": "d", "type": "closed"}]
    assert await client.put(GROUPS_PATH, json=body) is True
    assert client.retries == 1
    assert (await client.get(f"{GROUPS_PATH}/500"))["name"] == "renamed"


async def test_post_marked_idempotent_is_retried_after_a_server_error(
    sim: Sim, make_client: ClientFactory
) -> None:
    search = "/api/identity/v1/users/search"
    await sim.script("500", count=1, method="POST", path=search)
    client = make_client()
    answer = await client.post(search, json={"offset": 0, "limit": 3}, idempotent=True)
    assert len(answer["users"]) == 3
    assert client.retries == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: connecting is refused


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_connection_refused_is_retried_then_raises_transport_error(method: str) -> None:
    # Nothing was sent when the connection is refused, so even a POST is retried.
    url = f"http://127.0.0.1:{_closed_port()}"
    sleep = SleepRecorder()
    async with DomoClient(url, TOKEN, max_retries=2, sleep=sleep, backoff_base=0.01) as client:
        with pytest.raises(TransportError, match="could not connect") as err:
            await client.request(
                method, "/api/content/v2/users/me", json={} if method == "POST" else None
            )
    assert not isinstance(err.value, AmbiguousWriteError)
    assert "gave up after 3 attempts" in str(err.value)
    assert client.retries == 2 and len(sleep.waits) == 2
    assert client.stats[f"{method} /api/content/v2/users/me"] == 3
