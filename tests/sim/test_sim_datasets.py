"""Datasets contract (metadata, access list, share, revoke) and certified content."""

from __future__ import annotations

import httpx
from simhelpers import LEDGER, SALES_PIPELINE, assert_error, call

from domogov.sim import SimState

DS = f"/api/data/v3/datasources/{SALES_PIPELINE}"
TAGS = "/api/tags/v3"


async def test_metadata_has_the_documented_shape(client: httpx.AsyncClient):
    meta = await call(client, "GET", DS)
    assert meta["id"] == SALES_PIPELINE and meta["name"] == "Sales Pipeline"
    assert meta["owner"] == {"id": "1001", "name": "Ada Admin", "type": "USER", "group": False}
    for key in ("rowCount", "columnCount", "cardInfo", "created", "lastUpdated", "permissions"):
        assert key in meta
    assert meta["cardInfo"] == {"cardCount": 1, "cardViewCount": 0}
    assert meta["permissions"] == "READ_WRITE_DELETE_SHARE_ADMIN"


async def test_metadata_parts_select_sections_and_ignore_unknown(client: httpx.AsyncClient):
    core = await call(client, "GET", f"{DS}?part=core")
    assert "permissions" not in core and core["owner"]["id"] == "1001"
    both = await call(client, "GET", f"{DS}?part=core,permission,nonsense")
    assert both["permissions"] == "READ_WRITE_DELETE_SHARE_ADMIN"
    await call(client, "GET", "/api/data/v3/datasources/no-such-id", status=404)


async def test_access_list_shows_owner_first_with_string_ids(client: httpx.AsyncClient):
    body = await call(client, "GET", f"{DS}/permissions")
    assert body == {
        "list": [
            {"type": "USER", "id": "1001", "accessLevel": "OWNER", "name": "Ada Admin"},
            {"type": "USER", "id": "1004", "accessLevel": "CAN_VIEW", "name": "Dave Sales"},
            {"type": "GROUP", "id": "502", "accessLevel": "CAN_VIEW", "name": "Sales Team"},
        ],
        "totalUserCount": 2,
        "totalGroupCount": 1,
    }


async def test_share_sets_levels_replacing_previous_grants(client: httpx.AsyncClient):
    body = {
        "permissions": [
            {"id": "1004", "type": "USER", "accessLevel": "CO_OWNER"},
            {"id": 501, "type": "GROUP", "accessLevel": "CAN_EDIT"},
        ],
        "sendEmail": True,
    }
    assert await call(client, "POST", f"{DS}/share", body) == {}
    rows = (await call(client, "GET", f"{DS}/permissions"))["list"]
    levels = {(r["type"], r["id"]): r["accessLevel"] for r in rows}
    assert levels == {
        ("USER", "1001"): "OWNER",
        ("USER", "1004"): "CO_OWNER",
        ("GROUP", "502"): "CAN_VIEW",
        ("GROUP", "501"): "CAN_EDIT",
    }


async def test_share_refuses_owner_level_unknown_principals_and_bad_levels(
    client: httpx.AsyncClient, state: SimState
):
    def share(pid: object, ptype: str, level: str) -> dict:
        return {"permissions": [{"id": pid, "type": ptype, "accessLevel": level}], "sendEmail": 0}

    for body, needle in [
        (share("1002", "USER", "OWNER"), "OWNER"),
        (share("8888", "USER", "CAN_VIEW"), "8888"),
        (share("8888", "GROUP", "CAN_VIEW"), "8888"),
        (share("1002", "USER", "CAN_DANCE"), "CAN_DANCE"),
        (share("1001", "USER", "CAN_VIEW"), "owns"),
    ]:
        assert_error(await call(client, "POST", f"{DS}/share", body, status=400), 400, needle)
    assert len(state.datasets[SALES_PIPELINE].permissions) == 2


async def test_revoke_one_user_by_either_path(client: httpx.AsyncClient, state: SimState):
    assert await call(client, "DELETE", f"{DS}/permissions/USER/1004") == {}
    assert [g.id for g in state.datasets[SALES_PIPELINE].permissions] == [502]
    path = f"/api/data/v3/datasources/{LEDGER}/USERS/1003"
    assert await call(client, "DELETE", path) == {}
    assert [g.id for g in state.datasets[LEDGER].permissions] == [501]
    await call(client, "DELETE", f"{DS}/permissions/USER/9999", status=404)


async def test_remove_multiple_takes_users_and_groups(client: httpx.AsyncClient, state: SimState):
    body = [{"id": "1004", "type": "USER"}, {"id": "502", "type": "GROUP"}]
    assert await call(client, "DELETE", f"{DS}/users", body) == {}
    assert state.datasets[SALES_PIPELINE].permissions == []
    err = await call(client, "DELETE", f"{DS}/users", [{"id": "9", "type": "USER"}], status=400)
    assert_error(err, 400, "9")


async def test_the_owner_cannot_be_revoked(client: httpx.AsyncClient):
    err = await call(client, "DELETE", f"{DS}/permissions/USER/1001", status=400)
    assert_error(err, 400, "owner")
    body = [{"id": "1001", "type": "USER"}]
    assert_error(await call(client, "DELETE", f"{DS}/users", body, status=400), 400, "owner")


async def test_shares_and_revokes_are_in_the_activity_log(
    client: httpx.AsyncClient, state: SimState
):
    body = {"permissions": [{"id": "1002", "type": "USER", "accessLevel": "CAN_VIEW"}]}
    await call(client, "POST", f"{DS}/share", body)
    entry = state.audit[-1]
    assert (entry["actionType"], entry["objectType"]) == ("SHARED", "DATA_SOURCE")
    assert entry["objectId"] == SALES_PIPELINE
    assert entry["additionalComment"] == (
        "Ada Admin shared DataSet 'Sales Pipeline' with bob@example.com (CAN_VIEW)."
    )
    await call(client, "DELETE", f"{DS}/permissions/USER/1002")
    assert state.audit[-1]["actionType"] == "UNSHARED"


async def test_certification_state_lifecycle(client: httpx.AsyncClient, clock):
    path = f"{TAGS}/DATA_SOURCE/{SALES_PIPELINE}/system/CERTIFIED/state"
    uncertified = {"tag": "CERTIFIED", "state": None, "metadata": None, "updated": None}
    assert await call(client, "GET", path) == uncertified
    certified = await call(client, "PUT", f"{path}/ACTIVE")
    assert certified == {
        "tag": "CERTIFIED",
        "state": "ACTIVE",
        "metadata": None,
        "updated": int(clock.now * 1000),
    }
    assert (await call(client, "GET", path))["state"] == "ACTIVE"
    response = await client.delete(path)
    assert response.status_code == 204 and response.content == b""
    assert await call(client, "GET", path) == uncertified


async def test_certification_of_cards_and_unknown_entities(client: httpx.AsyncClient):
    card = f"{TAGS}/CARD/1234567/system/CERTIFIED/state"
    await call(client, "PUT", f"{card}/ACTIVE")
    assert (await call(client, "GET", card))["state"] == "ACTIVE"
    ledger = f"{TAGS}/DATA_SOURCE/{LEDGER}/system/CERTIFIED/state"
    assert (await call(client, "GET", ledger))["state"] == "ACTIVE"  # certified in the demo
    await call(client, "GET", f"{TAGS}/CARD/42/system/CERTIFIED/state", status=404)
    await call(client, "PUT", f"{TAGS}/DATA_SOURCE/nope/system/CERTIFIED/state/ACTIVE", status=404)
    await call(client, "GET", f"{TAGS}/PAGE/1/system/CERTIFIED/state", status=400)
