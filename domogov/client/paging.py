"""Reading a paged list whole: offset/limit, skip/limit or a body-paged search, defensively.

Domo's list endpoints page in three ways, and some ignore the paging parameters they are
sent; each page is therefore checked before the next is asked for (a page longer than the
limit, or the same page twice, stops the read with a ResponseFormatError instead of reading
the whole list again and again).

A read ends at an empty page, never at a short one: a server may cap the page size below the
``limit`` asked for (public clients page grouplist 30 at a time until an empty page; nothing
documents the cap), and a short page read as the end silently drops the rest of the list:
groups that then "do not exist" get created again, shares to them fail. The next page starts
after the rows actually received, so a capped server is read whole. The cost is one request:
the empty page that proves the end.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from domogov.errors import ApiError

__all__ = ["PageStyle", "read_pages"]

PageStyle = Literal["offset", "skip", "body"]


class Requester(Protocol):
    """DomoClient.request, as paging calls it."""

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = ...,
        json: Any = ...,
        idempotent: bool | None = ...,
    ) -> Any: ...


class FormatFailure(Protocol):
    """Builds the (redacted) ResponseFormatError for ``method path``."""

    def __call__(self, method: str, path: str, detail: str) -> ApiError: ...


async def read_pages(
    request: Requester,
    fail: FormatFailure,
    path: str,
    *,
    style: PageStyle,
    page_size: int,
    max_pages: int,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    items_key: str | None = None,
    method: str | None = None,
    stop_on: Literal["short", "empty"] = "short",
) -> list[Any]:
    """Every item of a paged list, fetching pages one after another (see DomoClient.paginate).

    Pages are read until one comes back empty, whatever ``stop_on`` says: ``"short"`` is kept
    for callers written when a short page ended the read, and now reads to an empty page too.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    verb = (method or ("POST" if style == "body" else "GET")).upper()
    start_key = "skip" if style == "skip" else "offset"
    items: list[Any] = []
    start = 0
    previous: list[Any] | None = None
    for _ in range(max_pages):
        page_body: dict[str, Any] | None
        if style == "body":
            page_body = {**(body or {}), "offset": start, "limit": page_size}
            page_params = params
        else:
            page_body = body
            page_params = {**(params or {}), start_key: start, "limit": page_size}
        answer = await request(verb, path, params=page_params, json=page_body, idempotent=True)
        rows = _rows(answer, items_key, verb, path, fail)
        if len(rows) > page_size:
            raise fail(
                verb,
                path,
                f"a page of {len(rows)} items came back for limit={page_size}; "
                "the endpoint seems to ignore limit",
            )
        if rows and rows == previous:
            raise fail(
                verb,
                path,
                f"the same page came back for {start_key}={start}; "
                f"the endpoint seems to ignore {start_key}",
            )
        items.extend(rows)
        if not rows:
            return items
        start += len(rows)  # past what came back: a capped page leaves no gap
        previous = rows
    raise fail(
        verb,
        path,
        f"paging did not end after {max_pages} pages of {page_size} items "
        "(max_pages); the endpoint keeps returning full pages",
    )


def _rows(
    answer: Any, items_key: str | None, method: str, path: str, fail: FormatFailure
) -> list[Any]:
    if answer is None:
        return []
    if items_key is not None:
        if not isinstance(answer, dict) or items_key not in answer:
            raise fail(method, path, f"expected an object with a {items_key!r} list")
        answer = answer[items_key]
        if answer is None:
            return []
    if not isinstance(answer, list):
        raise fail(method, path, f"expected a JSON array, got {type(answer).__name__}")
    return answer
