"""Fault injection in-process: every kind, scripts, seeds, filters, latency, and the stats."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
import pytest
from simhelpers import TOKEN_HEADER, assert_error, call
from starlette.applications import Starlette

from domogov.sim import FaultConfig, SimState, SimTransport, create_app
from domogov.sim.state import demo_state

ADD = "/api/content/v2/groups/501/user/1004"
GROUPLIST = "/api/content/v2/groups/grouplist"


async def script(client: httpx.AsyncClient, fault: str, count: int = 1, **kw: Any) -> None:
    await call(client, "POST", "/_sim/faults", {"script": [{"fault": fault, "count": count, **kw}]})


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("429", 429, "too many"),
        ("429_no_retry_after", 429, "too many"),
        ("403_rate_limit", 403, "API Rate limit reached."),
        ("500", 500, ""),
        ("502", 502, ""),
        ("503", 503, ""),
    ],
)
async def test_error_faults_answer_domo_errors_and_apply_nothing(
    client: httpx.AsyncClient, state: SimState, kind: str, status: int, message: str
):
    await script(client, kind)
    response = await client.put(ADD)
    assert response.status_code == status
    assert_error(response.json(), status, message)
    assert ("Retry-After" in response.headers) == (kind == "429")
    if kind == "429":
        assert response.headers["Retry-After"] == "1"
    if kind == "403_rate_limit":
        assert response.json()["statusReason"] == "Forbidden"
    assert 1004 not in state.groups[501].members and state.audit == []
    assert await call(client, "PUT", ADD) is True  # the script is used up
    stats = await call(client, "GET", "/_sim/stats")
    assert stats["faults_injected"] == {kind: 1}


async def test_drop_raises_remote_protocol_error_and_applies_nothing(
    client: httpx.AsyncClient, state: SimState
):
    await script(client, "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.put(ADD)
    assert 1004 not in state.groups[501].members and state.audit == []


async def test_lost_write_is_applied_but_the_answer_is_lost(
    client: httpx.AsyncClient, state: SimState
):
    entry = {"fault": "lost_write", "method": "PUT", "path_glob": "/api/content/v2/*", "count": 12}
    await call(client, "POST", "/_sim/faults", {"seed": 3, "script": [entry]})
    outcomes = set()
    for uid in (1003, 1004, 1005, 1007, 1008, 1001, 1002, 1006):
        try:
            response = await client.put(f"/api/content/v2/groups/502/user/{uid}")
            assert_error(response.json(), 504)
            outcomes.add("504")
        except httpx.RemoteProtocolError:
            outcomes.add("drop")
    assert outcomes == {"504", "drop"}
    assert sorted(state.groups[502].members) == [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008]
    assert len(state.audit) == 8
    # A refused write is not "applied": its real error goes through untouched.
    response = await client.put("/api/content/v2/groups/502/user/4242")
    assert response.status_code == 404


async def test_script_after_skips_matching_requests(client: httpx.AsyncClient):
    await script(client, "503", count=2, after=1, method="GET", path_glob="*/grouplist")
    statuses = [(await client.get(GROUPLIST)).status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    assert (await client.get("/api/authorization/v1/roles")).status_code == 200
    config = await call(client, "GET", "/_sim/faults")
    assert config["script"][0]["remaining"] == 0


def _random_config(**kw: Any) -> dict[str, Any]:
    return {"seed": 42, "rate": 0.5, "kinds": {"500": 1, "429": 1}, **kw}


async def _statuses(client: httpx.AsyncClient, n: int) -> list[int]:
    return [(await client.get(GROUPLIST)).status_code for _ in range(n)]


async def test_random_faults_are_deterministic_for_a_seed(client: httpx.AsyncClient):
    await call(client, "POST", "/_sim/faults", _random_config())
    first = await _statuses(client, 40)
    await call(client, "POST", "/_sim/faults", _random_config())
    assert await _statuses(client, 40) == first
    assert {200, 500, 429} == set(first)
    stats = await call(client, "GET", "/_sim/stats")
    assert sum(stats["faults_injected"].values()) == 2 * sum(s != 200 for s in first)


async def test_lost_write_is_never_picked_for_reads(client: httpx.AsyncClient, state: SimState):
    await call(client, "POST", "/_sim/faults", {"seed": 1, "rate": 1, "kinds": {"lost_write": 1}})
    assert set(await _statuses(client, 10)) == {200}
    with contextlib.suppress(httpx.RemoteProtocolError):  # the other way to lose a response
        assert (await client.put(ADD)).status_code == 504
    assert 1004 in state.groups[501].members


async def test_random_faults_respect_methods_and_path_glob(client: httpx.AsyncClient):
    await call(client, "POST", "/_sim/faults", _random_config(rate=1, methods=["PUT"]))
    assert set(await _statuses(client, 5)) == {200}
    await call(
        client, "POST", "/_sim/faults", _random_config(rate=1, path_glob="/api/authorization/*")
    )
    assert set(await _statuses(client, 5)) == {200}
    assert (await client.get("/api/authorization/v1/roles")).status_code in (429, 500)


async def test_latency_is_concurrent(client: httpx.AsyncClient):
    await call(client, "POST", "/_sim/faults", {"latency_ms": 200, "jitter_ms": 20})
    spans: list[tuple[float, float]] = []

    async def timed() -> httpx.Response:
        start = time.monotonic()
        response = await client.get(GROUPLIST)
        spans.append((start, time.monotonic()))
        return response

    responses = await asyncio.gather(*(timed() for _ in range(10)))
    assert all(r.status_code == 200 for r in responses)
    # Every request started before the first one finished: the latency is slept
    # concurrently, not one request after another.
    assert max(start for start, _ in spans) < min(end for _, end in spans)
    assert all(end - start >= 0.2 for start, end in spans)  # each one waited its latency


async def test_fault_control_endpoints(client: httpx.AsyncClient):
    err = await call(client, "POST", "/_sim/faults", {"rate": 2}, status=400)
    assert_error(err, 400, "rate")
    err = await call(client, "POST", "/_sim/faults", {"kinds": {"418": 1}}, status=400)
    assert_error(err, 400, "kinds")
    await call(client, "POST", "/_sim/faults", {"rate": 1, "seed": 1})
    assert (await call(client, "GET", "/_sim/faults"))["rate"] == 1
    # Control endpoints are never faulted nor counted.
    assert (await client.get("/_sim/stats")).status_code == 200
    cleared = await call(client, "DELETE", "/_sim/faults")
    assert cleared["rate"] == 0 and cleared["script"] == []
    assert set(await _statuses(client, 5)) == {200}


async def test_faults_can_be_set_when_the_app_is_created():
    app: Starlette = create_app(demo_state(), faults=FaultConfig(rate=1, kinds={"503": 1}))
    transport = SimTransport(app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://s", headers=TOKEN_HEADER
    ) as c:
        assert (await c.get(GROUPLIST)).status_code == 503


async def test_stats_count_by_route_template_and_method(client: httpx.AsyncClient):
    await client.get("/api/content/v2/groups/501")
    await client.get("/api/content/v2/groups/502")
    await client.get(GROUPLIST)
    await client.put(ADD)
    await client.get("/api/content/v2/groups/501", headers={"X-DOMO-Developer-Token": "x"})
    await client.get("/_sim/state")
    stats = await call(client, "GET", "/_sim/stats")
    assert stats["total"] == 5
    assert stats["by_endpoint"] == {
        "GET /api/content/v2/groups/grouplist": 1,
        "GET /api/content/v2/groups/{id}": 3,
        "PUT /api/content/v2/groups/{id}/user/{userId}": 1,
    }
    assert stats["by_method"] == {"GET": 4, "PUT": 1}
    reset = await call(client, "POST", "/_sim/stats/reset")
    assert reset["total"] == 0 and reset["by_endpoint"] == {}


async def test_applied_400_quirk_applies_the_write_but_answers_400(
    client: httpx.AsyncClient, state: SimState
):
    await script(client, "applied_400", method="PATCH")
    response = await client.patch("/api/authorization/v1/roles/6/authorities", json=["buzz.use"])
    assert_error(response.json(), 400)
    assert state.roles[6].authorities == ["buzz.use"]


async def test_default_kinds_leave_out_the_opt_in_quirk(client: httpx.AsyncClient):
    await call(client, "POST", "/_sim/faults", {"seed": 5, "rate": 1})
    for uid in (1003, 1005, 1007, 1004, 1008) * 8:
        with contextlib.suppress(httpx.RemoteProtocolError):
            await client.put(f"/api/content/v2/groups/502/user/{uid}")
    injected = (await call(client, "GET", "/_sim/stats"))["faults_injected"]
    assert "applied_400" not in injected and len(injected) >= 5
