"""The token never shows: not in logs at DEBUG, exception text, tracebacks or repr."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from domogov.client import DomoClient
from domogov.errors import ApiError, ServerError, TransportError

TOKEN = "tok-redact-5f2c9a7e41"


def echo_token(request: httpx.Request) -> httpx.Response:
    """A server that misbehaves by echoing the token it got in a body and an error message."""
    seen = request.headers.get("X-DOMO-Developer-Token", "")
    if request.url.path == "/boom":
        return httpx.Response(500, json={"status": 500, "message": f"bad header {seen}"})
    if request.url.path == "/drop":
        raise httpx.ReadError(f"connection reset while sending {seen}")
    return httpx.Response(200, json={"echo": seen})


@pytest.fixture
def client() -> DomoClient:
    return DomoClient(
        "http://localhost",
        TOKEN,
        transport=httpx.MockTransport(echo_token),
        max_retries=1,
        backoff_base=0,
        backoff_max=0,
    )


async def test_token_absent_from_debug_logs_and_errors(
    client: DomoClient, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("domogov", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[ApiError] = []
    async with client:
        assert await client.post("/echo", json={"note": TOKEN}, params={"t": TOKEN}) == {
            "echo": TOKEN
        }
        for path, kind in (("/boom", ServerError), ("/drop", TransportError)):
            with pytest.raises(kind) as err:
                await client.get(path)
            errors.append(err.value)
            logging.getLogger("domogov.http").exception("failed: %s", err.value)
    assert caplog.records, "expected DEBUG/INFO lines from domogov.http"
    assert any("request body" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    assert "***" in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
    for exc in errors:
        assert TOKEN not in str(exc)
        assert TOKEN not in repr(exc)
        assert TOKEN not in (exc.domo_message or "")
        assert "***" in str(exc)
        assert TOKEN not in "".join(traceback.format_exception(exc))


def test_repr_hides_the_token(client: DomoClient) -> None:
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert "localhost" in repr(client)


def test_httpx_and_httpcore_loggers_are_quiet_by_default() -> None:
    import domogov.client.http  # noqa: F401  # importing the client sets the levels

    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("httpcore.http11").getEffectiveLevel() >= logging.WARNING
