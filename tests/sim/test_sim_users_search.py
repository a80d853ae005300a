"""``POST /api/identity/v1/users/search`` in the forms public clients send (README, Users)."""

from __future__ import annotations

import httpx
from simhelpers import assert_error, call

SEARCH = "/api/identity/v1/users/search"


async def test_text_filter_with_space_separated_emails(client: httpx.AsyncClient):
    flt = {
        "filterType": "text",
        "field": "emailAddress",
        "text": "bob@example.com CAROL@example.com",
    }
    found = await call(
        client, "POST", SEARCH, {"filters": [flt], "limit": 200, "offset": 0, "parts": ["DETAILED"]}
    )
    assert [u["id"] for u in found["users"]] == [1002, 1003]
    assert found["users"][0]["emailAddress"] == "bob@example.com"


async def test_value_filter_on_ids_pages_by_offset_and_limit(client: httpx.AsyncClient):
    flt = {"filterType": "value", "field": "id", "values": [1008, "1001", 1005, 9999]}
    pages = []
    offset = 0
    while users := (
        await call(client, "POST", SEARCH, {"filters": [flt], "offset": offset, "limit": 2})
    )["users"]:
        pages.append([u["id"] for u in users])
        offset += len(users)
    assert pages == [[1001, 1005], [1008]]


async def test_a_single_value_and_text_without_terms(client: httpx.AsyncClient):
    one = {"filterType": "value", "field": "emailAddress", "value": "ERIN@example.com"}
    assert [u["id"] for u in (await call(client, "POST", SEARCH, {"filters": [one]}))["users"]] == [
        1005
    ]
    blank = {"filterType": "text", "field": "emailAddress", "text": "   "}
    assert (await call(client, "POST", SEARCH, {"filters": [blank]}))["users"] == []


async def test_malformed_filters_are_400(client: httpx.AsyncClient):
    for flt, words in [
        ({"filterType": "text", "field": "emailAddress"}, "values"),
        ({"filterType": "value", "field": "id", "value": True}, "values"),
        ({"filterType": "fuzzy", "field": "id", "values": [1]}, "filterType"),
    ]:
        body = await call(client, "POST", SEARCH, {"filters": [flt]}, status=400)
        assert_error(body, 400, words)
    assert_error(await call(client, "POST", SEARCH, {"parts": 5}, status=400), 400, "parts")
