"""Helpers for the simulator tests: constants, a settable clock, request and error checks."""

from __future__ import annotations

from typing import Any

import httpx

from domogov.sim.state import DEFAULT_TOKEN

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC, a Tuesday
TOKEN_HEADER = {"X-DOMO-Developer-Token": DEFAULT_TOKEN}
SALES_PIPELINE = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"
LEDGER = "0c1e5f7a-2d3b-4c8e-9f10-aa11bb22cc33"


class Clock:
    """A settable clock so activity-log times are predictable."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def call(
    client: httpx.AsyncClient, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    """Make a request, assert its status, and return the JSON body (None when empty)."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = await client.request(method, path, **kwargs)
    assert response.status_code == status, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def assert_error(body: Any, status: int, contains: str = "") -> None:
    """The Domo error body shape, with this status and a message containing ``contains``."""
    assert set(body) == {"status", "statusReason", "message", "toe"}, body
    assert body["status"] == status
    assert isinstance(body["toe"], str) and body["toe"]
    assert contains.lower() in body["message"].lower(), body["message"]
