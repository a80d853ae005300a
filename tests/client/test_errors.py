"""Error mapping: each status and body shape becomes the right ApiError, carrying Domo's words."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from domogov.client import DomoClient
from domogov.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ResponseFormatError,
    ServerError,
)

TOKEN = "tok-errors-0123456789"


def domo_error(status: int, message: str) -> dict[str, object]:
    return {"status": status, "statusReason": "Reason", "message": message, "toe": "ABC-123"}


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> DomoClient:
    return DomoClient(
        "http://localhost",
        TOKEN,
        transport=httpx.MockTransport(handler),
        max_retries=1,
        backoff_base=0,
        backoff_max=0,
    )


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (403, "Forbidden", PermissionDeniedError),
        (404, "Group not found", NotFoundError),
        (400, "A group with the name Finance already exists", ConflictError),
        (409, "Version mismatch", ConflictError),
        (409, "Group already exists", ConflictError),
        (400, "Invalid roleId", BadRequestError),
        (422, "Unprocessable", BadRequestError),
    ],
)
async def test_error_status_maps_to_its_exception(
    status: int, message: str, error: type[ApiError]
) -> None:
    async with client_for(lambda r: httpx.Response(status, json=domo_error(status, message))) as c:
        with pytest.raises(error) as err:
            await c.get("/api/content/v2/groups/7", params={"secret": "x"})
    assert type(err.value) is error
    assert err.value.status == status
    assert err.value.method == "GET"
    assert err.value.path == "/api/content/v2/groups/7"  # no query string
    assert err.value.domo_message == message
    assert message in str(err.value)
    assert c.stats["GET /api/content/v2/groups/7"] == 1  # not retried


async def test_401_explains_the_token_and_how_to_set_it() -> None:
    async with client_for(lambda r: httpx.Response(401, json=domo_error(401, "Unauthorized"))) as c:
        with pytest.raises(AuthError) as err:
            await c.get("/api/content/v2/users/me")
    text = str(err.value)
    assert "missing, wrong or expired" in text and "DOMO_TOKEN" in text
    assert err.value.status == 401


async def test_error_body_inside_a_200_is_that_error() -> None:
    body = domo_error(404, "No such role")
    async with client_for(lambda r: httpx.Response(200, json=body)) as c:
        with pytest.raises(NotFoundError, match="No such role"):
            await c.get("/api/authorization/v1/roles/9")


async def test_object_with_a_string_status_field_is_not_an_error() -> None:
    body = {"status": "ACTIVE", "message": "ok", "id": 3}
    async with client_for(lambda r: httpx.Response(200, json=body)) as c:
        assert await c.get("/api/x") == body


async def test_html_error_page_gives_a_short_clean_excerpt() -> None:
    page = (
        "<html><head><title>502 Bad Gateway</title><style>b{}</style></head>"
        "<body><h1>Bad   Gateway</h1>" + "x" * 5000 + "</body></html>"
    )
    async with client_for(lambda r: httpx.Response(502, text=page)) as c:
        with pytest.raises(ServerError) as err:
            await c.get("/api/x")
    assert "502 Bad Gateway" in str(err.value)
    assert "<" not in str(err.value)
    assert len(str(err.value)) < 300


async def test_plain_text_error_is_truncated() -> None:
    async with client_for(lambda r: httpx.Response(400, text="nope " * 200)) as c:
        with pytest.raises(BadRequestError) as err:
            await c.get("/api/x")
    assert err.value.domo_message is not None and len(err.value.domo_message) <= 200


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(204), None),
        (httpx.Response(200, content=b""), None),
        (httpx.Response(200, json=True), True),
        (httpx.Response(200, json=[1, 2]), [1, 2]),
    ],
)
async def test_success_bodies_are_parsed(response: httpx.Response, expected: object) -> None:
    async with client_for(lambda r: response) as c:
        assert await c.put("/api/x", json=[1]) == expected


async def test_non_json_success_body_is_a_format_error() -> None:
    async with client_for(lambda r: httpx.Response(200, text="<html>login</html>")) as c:
        with pytest.raises(ResponseFormatError, match="expected JSON"):
            await c.get("/api/x")


async def test_redirect_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.example.com/"})

    async with client_for(handler) as c:
        with pytest.raises(ResponseFormatError):
            await c.get("/api/x")
    assert sum(c.stats.values()) == 1


async def test_error_body_in_200_for_a_post_5xx_is_ambiguous() -> None:
    body = domo_error(500, "Internal error")
    async with client_for(lambda r: httpx.Response(200, json=body)) as c:
        with pytest.raises(AmbiguousWriteError):
            await c.post("/api/content/v2/groups", json={"name": "g"})


async def test_requests_carry_the_documented_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=True)

    async with client_for(handler) as c:
        await c.get("/api/a", params={"x": 1, "skip": None})
        await c.delete("/api/content/v2/groups", json=[1, 2])
    get, delete = seen
    assert get.headers["X-DOMO-Developer-Token"] == TOKEN
    assert get.headers["Accept"] == "application/json"
    assert get.headers["User-Agent"].startswith("domogov/")
    assert "content-type" not in get.headers
    assert str(get.url) == "http://localhost/api/a?x=1"
    assert delete.headers["Content-Type"] == "application/json"
    assert delete.content == b"[1,2]"
