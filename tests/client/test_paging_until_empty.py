"""Paging reads to an empty page: a server that caps the page size loses no rows.

Domo does not document a page-size cap, but public clients page grouplist 30 at a time until an
empty page, and a server answering fewer rows than ``limit`` asked for is not at the end of its
list. A short page therefore never ends a read; only an empty page (or max_pages) does.
"""

from __future__ import annotations

import json

import httpx
import pytest
from clientkit import TOKEN

from domogov.client import DomoClient
from domogov.errors import ResponseFormatError

ROWS = 23


def capped(cap: int, total: int = ROWS, start_key: str = "offset") -> httpx.MockTransport:
    """A list of ``total`` rows that answers at most ``cap`` rows whatever limit asks."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = json.loads(request.content)
            start, limit = int(body["offset"]), int(body["limit"])
        else:
            start = int(request.url.params[start_key])
            limit = int(request.url.params["limit"])
        rows = range(total)[start : start + min(limit, cap)]
        if request.method == "POST":
            return httpx.Response(200, json={"users": [{"id": r} for r in rows]})
        return httpx.Response(200, json=[{"id": r} for r in rows])

    return httpx.MockTransport(answer)


async def test_a_server_capping_the_page_size_is_read_whole() -> None:
    async with DomoClient("http://localhost", TOKEN, transport=capped(cap=5)) as client:
        rows = await client.paginate("/api/list", style="offset", page_size=10)
        assert [r["id"] for r in rows] == list(range(ROWS))
        # 5 + 5 + 5 + 5 + 3, then the empty page that proves the end.
        assert client.stats["GET /api/list"] == 6


@pytest.mark.parametrize("style", ["offset", "skip", "body"])
async def test_every_paging_style_reads_past_a_short_page(style: str) -> None:
    transport = capped(cap=4, start_key="skip" if style == "skip" else "offset")
    async with DomoClient("http://localhost", TOKEN, transport=transport) as client:
        rows = await client.paginate(
            "/api/list", style=style, page_size=10, items_key="users" if style == "body" else None
        )
        assert [r["id"] for r in rows] == list(range(ROWS))


async def test_a_list_that_fits_one_page_costs_that_page_and_one_empty_page() -> None:
    async with DomoClient("http://localhost", TOKEN, transport=capped(cap=100)) as client:
        rows = await client.paginate("/api/list", style="offset", page_size=100)
        assert len(rows) == ROWS
        assert client.stats["GET /api/list"] == 2


async def test_stop_on_short_no_longer_ends_the_read_at_a_short_page() -> None:
    """The old opt-in (stop at a short page) is what lost rows: it now reads to empty too."""
    async with DomoClient("http://localhost", TOKEN, transport=capped(cap=5)) as client:
        rows = await client.paginate("/api/list", style="offset", page_size=10, stop_on="short")
        assert len(rows) == ROWS


async def test_max_pages_still_bounds_a_capped_endless_list() -> None:
    transport = capped(cap=3, total=10**9)
    async with DomoClient("http://localhost", TOKEN, transport=transport, max_pages=7) as client:
        with pytest.raises(ResponseFormatError, match="did not end after 7 pages"):
            await client.paginate("/api/list", style="offset", page_size=10)
        assert client.stats["GET /api/list"] == 7
