"""The write log: every write the simulator received, its answer and what it actually changed."""

from __future__ import annotations

import httpx
import pytest
from simhelpers import LEDGER, SALES_PIPELINE, TOKEN_HEADER, Clock, call
from starlette.applications import Starlette

from domogov.sim import SimState, SimTransport, create_app, set_variants, write_log
from domogov.sim.state import demo_state
from domogov.sim.writelog import MAX_BODY_BYTES, WriteLog, note, parse_body

DS = "/api/data/v3/datasources"


async def test_reads_are_not_logged_and_writes_are_in_order(
    client: httpx.AsyncClient, app: Starlette
):
    await call(client, "GET", "/api/content/v2/groups/grouplist")
    await call(client, "POST", "/api/identity/v1/users/search", {"limit": 5})  # a read by POST
    await call(client, "PUT", "/api/content/v2/groups/501/user/1004")
    await call(client, "POST", "/api/content/v2/groups", {"name": "New", "type": "open"})
    log = await call(client, "GET", "/_sim/writes")
    assert log["total"] == 2 and log["dropped"] == 0
    first, second = log["writes"]
    assert first == {
        "seq": 1,
        "time": first["time"],
        "method": "PUT",
        "route": "/api/content/v2/groups/{id}/user/{userId}",
        "path": "/api/content/v2/groups/501/user/1004",
        "query": "",
        "body": None,
        "actor": 1001,
        "status": 200,
        "handled_status": 200,
        "fault": None,
        "effect": {"members_added": [{"groupId": 501, "type": "USER", "id": 1004}]},
    }
    assert second["body"] == {"name": "New", "type": "open"}
    assert second["effect"] == {"created": 505}
    assert write_log(app) == log["writes"]  # the in-process twin
    assert [e["seq"] for e in write_log(app, since=1)] == [2]
    assert (await call(client, "GET", "/_sim/writes?since=1"))["writes"] == [second]


async def test_a_no_op_write_and_a_refused_write_have_no_effect(client: httpx.AsyncClient):
    await call(client, "PUT", "/api/content/v2/groups/501/user/1002")  # already a member
    await call(
        client, "DELETE", f"{DS}/{SALES_PIPELINE}/users", [{"type": "USER", "id": 1001}], 400
    )
    noop, refused = (await call(client, "GET", "/_sim/writes"))["writes"]
    assert noop["status"] == 200 and noop["effect"] == {}
    assert refused["status"] == 400 and refused["effect"] == {}
    assert refused["body"] == [{"type": "USER", "id": 1001}]


async def test_dataset_share_and_revoke_effects(client: httpx.AsyncClient):
    share = {"permissions": [{"type": "GROUP", "id": 503, "accessLevel": "CAN_VIEW"}]}
    await call(client, "POST", f"{DS}/{LEDGER}/share", share)
    body = [{"type": "GROUP", "id": 501}, {"type": "USER", "id": 1008}]  # 1008 has no grant
    await call(client, "DELETE", f"{DS}/{LEDGER}/users", body)
    shared, revoked = (await call(client, "GET", "/_sim/writes"))["writes"]
    assert shared["effect"] == {
        "granted": [{"type": "GROUP", "id": 503, "accessLevel": "CAN_VIEW"}]
    }
    assert revoked["effect"] == {"revoked": [{"type": "GROUP", "id": 501}]}


async def test_variant_effects_show_what_was_not_done(client: httpx.AsyncClient, app: Starlette):
    set_variants(app, ["group_revoke_ignored", "share_does_not_lower"])
    body = [{"type": "GROUP", "id": 501}, {"type": "USER", "id": 1003}]
    await call(client, "DELETE", f"{DS}/{LEDGER}/users", body)
    lower = {"permissions": [{"type": "USER", "id": 1004, "accessLevel": "CAN_VIEW"}]}
    await call(client, "POST", f"{DS}/{SALES_PIPELINE}/share", lower)  # same level: no change
    await call(client, "POST", f"{DS}/{LEDGER}/share", {"permissions": []})
    revoke, same, empty = write_log(app)
    assert revoke["effect"] == {
        "revoked": [{"type": "USER", "id": 1003}],
        "ignored": [{"type": "GROUP", "id": 501}],
    }
    assert same["effect"] == {} and empty["effect"] == {}


async def test_group_delete_logs_every_reference_it_drops(client: httpx.AsyncClient):
    await call(client, "DELETE", "/api/content/v2/groups", [502])
    (entry,) = (await call(client, "GET", "/_sim/writes"))["writes"]
    assert entry["effect"] == {
        "deleted": [502],
        "revoked": [{"datasetId": SALES_PIPELINE, "type": "GROUP", "id": 502}],
        "recipients_removed": [{"scheduleId": 123456, "type": "GROUP", "value": "502"}],
    }


async def test_schedule_replace_logs_recipients_and_fields(client: httpx.AsyncClient):
    doc = await call(client, "GET", "/api/content/v1/reportschedules/123456")
    doc["schedule"]["additionalRecipients"] = [
        {"type": "USER", "value": "1004"},
        {"type": "EMAIL", "value": "new@example.com"},
    ]
    doc["schedule"]["hourOfDay"] = 9
    await call(client, "PUT", "/api/content/v1/reportschedules/123456", doc)
    (entry,) = (await call(client, "GET", "/_sim/writes"))["writes"]
    assert entry["effect"] == {
        "replaced": [123456],
        "changed": ["hourOfDay"],
        "recipients_added": [{"scheduleId": 123456, "type": "EMAIL", "value": "new@example.com"}],
        "recipients_removed": [
            {"scheduleId": 123456, "type": "GROUP", "value": "502"},
            {"scheduleId": 123456, "type": "EMAIL", "value": "cfo@example.com"},
        ],
    }


async def test_roles_users_alerts_certification_effects(client: httpx.AsyncClient):
    await call(client, "PATCH", "/api/identity/v1/users/1002", {"roleId": 3})
    await call(
        client, "PUT", "/api/authorization/v1/roles/5/authorities", ["buzz.use", "audit.view"]
    )
    await call(
        client, "DELETE", "/api/social/v4/alerts/358/subscriptions?subscriberId=1004&type=USER"
    )
    tag = f"/api/tags/v3/DATA_SOURCE/{SALES_PIPELINE}/system/CERTIFIED/state"
    await call(client, "PUT", f"{tag}/ACTIVE")
    effects = [e["effect"] for e in (await call(client, "GET", "/_sim/writes"))["writes"]]
    assert effects == [
        {"updated": [{"userId": 1002, "changes": {"roleId": 3}}]},
        {"authorities_added": ["audit.view"]},
        {"unsubscribed": [{"alertId": 358, "type": "USER", "id": 1004}]},
        {"certified": {"entityType": "DATA_SOURCE", "entityId": SALES_PIPELINE, "state": "ACTIVE"}},
    ]


async def test_faults_show_what_the_client_saw_and_what_was_applied(client: httpx.AsyncClient):
    script = [
        {"fault": "503", "method": "PUT"},
        {"fault": "lost_write", "method": "DELETE"},
    ]
    await call(client, "POST", "/_sim/faults", {"seed": 1, "script": script})
    await call(client, "PUT", "/api/content/v2/groups/501/user/1004", status=503)
    with pytest.raises((httpx.RemoteProtocolError, AssertionError)):
        await call(client, "DELETE", "/api/content/v2/groups/501/removeuser/1002")
    refused, lost = (await call(client, "GET", "/_sim/writes"))["writes"]
    assert (refused["status"], refused["handled_status"], refused["fault"]) == (503, None, "503")
    assert refused["effect"] == {}
    assert lost["fault"] == "lost_write" and lost["handled_status"] == 200
    assert lost["status"] in (None, 504)  # a drop, or a gateway timeout
    assert lost["effect"] == {"members_removed": [{"groupId": 501, "type": "USER", "id": 1002}]}


async def test_unauthorized_and_rate_limited_writes_are_logged_without_effect():
    app = create_app(
        demo_state(Clock()),
        variants=["rate_limit_per_minute"],
        rate_limit_per_minute=1,
        rate_clock=Clock(),
    )
    async with httpx.AsyncClient(transport=SimTransport(app), base_url="http://sim") as anon:
        assert (await anon.put("/api/content/v2/groups/501/user/1004")).status_code == 401
        authed = {"headers": TOKEN_HEADER}
        assert (await anon.put("/api/content/v2/groups/501/user/1004", **authed)).status_code == 200
        assert (await anon.put("/api/content/v2/groups/501/user/1005", **authed)).status_code == 429
    unauthorized, applied, limited = write_log(app)
    assert (unauthorized["status"], unauthorized["handled_status"]) == (401, None)
    assert unauthorized["effect"] == {} and applied["effect"]
    assert (limited["status"], limited["fault"], limited["effect"]) == (
        429,
        "rate_limit_per_minute",
        {},
    )
    assert limited["path"].endswith("/1005")


async def test_clear_and_bounds(client: httpx.AsyncClient):
    await call(client, "PUT", "/api/content/v2/groups/501/user/1004")
    cleared = await call(client, "DELETE", "/_sim/writes")
    assert cleared == {"total": 0, "dropped": 0, "writes": []}
    log = WriteLog(max_entries=2)
    for i in range(3):
        log.add({"n": i})
    assert [e["n"] for e in log.entries()] == [1, 2]
    assert log.to_dict()["dropped"] == 1 and log.total == 3
    assert parse_body(b"x" * (MAX_BODY_BYTES + 1)) == {
        "truncated": True,
        "bytes": MAX_BODY_BYTES + 1,
    }
    assert parse_body(b"not json") == "not json" and parse_body(b"  ") is None


def test_note_outside_a_request_is_a_no_op():
    note(created=1)  # no request being logged: nothing to attach to, no error
    log = WriteLog()
    effect, token = log.begin()
    try:
        note(revoked=[1], created=2)
        note(revoked=[2], ignored=[])
    finally:
        log.end(token)
    note(created=3)
    assert effect == {"revoked": [1, 2], "created": 2}


async def test_state_file_autosave_still_happens_with_the_log(tmp_path):
    path = tmp_path / "s.yaml"
    state: SimState = demo_state(Clock())
    app = create_app(state, state_file=path, autosave=True)
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as c:
        await call(c, "PUT", "/api/content/v2/groups/501/user/1004")
    assert path.exists() and write_log(app)[0]["effect"]
