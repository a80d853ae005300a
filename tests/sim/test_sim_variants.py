"""Simulator variants: every variant observably changes its answer, and the default does not."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from simhelpers import LEDGER, NOW, SALES_PIPELINE, TOKEN_HEADER, Clock, assert_error, call

from domogov.connect import sample_state_path
from domogov.sim import VARIANTS, SimState, SimTransport, create_app, load_state_file, set_variants
from domogov.sim.generate import generate_state
from domogov.sim.state import demo_state

SCHED = "/api/content/v1/reportschedules"
USERS = "/api/identity/v1/users"
GROUPLIST = "/api/content/v2/groups/grouplist"
TAG = "/api/tags/v3/DATA_SOURCE/{id}/system/CERTIFIED/state"
AUDIT = "/api/audit/v1/user-audits"
WINDOW = f"?start=0&end={int(NOW * 1000) + 1}"


@contextlib.asynccontextmanager
async def sim_client(
    state: SimState, variants: list[str] | None = None, **kw: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(state, variants=variants or [], **kw)
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as client:
        yield client


def big_state(users: int = 80, groups: int = 70) -> SimState:
    doc = generate_state(users=users, groups=groups, datasets=3, alerts=0, schedules=0)
    return SimState.from_document(doc, Clock())


def demo() -> SimState:
    return demo_state(Clock())


# One observation per variant: what the variant changes, read the way a client reads it.
async def _detail(c: httpx.AsyncClient) -> Any:
    return await call(c, "GET", f"{SCHED}/123456")


async def _schedule_list(c: httpx.AsyncClient) -> Any:
    return [r["id"] for r in await call(c, "GET", SCHED)]


async def _grouplist(c: httpx.AsyncClient) -> Any:
    return len(await call(c, "GET", f"{GROUPLIST}?offset=0&limit=100"))


async def _users(c: httpx.AsyncClient) -> Any:
    return (await call(c, "GET", USERS))["users"]


async def _permissions(c: httpx.AsyncClient) -> Any:
    body = await call(c, "GET", f"/api/data/v3/datasources/{LEDGER}/permissions")
    return sorted(r["accessLevel"] for r in body["list"])


async def _group_revoke(c: httpx.AsyncClient) -> Any:
    await call(
        c, "DELETE", f"/api/data/v3/datasources/{LEDGER}/users", [{"type": "GROUP", "id": 501}]
    )
    return await _permissions(c)


async def _share_lower(c: httpx.AsyncClient) -> Any:
    body = {"permissions": [{"type": "USER", "id": 1003, "accessLevel": "CAN_VIEW"}]}
    await call(c, "POST", f"/api/data/v3/datasources/{LEDGER}/share", body)
    return await _permissions(c)


async def _cert_state(c: httpx.AsyncClient) -> Any:
    return (await call(c, "GET", TAG.format(id=LEDGER)))["state"]


async def _certify_then_state(c: httpx.AsyncClient) -> Any:
    await call(c, "PUT", TAG.format(id=SALES_PIPELINE) + "/ACTIVE")
    return (await call(c, "GET", TAG.format(id=SALES_PIPELINE)))["state"]


async def _alert_keys(c: httpx.AsyncClient) -> Any:
    one = await call(c, "GET", "/api/social/v4/alerts/358?fields=all")
    listed = await call(c, "GET", "/api/social/v4/alerts?fields=all")
    return "subscriptions" in one, all("subscriptions" in a for a in listed)


async def _activity_keys(c: httpx.AsyncClient) -> Any:
    await call(c, "PUT", "/api/content/v2/groups/501/user/1004")
    rows = await call(c, "GET", AUDIT + WINDOW)
    return sorted(rows[0])


async def _activity_group_filter(c: httpx.AsyncClient) -> Any:
    response = await c.get(AUDIT + WINDOW + "&objectType=GROUP")
    return response.status_code


async def _rate_limit(c: httpx.AsyncClient) -> Any:
    return [(await c.get("/api/content/v2/users/me")).status_code for _ in range(4)]


async def _page_access_keys(c: httpx.AsyncClient) -> Any:
    return sorted(await call(c, "GET", "/api/content/v1/share/accesslist/page/345678"))


async def _card_share(c: httpx.AsyncClient) -> Any:
    body = {"resources": [{"type": "card", "id": "1234567"}],
            "recipients": [{"type": "group", "id": "501"}], "message": ""}  # fmt: skip
    await call(c, "POST", "/api/content/v1/share?sendEmail=false", body)
    return await call(c, "GET", "/api/content/v1/share/accesslist/card/1234567")


async def _workflow_replace(c: httpx.AsyncClient) -> Any:
    path = "/api/workflow/v1/models/7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44/permissions"
    await call(c, "POST", path, [{"id": "1001", "type": "USER", "permissions": ["ADMIN"]}])
    return await call(c, "GET", path)


# Remote DomoStats jobs (issue 16): the sandbox sample has a DomoStats application
DOMOSTATS = "/api/executor/v1/applications/50e7230f-d2f2-42e2-a208-d94c8ae9f64c/jobs"
DOMOSTATS_V2 = DOMOSTATS.replace("/v1/", "/v2/")
NEW_JOB = {
    "jobName": "other.domo.com",
    "executionClass": "com.domo.executor.subscriberstats.SubscriberStatsExecutor",
    "executionTimeout": 720,
    "executionPayload": {
        "remoteInstance": "other.domo.com",
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


def sandbox() -> SimState:
    state = load_state_file(sample_state_path(), Clock())
    state.token = demo_state(Clock()).token  # the token these tests send
    return state


async def _job_create_answer(c: httpx.AsyncClient) -> Any:
    answer = await call(c, "POST", DOMOSTATS, NEW_JOB)
    return None if answer is None else sorted(answer)


async def _job_keys(c: httpx.AsyncClient) -> Any:
    listed = await call(c, "GET", f"{DOMOSTATS_V2}?offset=0&limit=50")
    return [sorted(job) for job in listed["jobs"]]


# personalized data permissions (issue 14)
PDP = f"/api/query/v1/data-control/{LEDGER}"


async def _pdp_list_keys(c: httpx.AsyncClient) -> Any:
    rows = await call(c, "GET", f"{PDP}/filter-groups?options=include_open_policy")
    return [sorted(r) for r in rows]


async def _pdp_open_flags(c: httpx.AsyncClient) -> Any:
    options = "load_associations,load_filters,include_open_policy"
    rows = await call(c, "GET", f"{PDP}/filter-groups?options={options}")
    return [(r["name"], r.get("openPolicy")) for r in rows]


async def _pdp_control_keys(c: httpx.AsyncClient) -> Any:
    return sorted(await call(c, "GET", PDP))


Probe = Callable[[httpx.AsyncClient], Awaitable[Any]]
PROBES: dict[str, tuple[Probe, Callable[[], SimState]]] = {
    "schedule_detail_minimal": (_detail, demo),
    "schedule_list_user_filter": (_schedule_list, demo),
    "grouplist_page_cap_30": (_grouplist, big_state),
    "users_attributes_only": (_users, demo),
    "users_list_truncated": (_users, big_state),
    "access_levels_read_write": (_permissions, demo),
    "group_revoke_ignored": (_group_revoke, demo),
    "share_does_not_lower": (_share_lower, demo),
    "cert_state_certified": (_cert_state, demo),
    "cert_state_pending": (_certify_then_state, demo),
    "cert_state_expired": (_cert_state, demo),
    "cert_state_null": (_cert_state, demo),
    "alerts_no_subscriptions": (_alert_keys, demo),
    "activity_rows_minimal": (_activity_keys, demo),
    "activity_object_type_400": (_activity_group_filter, demo),
    "rate_limit_per_minute": (_rate_limit, demo),
    "content_accesslist_users_only": (_page_access_keys, demo),
    "content_card_share_ignored": (_card_share, demo),
    "workflow_permissions_merge": (_workflow_replace, demo),
    "domostats_create_id_only": (_job_create_answer, sandbox),
    "domostats_create_empty": (_job_create_answer, sandbox),
    "domostats_job_no_triggers": (_job_keys, sandbox),
    "pdp_associations_unless_asked": (_pdp_list_keys, demo),
    "pdp_open_unflagged": (_pdp_open_flags, demo),
    "pdp_enabled_absent": (_pdp_control_keys, demo),
}


def test_every_variant_has_a_probe_and_a_description():
    assert set(PROBES) == set(VARIANTS)
    for variant in VARIANTS.values():
        assert variant.description.strip() and variant.reference.strip()


@pytest.mark.parametrize("name", list(VARIANTS))
async def test_each_variant_changes_its_answer(name: str):
    probe, make_state = PROBES[name]
    limit: dict[str, Any] = {"rate_limit_per_minute": 2, "rate_clock": Clock()}
    async with sim_client(make_state(), **limit) as c:
        default = await probe(c)
    async with sim_client(make_state(), [name], **limit) as c:
        changed = await probe(c)
    assert default != changed, (name, default)


async def test_default_serves_what_public_sources_show():
    async with sim_client(demo_state(Clock())) as c:
        detail = await _detail(c)
        assert detail["attachmentInclude"] is True
        assert len(detail["schedule"]["additionalRecipients"]) == 3
        assert await _schedule_list(c) == [123457, 123456]  # everyone's, limit absent = all
        user = (await _users(c))[0]
        assert user["emailAddress"] == "ada@example.com" and user["roleId"] == 1
        assert await _permissions(c) == ["CAN_EDIT", "CO_OWNER", "OWNER"]
        assert await _cert_state(c) == "ACTIVE"
        assert await _alert_keys(c) == (True, True)
        assert await _activity_group_filter(c) == 200
        assert {"objectId", "objectName"} <= set(await _activity_keys(c))


# The variants one by one, with what exactly they serve.


async def test_schedule_detail_minimal_is_the_documents_example_shape():
    async with sim_client(demo_state(Clock()), ["schedule_detail_minimal"]) as c:
        detail = await _detail(c)
        assert set(detail) == {"id", "reportViewId", "pageId", "title", "schedule"}
        assert "additionalRecipients" not in detail["schedule"]
        put = {"title": "T", "schedule": {"frequency": "DAILY", "hourOfDay": 1, "minOfHour": 0}}
        answer = await call(c, "PUT", f"{SCHED}/123456", put)
        assert (
            "attachmentInclude" not in answer and "additionalRecipients" not in answer["schedule"]
        )


async def test_schedule_list_user_filter_defaults_to_own_and_zero_rows():
    async with sim_client(demo_state(Clock()), ["schedule_list_user_filter"]) as c:
        assert await call(c, "GET", SCHED) == []  # limit defaults to 0
        own = await call(c, "GET", f"{SCHED}?limit=50")
        assert [r["id"] for r in own] == [123456]  # filter defaults to USER: the token's own
        everyone = await call(
            c, "GET", f"{SCHED}?limit=50&filter=ALL&orderBy=title&isAscending=true"
        )
        assert [r["id"] for r in everyone] == [123457, 123456]
        assert_error(
            await call(c, "GET", f"{SCHED}?limit=5&filter=TEAM", status=400), 400, "filter"
        )


async def test_grouplist_page_cap_30_cuts_pages_but_paging_to_empty_reaches_all():
    state = big_state()
    total = len(state.active_groups())
    async with sim_client(state, ["grouplist_page_cap_30"]) as c:
        seen: list[int] = []
        offset = 0
        while True:
            rows = await call(c, "GET", f"{GROUPLIST}?offset={offset}&limit=100")
            if not rows:
                break
            assert len(rows) <= 30
            seen += [r["groupId"] for r in rows]
            offset += len(rows)
    assert total > 30 and len(seen) == total == len(set(seen))


async def test_users_attributes_only_unless_detailed():
    async with sim_client(demo_state(Clock()), ["users_attributes_only"]) as c:
        user = (await _users(c))[0]
        assert "emailAddress" not in user and "roleId" not in user and "userName" not in user
        attrs = {a["key"]: a["values"] for a in user["attributes"]}
        assert attrs["emailAddress"] == ["ada@example.com"] and attrs["roleId"] == [1]
        one = (await call(c, "GET", f"{USERS}/1002"))["users"][0]
        assert "emailAddress" not in one
        detailed = (await call(c, "GET", f"{USERS}?parts=DETAILED"))["users"][0]
        assert detailed["emailAddress"] == "ada@example.com" and detailed["roleId"] == 1
        found = await call(c, "POST", f"{USERS}/search", {"filters": None, "parts": ["MINIMAL"]})
        assert "emailAddress" not in found["users"][0]
        found = await call(c, "POST", f"{USERS}/search", {"parts": ["detailed"]})
        assert found["users"][0]["emailAddress"] == "ada@example.com"


async def test_users_list_truncated_but_search_finds_everyone():
    state = big_state(users=80)
    async with sim_client(state, ["users_list_truncated"]) as c:
        listed = (await call(c, "GET", USERS))["users"]
        assert len(listed) == 50 and set(listed[0]) >= {"id", "emailAddress"}
        assert (await call(c, "GET", f"{USERS}?offset=50&limit=50"))["users"] == []
        found: list[int] = []
        offset = 0
        while page := (await call(c, "POST", f"{USERS}/search", {"offset": offset, "limit": 30}))[
            "users"
        ]:
            found += [u["id"] for u in page]
            offset += len(page)
    assert len(found) == 80 == len(state.users)


async def test_access_levels_read_write_maps_every_grant_level():
    state = demo_state(Clock())
    async with sim_client(state, ["access_levels_read_write"]) as c:
        for level in ("CAN_VIEW", "CAN_SHARE"):
            body = {"permissions": [{"type": "USER", "id": 1008, "accessLevel": level}]}
            await call(c, "POST", f"/api/data/v3/datasources/{LEDGER}/share", body)
            rows = (await call(c, "GET", f"/api/data/v3/datasources/{LEDGER}/permissions"))["list"]
            shown = {(r["type"], r["id"]): r["accessLevel"] for r in rows}
            assert shown[("USER", "1008")] == {"CAN_VIEW": "READ", "CAN_SHARE": "READ_SHARE"}[level]
        assert shown[("GROUP", "501")] == "WRITE"
        assert shown[("USER", "1003")] == "READ_WRITE_DELETE_SHARE_ADMIN"
        assert shown[("USER", "1006")] == "OWNER"
    # The stored grants keep the share vocabulary.
    assert {g.access_level for g in state.datasets[LEDGER].permissions} == {
        "CAN_EDIT", "CO_OWNER", "CAN_SHARE",
    }  # fmt: skip


async def test_group_revoke_ignored_removes_users_but_not_groups():
    state = demo_state(Clock())
    async with sim_client(state, ["group_revoke_ignored"]) as c:
        body = [{"type": "GROUP", "id": 502}, {"type": "USER", "id": 1004}]
        assert (
            await call(c, "DELETE", f"/api/data/v3/datasources/{SALES_PIPELINE}/users", body) == {}
        )
    grants = {(g.type, g.id) for g in state.datasets[SALES_PIPELINE].permissions}
    assert grants == {("GROUP", 502)}


async def test_share_does_not_lower_keeps_the_higher_level_but_raises():
    state = demo_state(Clock())
    async with sim_client(state, ["share_does_not_lower"]) as c:
        lower = {"permissions": [{"type": "GROUP", "id": 501, "accessLevel": "CAN_VIEW"}]}
        assert await call(c, "POST", f"/api/data/v3/datasources/{LEDGER}/share", lower) == {}
        higher = {"permissions": [{"type": "USER", "id": 1004, "accessLevel": "CAN_EDIT"}]}
        await call(c, "POST", f"/api/data/v3/datasources/{SALES_PIPELINE}/share", higher)
    assert {(g.type, g.id): g.access_level for g in state.datasets[LEDGER].permissions}[
        ("GROUP", 501)
    ] == "CAN_EDIT"
    assert {(g.type, g.id): g.access_level for g in state.datasets[SALES_PIPELINE].permissions}[
        ("USER", 1004)
    ] == "CAN_EDIT"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("cert_state_certified", "CERTIFIED"),
        ("cert_state_expired", "EXPIRED"),
        ("cert_state_null", None),
    ],
)
async def test_cert_state_variants_show_certified_objects_differently(name: str, shown: Any):
    async with sim_client(demo_state(Clock()), [name]) as c:
        assert await _cert_state(c) == shown
        uncertified = await call(c, "GET", TAG.format(id=SALES_PIPELINE))
        assert uncertified["state"] is None


async def test_cert_state_pending_after_certify_and_seedable():
    doc = demo_state(Clock()).to_document()
    doc["certifications"].append({"entityType": "CARD", "entityId": 1234567, "state": "PENDING"})
    state = SimState.from_document(doc, Clock())
    async with sim_client(state) as c:  # a seeded PENDING reads PENDING in the default too
        assert (await call(c, "GET", "/api/tags/v3/CARD/1234567/system/CERTIFIED/state"))[
            "state"
        ] == "PENDING"
    async with sim_client(state, ["cert_state_pending"]) as c:
        answer = await call(c, "PUT", TAG.format(id=SALES_PIPELINE) + "/ACTIVE")
        assert answer["state"] == "PENDING"
    assert state.certifications[("DATA_SOURCE", SALES_PIPELINE)].state == "PENDING"
    assert state.to_document()["certifications"][-1]["state"] == "PENDING"  # saved as such


async def test_alerts_no_subscriptions_but_the_subscriptions_endpoint_works():
    async with sim_client(demo_state(Clock()), ["alerts_no_subscriptions"]) as c:
        assert await _alert_keys(c) == (False, False)
        assert "subscriptions" not in await call(c, "GET", "/api/social/v4/alerts/358")
        subs = await call(c, "GET", "/api/social/v4/alerts/358/subscriptions")
        assert [(s["type"], s["subscriberId"]) for s in subs] == [("USER", "1004")]


async def test_activity_rows_minimal_drops_object_id_and_name():
    async with sim_client(demo_state(Clock()), ["activity_rows_minimal"]) as c:
        keys = await _activity_keys(c)
    assert "objectId" not in keys and "objectName" not in keys
    assert {"objectType", "additionalComment", "time"} <= set(keys)


async def test_activity_object_type_400_only_documented_values():
    async with sim_client(demo_state(Clock()), ["activity_object_type_400"]) as c:
        body = await call(c, "GET", AUDIT + WINDOW + "&objectType=DATA_SOURCE,GROUP", status=400)
        assert_error(body, 400, "GROUP")
        assert await call(c, "GET", AUDIT + WINDOW + "&objectType=DATA_SOURCE") == []
        types = await call(c, "GET", f"{AUDIT}/objectTypes")
        assert types == ["ACCOUNT", "DATAFLOW_TYPE", "DATA_SOURCE"]


async def test_rate_limit_per_minute_windows_and_retry_after():
    clock = Clock(now=120.0)  # the start of a window
    async with sim_client(
        demo_state(Clock()), ["rate_limit_per_minute"], rate_limit_per_minute=3, rate_clock=clock
    ) as c:
        statuses = [(await c.get("/api/content/v2/users/me")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        clock.now = 120.0 + 45.2
        refused = await c.get("/api/content/v2/users/me")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "15"
        assert_error(refused.json(), 429, "too many")
        assert (await c.get("/_sim/health")).status_code == 200  # control endpoints are free
        clock.now = 180.0  # the next window
        assert (await c.get("/api/content/v2/users/me")).status_code == 200
        stats = await call(c, "GET", "/_sim/stats")
        assert stats["faults_injected"] == {"rate_limit_per_minute": 1}


async def test_rate_limit_default_is_600_and_settable_over_control():
    async with sim_client(demo_state(Clock()), rate_clock=Clock()) as c:
        assert (await call(c, "GET", "/_sim/variants"))["rate_limit_per_minute"] == 600
        codes = [(await c.get("/api/content/v2/users/me")).status_code for _ in range(3)]
        assert codes == [200, 200, 200]  # the variant is off: no limit
        body = {"enabled": ["rate_limit_per_minute"], "rate_limit_per_minute": 1}
        await call(c, "PUT", "/_sim/variants", body)
        codes = [(await c.get("/api/content/v2/users/me")).status_code for _ in range(2)]
        assert codes == [200, 429]
        bad = {"enabled": ["rate_limit_per_minute"], "rate_limit_per_minute": 0}
        assert_error(await call(c, "PUT", "/_sim/variants", bad, status=400), 400, "positive")


# The control endpoint and the in-process switch.


async def test_control_endpoint_lists_switches_and_refuses_unknown_names():
    async with sim_client(demo_state(Clock())) as c:
        doc = await call(c, "GET", "/_sim/variants")
        assert doc["enabled"] == [] and set(doc["available"]) == set(VARIANTS)
        assert doc["available"]["cert_state_null"]["reference"]
        on = await call(
            c, "PUT", "/_sim/variants", {"enabled": ["cert_state_null", "cert_state_null"]}
        )
        assert on["enabled"] == ["cert_state_null"]
        assert await _cert_state(c) is None
        refused = await call(
            c, "PUT", "/_sim/variants", {"enabled": ["cert_state_nul"]}, status=400
        )
        assert_error(refused, 400, "cert_state_null")  # the valid names are listed
        assert (await call(c, "GET", "/_sim/variants"))["enabled"] == ["cert_state_null"]
        await call(c, "PUT", "/_sim/variants", [])  # a bare list works too
        assert await _cert_state(c) == "ACTIVE"
        bad = await call(c, "PUT", "/_sim/variants", {"enabled": [], "bogus": 1}, status=400)
        assert_error(bad, 400, "bogus")


async def test_in_process_switch_and_create_app_refuse_unknown_names():
    state = demo_state(Clock())
    app = create_app(state)
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as c:
        assert await _cert_state(c) == "ACTIVE"
        set_variants(app, ["cert_state_expired"])
        assert await _cert_state(c) == "EXPIRED"
        with pytest.raises(ValueError, match="valid: schedule_detail_minimal"):
            set_variants(app, ["nope"])
        assert await _cert_state(c) == "EXPIRED"  # a refused switch changes nothing
    with pytest.raises(ValueError, match="unknown variant"):
        create_app(state, variants=["cert_state_sometimes"])
