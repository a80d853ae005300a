"""Activity log (every write appends an entry; act-as) and the token check on every route."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from simhelpers import LEDGER, SALES_PIPELINE, assert_error, call

from domogov.sim import SimState
from domogov.sim.app import ENDPOINTS

AUDITS = "/api/audit/v1/user-audits"
ENTRY_KEYS = {
    "userName", "userId", "userType", "actionType", "objectType", "objectId", "objectName",
    "additionalComment", "time", "eventText",
}  # fmt: skip
TAG = f"/api/tags/v3/DATA_SOURCE/{SALES_PIPELINE}/system/CERTIFIED/state"
PDP = f"/api/query/v1/data-control/{SALES_PIPELINE}"
SCHEDULE = {
    "title": "T",
    "pageId": 345678,
    "viewId": 1,
    "schedule": {"frequency": "DAILY", "hourOfDay": 1, "minOfHour": 0, "timezone": "UTC"},
}
# One successful call of every write endpoint, keyed by its route template.
JOBS = "/api/executor/v1/applications/50e7230f-d2f2-42e2-a208-d94c8ae9f64c/jobs"
JOB_ID = "526906bb-e7e0-4f70-9ca0-3bb4fdf99c82"
EXECUTOR = "com.domo.executor.subscriberstats.SubscriberStatsExecutor"
JOB: dict[str, Any] = {
    "jobName": "subsidiary.domo.com",
    "executionTimeout": 720,
    "executionPayload": {
        "remoteInstance": "subsidiary.domo.com",
        "policies": {"SAML": "081d8320-c6df-4d0b-8802-97875989236d"},
        "metricsDatasetId": "2644b5d0-344b-4bc0-b379-d3854923a29c",
    },
    "accounts": [479],
    "triggers": [
        {
            "type": "SCHEDULE",
            "frequency": "DAILY",
            "days": [],
            "hour": 2,
            "minute": 0,
            "timezone": "UTC",
        }
    ],
}

WRITES: list[tuple[str, str, str, Any]] = [
    ("PATCH", "/api/identity/v1/users/{id}", "/api/identity/v1/users/1002", {"title": "X"}),
    ("POST", "/api/identity/v1/users", "/api/identity/v1/users",
     {"displayName": "New", "emailAddress": "new@example.com", "roleId": 4}),
    ("DELETE", "/api/identity/v1/users/{id}", "/api/identity/v1/users/1007", None),
    ("PUT", "/api/content/v2/groups/access", "/api/content/v2/groups/access",
     [{"groupId": 501, "addMembers": [{"type": "USER", "id": "1004"}]}]),
    ("POST", "/api/content/v2/groups", "/api/content/v2/groups", {"name": "G", "type": "open"}),
    ("PUT", "/api/content/v2/groups", "/api/content/v2/groups", [{"groupId": 502, "name": "S"}]),
    ("PUT", "/api/content/v2/groups/{id}/user/{userId}", "/api/content/v2/groups/501/user/1005",
     None),
    ("DELETE", "/api/content/v2/groups/{id}/removeuser/{userId}",
     "/api/content/v2/groups/501/removeuser/1005", None),
    ("DELETE", "/api/content/v2/groups", "/api/content/v2/groups", [503]),
    ("POST", "/api/authorization/v1/roles", "/api/authorization/v1/roles", {"name": "R"}),
    ("PATCH", "/api/authorization/v1/roles/{id}/authorities",
     "/api/authorization/v1/roles/7/authorities", ["buzz.use"]),
    ("PUT", "/api/authorization/v1/roles/{id}/authorities",
     "/api/authorization/v1/roles/7/authorities", []),
    ("PUT", "/api/authorization/v1/roles/{id}/users", "/api/authorization/v1/roles/4/users",
     [1003]),
    ("DELETE", "/api/authorization/v1/roles/{id}", "/api/authorization/v1/roles/7", None),
    ("POST", "/api/data/v3/datasources/{id}/share", f"/api/data/v3/datasources/{LEDGER}/share",
     {"permissions": [{"id": 1002, "type": "USER", "accessLevel": "CAN_VIEW"}]}),
    ("DELETE", "/api/data/v3/datasources/{id}/permissions/USER/{userId}",
     f"/api/data/v3/datasources/{LEDGER}/permissions/USER/1002", None),
    ("DELETE", "/api/data/v3/datasources/{id}/USERS/{userId}",
     f"/api/data/v3/datasources/{LEDGER}/USERS/1003", None),
    ("DELETE", "/api/data/v3/datasources/{id}/users", f"/api/data/v3/datasources/{LEDGER}/users",
     [{"id": "501", "type": "GROUP"}]),
    ("PUT", "/api/tags/v3/{entityType}/{entityId}/system/CERTIFIED/state/ACTIVE",
     f"{TAG}/ACTIVE", None),
    ("DELETE", "/api/tags/v3/{entityType}/{entityId}/system/CERTIFIED/state", TAG, None),
    ("POST", "/api/social/v4/alerts/{id}/subscriptions", "/api/social/v4/alerts/358/subscriptions",
     {"subscriberId": 1002, "type": "USER"}),
    ("DELETE", "/api/social/v4/alerts/{id}/subscriptions",
     "/api/social/v4/alerts/358/subscriptions?subscriberId=1002&type=USER", None),
    ("POST", "/api/social/v4/alerts/{id}/share", "/api/social/v4/alerts/358/share",
     {"userMessage": "", "alertSubscriptions": [{"subscriberId": 1003, "type": "USER"}]}),
    ("DELETE", "/api/social/v4/alerts/{id}", "/api/social/v4/alerts/359", None),
    ("POST", "/api/content/v1/reportschedules", "/api/content/v1/reportschedules", SCHEDULE),
    ("PUT", "/api/content/v1/reportschedules/{id}", "/api/content/v1/reportschedules/123456",
     SCHEDULE),
    ("PUT", "/api/content/v1/reportschedules/{id}/enabled",
     "/api/content/v1/reportschedules/123456/enabled", False),
    ("DELETE", "/api/content/v1/reportschedules/{id}", "/api/content/v1/reportschedules/123456",
     None),
    ("DELETE", "/api/content/v1/reportschedules", "/api/content/v1/reportschedules?pageId=345679",
     None),
    # content permissions (page_shares, file_permissions, workflow_permissions)
    ("POST", "/api/content/v1/share", "/api/content/v1/share?sendEmail=false",
     {"resources": [{"type": "page", "id": "345679"}],
      "recipients": [{"type": "user", "id": "1002"}],
      "message": ""}),
    ("DELETE", "/api/content/v1/share/page/{pageId}/user/{personId}",
     "/api/content/v1/share/page/345678/user/1004", None),
    ("PUT", "/api/data/v1/data-files/{id}/permissions", "/api/data/v1/data-files/4711/permissions",
     {"publicAccess": False, "entries": []}),
    ("POST", "/api/workflow/v1/models/{id}/permissions",
     "/api/workflow/v1/models/7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44/permissions",
     [{"id": "1002", "type": "USER", "name": "Bob", "permissions": ["READ"]}]),
    # personalized data permissions (pdp_policies)
    ("POST", "/api/query/v1/data-control/{id}/filter-groups", f"{PDP}/filter-groups",
     {"name": "P", "userIds": [1002], "groupIds": [], "parameters": []}),
    ("PUT", "/api/query/v1/data-control/{id}/filter-groups/{policyId}",
     f"{PDP}/filter-groups/11", {"name": "All Rows", "userIds": [1002], "groupIds": []}),
    ("DELETE", "/api/query/v1/data-control/{id}/filter-groups/{policyId}",
     f"{PDP}/filter-groups/12", None),
    ("PUT", "/api/query/v1/data-control/{id}", PDP, {"enabled": True, "external": False}),
    # Remote DomoStats jobs (domostats_jobs)
    ("POST", "/api/executor/v1/applications/{app}/jobs", f"{JOBS}",
     {**JOB, "jobName": "other.domo.com", "executionClass": EXECUTOR,
      "executionPayload": {**JOB["executionPayload"], "remoteInstance": "other.domo.com"}}),
    ("PUT", "/api/executor/v1/applications/{app}/jobs/{jobId}", f"{JOBS}/{JOB_ID}",
     {**JOB, "executionTimeout": 60}),
]  # fmt: skip


def test_every_write_endpoint_is_covered_here():
    covered = {(m, template) for m, template, _, _ in WRITES}
    assert covered == {(e.method, e.path) for e in ENDPOINTS if e.write}


async def test_every_successful_write_appends_an_entry(client: httpx.AsyncClient, state: SimState):
    for method, template, path, body in WRITES:
        before = len(state.audit)
        response = await client.request(method, path, json=body)
        assert response.status_code < 300, (template, response.text)
        assert len(state.audit) > before, template
        for entry in state.audit[before:]:
            assert set(entry) == ENTRY_KEYS
            assert entry["additionalComment"].startswith("Ada Admin ")


async def test_failed_writes_append_nothing(client: httpx.AsyncClient, state: SimState):
    await call(client, "PUT", "/api/content/v2/groups/501/user/4242", status=404)
    assert state.audit == []


async def test_user_audits_is_a_bare_array_newest_first(client: httpx.AsyncClient, clock):
    await call(client, "PUT", "/api/content/v2/groups/501/user/1004")
    clock.now += 60
    await call(client, "DELETE", f"/api/data/v3/datasources/{LEDGER}/permissions/USER/1003")
    start, end = int((clock.now - 3600) * 1000), int(clock.now * 1000)
    rows = await call(client, "GET", f"{AUDITS}?start={start}&end={end}&offset=0&limit=300")
    assert [r["objectType"] for r in rows] == ["DATA_SOURCE", "GROUP"]
    assert isinstance(rows[0]["userId"], str) and isinstance(rows[0]["time"], int)
    only = await call(client, "GET", f"{AUDITS}?start={start}&end={end}&objectType=GROUP,ACCOUNT")
    assert [r["objectType"] for r in only] == ["GROUP"]
    assert len(await call(client, "GET", f"{AUDITS}?start={start}&end={end}&limit=1")) == 1
    assert await call(client, "GET", f"{AUDITS}?start={end + 1}&end={end + 2}") == []
    assert_error(await call(client, "GET", AUDITS, status=400), 400, "start")


async def test_object_types_is_a_bare_array(client: httpx.AsyncClient):
    types = await call(client, "GET", f"{AUDITS}/objectTypes")
    assert {"DATA_SOURCE", "GROUP", "ROLE"} <= set(types)


async def test_act_as_attributes_writes_to_another_user(client: httpx.AsyncClient, state: SimState):
    assert await call(client, "POST", "/_sim/act-as", {"userId": 1006}) == {"actingAs": 1006}
    await call(client, "PUT", "/api/content/v2/groups/501/user/1004")
    entry = state.audit[-1]
    assert (entry["userName"], entry["userId"]) == ("Frank Finance", "1006")
    assert entry["additionalComment"].startswith("Frank Finance added dave@example.com")
    assert (await call(client, "GET", "/api/content/v2/users/me"))["id"] == 1001
    await call(client, "POST", "/_sim/act-as", {"userId": None})
    await call(client, "POST", "/api/content/v2/groups", {"name": "Mine", "type": "open"})
    assert state.audit[-1]["userId"] == "1001"
    await call(client, "POST", "/_sim/act-as", {"userId": 999}, status=400)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_every_api_route_needs_the_token(
    anon: httpx.AsyncClient, state: SimState, endpoint: Any
):
    before = state.to_document()
    for headers in ({}, {"X-DOMO-Developer-Token": "wrong"}):
        response = await anon.request(endpoint.method, _concrete(endpoint.path), headers=headers)
        assert response.status_code == 401
        assert_error(response.json(), 401, "token")
    assert state.to_document() == before


async def test_unknown_api_routes_answer_401_then_domo_404(
    anon: httpx.AsyncClient, client: httpx.AsyncClient
):
    assert (await anon.get("/api/nothing/here")).status_code == 401
    assert_error(await call(client, "GET", "/api/nothing/here", status=404), 404, "endpoint")
    assert_error(await call(client, "PUT", "/api/identity/v1/users", status=405), 405)


async def test_malformed_json_is_a_domo_400(client: httpx.AsyncClient):
    response = await client.put(
        "/api/content/v2/groups/access",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert_error(response.json(), 400, "JSON")
