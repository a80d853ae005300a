"""Roles contract: list, get, create, authorities, holders, delete, and the unknown-id quirks."""

from __future__ import annotations

import httpx
from simhelpers import assert_error, call

from domogov.sim import SimState

ROLES = "/api/authorization/v1/roles"
SUMMARY_KEYS = {"id", "name", "description", "authorityCount", "userCount", "created", "modified"}
SUCCESS = {"status": "SUCCESS", "message": ""}


async def test_get_all_roles_is_a_bare_array_of_summaries(client: httpx.AsyncClient):
    roles = await call(client, "GET", ROLES)
    assert [r["name"] for r in roles][:5] == [
        "Admin",
        "Privileged",
        "Editor",
        "Participant",
        "Social",
    ]
    admin = roles[0]
    assert set(admin) == SUMMARY_KEYS
    assert admin["id"] == 1 and admin["authorityCount"] == 18 and admin["userCount"] == 1
    assert admin["created"] == 1550093701000


async def test_get_role_by_id_and_404(client: httpx.AsyncClient):
    role = await call(client, "GET", f"{ROLES}/4")
    assert set(role) == SUMMARY_KEYS and role["userCount"] == 3
    assert_error(await call(client, "GET", f"{ROLES}/999", status=404), 404)


async def test_create_copies_from_role_or_starts_empty(client: httpx.AsyncClient, state: SimState):
    body = {"name": "Auditor", "description": "Reads logs", "fromRoleId": 6}
    created = await call(client, "POST", ROLES, body)
    assert created == {"id": 7, "name": "Auditor", "description": "Reads logs"}
    assert state.roles[7].authorities == state.roles[6].authorities
    bare = await call(client, "POST", ROLES, {"name": "Blank", "description": ""})
    assert await call(client, "GET", f"{ROLES}/{bare['id']}/authorities") == []


async def test_create_refuses_duplicates_and_unknown_template(client: httpx.AsyncClient):
    err = await call(client, "POST", ROLES, {"name": "editor", "description": ""}, status=400)
    assert_error(err, 400, "already exists")
    body = {"name": "Y", "description": "", "fromRoleId": 4242}
    assert_error(await call(client, "POST", ROLES, body, status=400), 400, "4242")


async def test_authorities_read_and_replace_with_patch_or_put(
    client: httpx.AsyncClient, state: SimState
):
    assert await call(client, "GET", f"{ROLES}/5/authorities") == ["buzz.use"]
    new = ["dataset.manage", "dataset.export"]
    assert await call(client, "PATCH", f"{ROLES}/6/authorities", new) == SUCCESS
    assert await call(client, "GET", f"{ROLES}/6/authorities") == new
    assert await call(client, "PUT", f"{ROLES}/6/authorities", ["buzz.use"]) == SUCCESS
    assert state.roles[6].authorities == ["buzz.use"]
    entry = state.audit[-1]
    assert entry["objectType"] == "ROLE" and "Data Steward" in entry["additionalComment"]


async def test_unknown_authority_is_refused(client: httpx.AsyncClient, state: SimState):
    body = ["dataset.manage", "time.travel"]
    err = await call(client, "PATCH", f"{ROLES}/6/authorities", body, status=400)
    assert_error(err, 400, "time.travel")
    assert "time.travel" not in state.roles[6].authorities
    await call(client, "PATCH", f"{ROLES}/999/authorities", ["buzz.use"], status=404)


async def test_unknown_role_reads_answer_empty_instead_of_404(client: httpx.AsyncClient):
    assert await call(client, "GET", f"{ROLES}/999/authorities") == []
    assert await call(client, "GET", f"{ROLES}/999/users") == {"users": []}


async def test_role_users_lists_holders(client: httpx.AsyncClient):
    body = await call(client, "GET", f"{ROLES}/4/users")
    assert body["users"][0] == {
        "userId": 1002,
        "email": "bob@example.com",
        "displayName": "Bob Analyst",
        "roleId": 4,
    }
    assert [u["userId"] for u in body["users"]] == [1002, 1004, 1008]


async def test_assigning_users_moves_them_out_of_their_old_role(
    client: httpx.AsyncClient, state: SimState
):
    assert await call(client, "PUT", f"{ROLES}/6/users", [1002, "1004"]) == SUCCESS
    holders = await call(client, "GET", f"{ROLES}/4/users")
    assert [u["userId"] for u in holders["users"]] == [1008]
    assert state.users[1002].role_id == state.users[1004].role_id == 6
    err = await call(client, "PUT", f"{ROLES}/6/users", [1002, 5555], status=400)
    assert_error(err, 400, "5555")


async def test_delete_role(client: httpx.AsyncClient, state: SimState):
    err = await call(client, "DELETE", f"{ROLES}/6", status=400)
    assert_error(err, 400, "user")
    await call(client, "PUT", f"{ROLES}/4/users", [1003])
    response = await client.delete(f"{ROLES}/6")
    assert response.status_code == 204 and response.content == b""
    assert 6 not in state.roles
    await call(client, "DELETE", f"{ROLES}/6", status=404)


async def test_builtin_roles_cannot_be_deleted(client: httpx.AsyncClient):
    for rid in range(1, 6):
        err = await call(client, "DELETE", f"{ROLES}/{rid}", status=400)
        assert_error(err, 400, "cannot be deleted")


async def test_authorities_catalog_lists_holding_roles(client: httpx.AsyncClient):
    catalog = await call(client, "GET", "/api/authorization/v1/authorities")
    by_name = {a["authority"]: a for a in catalog}
    manage = by_name["dataset.manage"]
    assert set(manage) == {"authority", "title", "description", "authorityUIGroup", "roleIds"}
    assert manage["roleIds"] == [1, 2, 6] and manage["authorityUIGroup"] == "DATA"
