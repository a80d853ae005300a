"""Group contract: grouplist, fetch, members, create/update/delete, access, owners, quirks."""

from __future__ import annotations

import httpx
from simhelpers import LEDGER, assert_error, call

from domogov.sim import SimState
from domogov.sim.entities import Group

GROUPS = "/api/content/v2/groups"


async def test_grouplist_is_a_bare_array_with_string_member_ids(client: httpx.AsyncClient):
    rows = await call(
        client, "GET", f"{GROUPS}/grouplist?offset=0&limit=30&sort=name&ascending=true"
    )
    assert [r["name"] for r in rows] == [
        "Admins",
        "All Employees",
        "Finance Analysts",
        "Sales Team",
    ]
    finance = rows[2]
    assert set(finance) == {
        "groupId", "name", "groupType", "description", "memberCount", "groupMembers", "owners",
        "created",
    }  # fmt: skip
    assert finance["groupId"] == 501 and finance["groupType"] == "closed"
    assert finance["memberCount"] == 2
    assert finance["groupMembers"][0] == {
        "type": "USER",
        "id": "1002",
        "displayName": "Bob Analyst",
    }
    assert finance["owners"] == [{"type": "USER", "id": "1006", "displayName": "Frank Finance"}]
    assert finance["created"] == "2023-06-08 20:59:05.0"


async def test_grouplist_pages_thirty_by_default(client: httpx.AsyncClient, state: SimState):
    for i in range(40):
        state.groups[9000 + i] = Group(9000 + i, f"zz-{i:02d}", owners=[1001])
    first = await call(client, "GET", f"{GROUPS}/grouplist")
    assert len(first) == 30
    names, offset = [], 0
    while page := await call(client, "GET", f"{GROUPS}/grouplist?offset={offset}&limit=30"):
        names += [r["name"] for r in page]
        offset += 30
    assert len(names) == 44 and names == sorted(names, key=str.lower)
    desc = await call(client, "GET", f"{GROUPS}/grouplist?sort=name&ascending=false&limit=1")
    assert desc[0]["name"] == "zz-39"


async def test_fetch_group_has_integer_user_ids(client: httpx.AsyncClient):
    group = await call(client, "GET", f"{GROUPS}/501")
    assert group["id"] == 501 and group["type"] == "closed"
    assert group["userIds"] == [1002, 1006] and group["memberCount"] == 2
    assert group["creatorId"] == 1001 and group["active"] is True
    for key in ("guid", "description", "hidden", "default"):
        assert key in group
    assert_error(await call(client, "GET", f"{GROUPS}/77", status=404), 404)


async def test_group_users_pages_members(client: httpx.AsyncClient):
    body = await call(client, "GET", f"{GROUPS}/users?group=504&offset=0&limit=5")
    assert set(body) == {"groupUserList"} and len(body["groupUserList"]) == 5
    row = body["groupUserList"][0]
    assert row["userId"] == 1001 and row["emailAddress"] == "ada@example.com"
    rest = await call(client, "GET", f"{GROUPS}/users?group=504&offset=5&limit=5")
    assert len(rest["groupUserList"]) == 3
    await call(client, "GET", f"{GROUPS}/users?group=999", status=404)


async def test_create_answers_string_id_and_creator_becomes_owner(
    client: httpx.AsyncClient, state: SimState
):
    body = {"name": "New Group", "description": "This is a new group", "type": "closed"}
    created = await call(client, "POST", GROUPS, body)
    assert set(created) == {"id"} and isinstance(created["id"], str)
    group = await call(client, "GET", f"{GROUPS}/{created['id']}")
    assert group["id"] == int(created["id"]) == 505  # above the current maximum
    assert group["userIds"] == [] and group["creatorId"] == 1001
    assert state.groups[505].owners == [1001]


async def test_create_refuses_duplicate_name_and_bad_type(client: httpx.AsyncClient):
    err = await call(client, "POST", GROUPS, {"name": "finance analysts", "type": "open"}, 400)
    assert_error(err, 400, "already exists")
    err = await call(client, "POST", GROUPS, {"name": "X", "type": "directory"}, status=400)
    assert_error(err, 400, "type")


async def test_update_renames_and_refuses_taken_names(client: httpx.AsyncClient, state: SimState):
    body = [{"groupId": 501, "name": "Finance", "description": "new", "type": "open"}]
    assert await call(client, "PUT", GROUPS, body) is True
    assert (state.groups[501].name, state.groups[501].type) == ("Finance", "open")
    err = await call(client, "PUT", GROUPS, [{"groupId": "502", "name": "Admins"}], status=400)
    assert_error(err, 400, "already exists")


async def test_delete_hides_group_and_removes_its_references(
    client: httpx.AsyncClient, state: SimState
):
    assert await call(client, "DELETE", GROUPS, [501]) is True
    names = [r["name"] for r in await call(client, "GET", f"{GROUPS}/grouplist")]
    assert "Finance Analysts" not in names
    gone = await call(client, "GET", f"{GROUPS}/501")
    assert gone["active"] is False and gone["name"].startswith("Finance Analysts_deleted_")
    assert all(g.id != 501 for g in state.datasets[LEDGER].permissions)
    assert state.alerts[359].subscriptions == []
    recipients = state.report_schedules[123457].schedule.recipients
    assert all((r.type, r.value) != ("GROUP", "501") for r in recipients)
    # The name is free again, and the deleted group refuses further changes.
    await call(client, "POST", GROUPS, {"name": "Finance Analysts", "type": "closed"})
    await call(client, "PUT", f"{GROUPS}/501/user/1003", status=404)
    err = await call(client, "DELETE", GROUPS, [424242], status=400)
    assert_error(err, 400, "424242")


async def test_add_and_remove_one_user(client: httpx.AsyncClient, state: SimState):
    assert await call(client, "PUT", f"{GROUPS}/501/user/1004") is True
    assert state.groups[501].members == [1002, 1006, 1004]
    assert await call(client, "DELETE", f"{GROUPS}/501/removeuser/1002") is True
    assert state.groups[501].members == [1006, 1004]
    assert_error(await call(client, "PUT", f"{GROUPS}/501/user/999", status=404), 404)
    assert_error(await call(client, "PUT", f"{GROUPS}/999/user/1004", status=404), 404)


async def test_dynamic_group_members_cannot_change(client: httpx.AsyncClient):
    err = await call(client, "PUT", f"{GROUPS}/504/user/1002", status=400)
    assert_error(err, 400, "dynamic")
    body = [{"groupId": "504", "removeMembers": [{"type": "USER", "id": "1002"}]}]
    assert_error(await call(client, "PUT", f"{GROUPS}/access", body, status=400), 400, "dynamic")


async def test_access_changes_members_and_owners_in_one_call(
    client: httpx.AsyncClient, state: SimState
):
    body = [
        {
            "groupId": "501",
            "addMembers": [{"type": "USER", "id": "1004"}, {"type": "GROUP", "id": 502}],
            "removeMembers": [{"type": "USER", "id": "1002"}],
            "addOwners": [{"type": "USER", "id": 1003}],
            "removeOwners": [{"type": "USER", "id": "1006"}],
        },
        {"groupId": 502, "addMembers": [{"type": "USER", "id": "1005"}]},
    ]
    assert await call(client, "PUT", f"{GROUPS}/access", body) is True
    g = state.groups[501]
    assert (g.members, g.member_groups, g.owners) == ([1006, 1004], [502], [1003])
    assert state.groups[502].members == [1004, 1008, 1005]
    rows = {r["groupId"]: r for r in await call(client, "GET", f"{GROUPS}/grouplist")}
    assert {"type": "GROUP", "id": "502", "displayName": "Sales Team"} in rows[501]["groupMembers"]


async def test_access_refuses_removing_the_last_owner_and_applies_nothing(
    client: httpx.AsyncClient, state: SimState
):
    body = [
        {"groupId": 502, "addMembers": [{"type": "USER", "id": "1002"}]},
        {"groupId": 501, "removeOwners": [{"type": "USER", "id": "1006"}]},
    ]
    err = await call(client, "PUT", f"{GROUPS}/access", body, status=400)
    assert_error(err, 400, "owner")
    assert state.groups[502].members == [1004, 1008] and state.groups[501].owners == [1006]


async def test_access_refuses_unknown_users(client: httpx.AsyncClient):
    body = [{"groupId": "501", "addMembers": [{"type": "USER", "id": "31337"}]}]
    assert_error(await call(client, "PUT", f"{GROUPS}/access", body, status=400), 400, "31337")


async def test_group_permissions_lists_owners(client: httpx.AsyncClient):
    path = f"{GROUPS}/permissions?checkOwnership=true&includeUsers=false"
    body = await call(client, "POST", path, ["501", "502"])
    assert body[0] == {
        "groupId": 501,
        "permissions": {"owners": [{"type": "USER", "id": "1006", "displayName": "Frank Finance"}]},
    }
    assert body[1]["permissions"]["owners"][0]["id"] == "1001"


async def test_membership_changes_are_in_the_activity_log(
    client: httpx.AsyncClient, state: SimState
):
    await call(client, "PUT", f"{GROUPS}/501/user/1004")
    assert state.audit[-1]["additionalComment"] == (
        "Ada Admin added dave@example.com to group 'Finance Analysts'."
    )
    body = [{"groupId": 501, "removeMembers": [{"type": "USER", "id": "1002"}]}]
    await call(client, "PUT", f"{GROUPS}/access", body)
    entry = state.audit[-1]
    assert entry["objectType"] == "GROUP" and entry["objectId"] == "501"
    assert entry["userId"] == "1001" and entry["userType"] == "USER"
    assert entry["additionalComment"] == (
        "Ada Admin removed bob@example.com from group 'Finance Analysts'."
    )
