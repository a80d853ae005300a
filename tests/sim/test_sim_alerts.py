"""Alerts contract: list, get, subscriptions, share, unsubscribe, delete."""

from __future__ import annotations

import httpx
from simhelpers import SALES_PIPELINE, assert_error, call

from domogov.sim import SimState
from domogov.sim.entities import Alert

ALERTS = "/api/social/v4/alerts"
LIST_KEYS = {
    "id", "category", "type", "name", "description", "resourceType", "resourceId", "createdAt",
    "createdBy", "modifiedAt", "modifiedBy",
}  # fmt: skip


async def test_list_is_a_bare_array_with_default_fields(client: httpx.AsyncClient):
    rows = await call(client, "GET", f"{ALERTS}?all=true&limit=5")
    assert [r["id"] for r in rows] == [358, 359]
    assert set(rows[0]) == LIST_KEYS
    assert rows[0]["resourceId"] == SALES_PIPELINE and rows[0]["createdBy"] == 1001


async def test_list_filters_and_all_fields(client: httpx.AsyncClient):
    rows = await call(client, "GET", f"{ALERTS}?dataSetId={SALES_PIPELINE}&fields=all")
    assert [r["id"] for r in rows] == [358]
    assert rows[0]["subscriptions"][0]["subscriberId"] == "1004"
    assert [r["id"] for r in await call(client, "GET", f"{ALERTS}?cardId=1234568")] == [359]
    assert [r["id"] for r in await call(client, "GET", f"{ALERTS}?offset=1&limit=1")] == [359]


async def test_list_default_limit_is_one_hundred(client: httpx.AsyncClient, state: SimState):
    for i in range(150):
        state.alerts[1000 + i] = Alert(
            1000 + i, f"a{i}", "ANY_ROW", "DATASET", SALES_PIPELINE, 1001, "2025-01-01 00:00:00"
        )
    assert len(await call(client, "GET", ALERTS)) == 100
    assert len(await call(client, "GET", f"{ALERTS}?all=true")) == 152


async def test_get_alert_has_the_documented_shape(client: httpx.AsyncClient):
    alert = await call(client, "GET", f"{ALERTS}/358?fields=all")
    for key in ("actions", "active", "owner", "resourceName", "rule", "subscriptions", "type"):
        assert key in alert
    assert alert["resourceName"] == "Sales Pipeline" and alert["owner"] == 1001
    assert alert["subscriptions"] == [
        {"id": 1, "subscriberId": "1004", "type": "USER", "subscribedBy": 1001}
    ]
    assert_error(await call(client, "GET", f"{ALERTS}/1", status=404), 404)


async def test_subscribe_echoes_the_subscription(client: httpx.AsyncClient, state: SimState):
    sub = await call(
        client, "POST", f"{ALERTS}/358/subscriptions", {"subscriberId": 1002, "type": "USER"}
    )
    assert sub == {"id": 3, "subscriberId": "1002", "type": "USER", "subscribedBy": 1001}
    again = await call(
        client, "POST", f"{ALERTS}/358/subscriptions", {"subscriberId": "1002", "type": "USER"}
    )
    assert again == sub  # idempotent
    group = await call(
        client, "POST", f"{ALERTS}/358/subscriptions", {"subscriberId": 501, "type": "GROUP"}
    )
    assert group["type"] == "GROUP" and group["subscriberId"] == "501"
    listed = await call(client, "GET", f"{ALERTS}/358/subscriptions")
    assert [s["subscriberId"] for s in listed] == ["1004", "1002", "501"]
    assert state.audit[-1]["additionalComment"] == (
        "Ada Admin subscribed group 'Finance Analysts' to alert "
        "'Any row has changes for column(s): 'amount, stage''."
    )


async def test_subscribe_refuses_unknown_subscribers(client: httpx.AsyncClient):
    body = {"subscriberId": 777, "type": "USER"}
    err = await call(client, "POST", f"{ALERTS}/358/subscriptions", body, status=400)
    assert_error(err, 400, "777")
    await call(client, "POST", f"{ALERTS}/9/subscriptions", {"subscriberId": 1002}, status=404)


async def test_unsubscribe_uses_delete_with_query(client: httpx.AsyncClient, state: SimState):
    response = await client.delete(f"{ALERTS}/358/subscriptions?subscriberId=1004&type=USER")
    assert response.status_code == 200
    assert state.alerts[358].subscriptions == []
    response = await client.delete(f"{ALERTS}/358/subscriptions?subscriberId=1004")
    assert response.status_code == 400


async def test_share_adds_subscriptions(client: httpx.AsyncClient, state: SimState):
    body = {
        "userMessage": "I think you'll find this alert useful",
        "alertSubscriptions": [
            {"subscriberId": 1002, "type": "USER"},
            {"subscriberId": 502, "type": "GROUP"},
        ],
        "sendEmail": True,
        "metaData": {},
    }
    response = await client.post(f"{ALERTS}/358/share", json=body)
    assert response.status_code == 200
    subs = {(s.type, s.subscriber_id) for s in state.alerts[358].subscriptions}
    assert subs == {("USER", 1004), ("USER", 1002), ("GROUP", 502)}
    body["alertSubscriptions"] = [{"subscriberId": 1003}, {"subscriberId": 4040}]
    await call(client, "POST", f"{ALERTS}/358/share", body, status=400)
    assert ("USER", 1003) not in {
        (s.type, s.subscriber_id) for s in state.alerts[358].subscriptions
    }


async def test_delete_alert(client: httpx.AsyncClient, state: SimState):
    response = await client.delete(f"{ALERTS}/359")
    assert response.status_code == 200 and 359 not in state.alerts
    assert state.audit[-1]["actionType"] == "DELETED"
    await call(client, "DELETE", f"{ALERTS}/359", status=404)
