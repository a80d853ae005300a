"""Pagination: offset/limit, skip/limit, offset/limit in the body, empty-page stop, max_pages."""

from __future__ import annotations

import httpx
import pytest
from clientkit import GROUPS, SCHEDULES, TOKEN, USERS, ClientFactory, Sim

from domogov.client import DomoClient
from domogov.errors import ResponseFormatError

GROUPLIST = "/api/content/v2/groups/grouplist"
SCHEDULES_PATH = "/api/content/v1/reportschedules"
SEARCH = "/api/identity/v1/users/search"


async def test_offset_style_reads_past_the_short_page_to_an_empty_one(
    sim: Sim, make_client: ClientFactory
) -> None:
    client = make_client()
    rows = await client.paginate(GROUPLIST, style="offset", page_size=10, params={"sort": "name"})
    assert [r["name"] for r in rows] == [f"group-{i:02d}" for i in range(GROUPS)]
    assert await sim.hits(f"GET {GROUPLIST}") == 4  # 10 + 10 + 5 + 0: a short page is no end


async def test_offset_style_needs_one_empty_page_when_the_total_divides_evenly(
    sim: Sim, make_client: ClientFactory
) -> None:
    rows = await make_client().paginate(GROUPLIST, style="offset", page_size=5)
    assert len(rows) == GROUPS
    assert await sim.hits(f"GET {GROUPLIST}") == GROUPS // 5 + 1


async def test_stop_on_empty_reads_past_short_pages(sim: Sim, make_client: ClientFactory) -> None:
    rows = await make_client().paginate(GROUPLIST, style="offset", page_size=10, stop_on="empty")
    assert len(rows) == GROUPS
    assert await sim.hits(f"GET {GROUPLIST}") == 4  # 10 + 10 + 5 + 0


async def test_skip_style_pages_report_schedules(sim: Sim, make_client: ClientFactory) -> None:
    client = make_client()
    rows = await client.paginate(
        SCHEDULES_PATH,
        style="skip",
        page_size=3,
        params={"orderBy": "title", "isAscending": "true"},
    )
    assert [r["id"] for r in rows] == [100 + i for i in range(SCHEDULES)]
    assert await sim.hits(f"GET {SCHEDULES_PATH}") == 4  # 3 + 3 + 1 + 0


async def test_body_style_posts_offset_and_limit_and_unwraps_items(
    sim: Sim, make_client: ClientFactory
) -> None:
    client = make_client()
    users = await client.paginate(SEARCH, style="body", page_size=5, body={}, items_key="users")
    assert len(users) == USERS
    assert len({u["id"] for u in users}) == USERS
    assert await sim.hits(f"POST {SEARCH}") == 4  # 5 + 5 + 2 + 0


async def test_page_reads_are_retried_even_when_posted(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.faults(seed=1, script=[{"fault": "503", "count": 1, "path_glob": SEARCH, "after": 1}])
    client = make_client()
    users = await client.paginate(SEARCH, style="body", page_size=5, items_key="users")
    assert len(users) == USERS
    assert client.retries == 1


async def test_max_pages_bounds_an_endless_listing(sim: Sim, make_client: ClientFactory) -> None:
    client = make_client(max_pages=2)
    with pytest.raises(ResponseFormatError, match="did not end after 2 pages"):
        await client.paginate(GROUPLIST, style="offset", page_size=10)
    assert await sim.hits(f"GET {GROUPLIST}") == 2


def _endless(request: httpx.Request) -> httpx.Response:
    offset = int(request.url.params["offset"])
    return httpx.Response(200, json=list(range(offset, offset + 4)))


async def test_an_endpoint_that_never_ends_stops_at_max_pages() -> None:
    transport = httpx.MockTransport(_endless)
    async with DomoClient("http://localhost", TOKEN, transport=transport, max_pages=50) as client:
        with pytest.raises(ResponseFormatError, match="max_pages"):
            await client.paginate("/api/endless", style="offset", page_size=4)
        assert client.stats["GET /api/endless"] == 50


async def test_an_endpoint_ignoring_the_offset_is_caught_early() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=[1, 2, 3]))
    async with DomoClient("http://localhost", TOKEN, transport=transport) as client:
        with pytest.raises(ResponseFormatError, match="ignore offset"):
            await client.paginate("/api/same", style="offset", page_size=3)
        assert client.stats["GET /api/same"] == 2


@pytest.mark.parametrize(
    ("body", "items_key", "match"),
    [
        ({"users": []}, None, "expected a JSON array"),
        ([1, 2], "users", "'users' list"),
        ({"people": []}, "users", "'users' list"),
    ],
)
async def test_unexpected_page_shapes_are_format_errors(
    body: object, items_key: str | None, match: str
) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    async with DomoClient("http://localhost", TOKEN, transport=transport) as client:
        with pytest.raises(ResponseFormatError, match=match):
            await client.paginate("/api/x", style="offset", page_size=10, items_key=items_key)
