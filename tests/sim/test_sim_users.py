"""Users API contract: identity v1 users, search, update, content v2 users and users/me."""

from __future__ import annotations

import httpx
from simhelpers import assert_error, call

from domogov.sim import SimState

USER_KEYS = {"attributes", "id", "displayName", "userName", "roleId", "emailAddress"}


async def test_get_all_users_answers_users_wrapper_with_integer_ids(client: httpx.AsyncClient):
    body = await call(client, "GET", "/api/identity/v1/users")
    assert set(body) == {"users"}
    assert len(body["users"]) == 8
    first = body["users"][0]
    assert set(first) == USER_KEYS
    assert isinstance(first["id"], int) and isinstance(first["roleId"], int)
    assert first["attributes"] == [{"key": "title", "values": ["Platform Owner"]}]


async def test_get_user_by_id_wraps_one_user(client: httpx.AsyncClient):
    body = await call(client, "GET", "/api/identity/v1/users/1002")
    assert [u["emailAddress"] for u in body["users"]] == ["bob@example.com"]
    assert set(body["users"][0]) == USER_KEYS


async def test_unknown_user_in_path_is_404(client: httpx.AsyncClient):
    assert_error(await call(client, "GET", "/api/identity/v1/users/999", status=404), 404)


async def test_search_pages_with_offset_and_limit_until_empty(client: httpx.AsyncClient):
    seen = []
    offset = 0
    while True:
        body = await call(
            client, "POST", "/api/identity/v1/users/search", {"offset": offset, "limit": 3}
        )
        if not body["users"]:
            break
        seen += [u["id"] for u in body["users"]]
        offset += 3
    assert seen == sorted(seen) and len(seen) == 8


async def test_search_filters_by_email_case_insensitively_and_by_id(client: httpx.AsyncClient):
    flt = {"field": "emailAddress", "filterType": "value", "values": ["BOB@example.com"]}
    body = {"offset": 0, "limit": 50, "filters": [flt], "parts": ["DETAILED"]}
    found = await call(client, "POST", "/api/identity/v1/users/search", body)
    assert [u["id"] for u in found["users"]] == [1002]
    by_id = {"field": "id", "filterType": "value", "values": ["1003", 1004]}
    found = await call(client, "POST", "/api/identity/v1/users/search", {"filters": [by_id]})
    assert [u["id"] for u in found["users"]] == [1003, 1004]


async def test_search_refuses_unknown_filter_field(client: httpx.AsyncClient):
    body = {"filters": [{"field": "shoeSize", "filterType": "value", "values": ["9"]}]}
    err = await call(client, "POST", "/api/identity/v1/users/search", body, status=400)
    assert_error(err, 400, "shoeSize")


async def test_content_v2_users_is_a_bare_array(client: httpx.AsyncClient):
    body = await call(client, "GET", "/api/content/v2/users")
    assert isinstance(body, list) and len(body) == 8
    assert body[1]["role"] == "Participant" and body[1]["roleId"] == 4


async def test_users_me_is_the_tokens_user(client: httpx.AsyncClient):
    me = await call(client, "GET", "/api/content/v2/users/me")
    assert me["id"] == 1001 and me["emailAddress"] == "ada@example.com" and me["roleId"] == 1
    assert me["displayName"] == "Ada Admin"


async def test_patch_role_flat_form_moves_the_user(client: httpx.AsyncClient, state: SimState):
    user = await call(client, "PATCH", "/api/identity/v1/users/1002", {"roleId": 6})
    assert set(user) == USER_KEYS and user["roleId"] == 6
    assert state.users[1002].role_id == 6


async def test_patch_attributes_form(client: httpx.AsyncClient, state: SimState):
    body = {"attributes": [{"key": "roleId", "values": [3]}, {"key": "title", "values": ["Boss"]}]}
    user = await call(client, "PATCH", "/api/identity/v1/users/1004", body)
    assert user["roleId"] == 3 and state.users[1004].title == "Boss"


async def test_patch_refuses_unknown_keys_and_unknown_role(client: httpx.AsyncClient):
    err = await call(client, "PATCH", "/api/identity/v1/users/1002", {"shoeSize": 9}, status=400)
    assert_error(err, 400, "shoeSize")
    attrs = {"attributes": [{"key": "favouriteColour", "values": ["red"]}]}
    err = await call(client, "PATCH", "/api/identity/v1/users/1002", attrs, status=400)
    assert_error(err, 400, "favouriteColour")
    err = await call(client, "PATCH", "/api/identity/v1/users/1002", {"roleId": 77}, status=400)
    assert_error(err, 400, "Role 77")
    await call(client, "PATCH", "/api/identity/v1/users/4242", {"roleId": 1}, status=404)


async def test_patch_role_is_in_the_activity_log(client: httpx.AsyncClient, state: SimState):
    await call(client, "PATCH", "/api/identity/v1/users/1002", {"roleId": 6})
    entry = state.audit[-1]
    assert entry["objectType"] == "USER" and entry["actionType"] == "UPDATED"
    assert entry["additionalComment"] == (
        "Ada Admin changed the role of bob@example.com from 'Participant' to 'Data Steward'."
    )
