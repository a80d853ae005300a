"""HTTP helpers shared by the routes: Domo-shaped errors, JSON bodies, query parameters."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domogov.sim.state import SimError, SimState
from domogov.sim.variants import Variants


def error_body(status: int, message: str) -> dict[str, Any]:
    """Domo's error body; ``toe`` is a random trace id like the one Domo returns."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return {
        "status": status,
        "statusReason": reason,
        "message": message,
        "toe": str(uuid.uuid4()).upper(),
    }


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def ok(data: Any, status: int = 200) -> Response:
    """A JSON answer (``true``, a bare array or an object, as the docs show)."""
    return JSONResponse(data, status_code=status)


def empty(status: int = 200) -> Response:
    """An answer without a body, where the docs show only the status line."""
    return Response(status_code=status)


def sim(request: Request) -> SimState:
    """The simulator state behind this request."""
    state: SimState = request.app.state.sim
    return state


def variant(request: Request, name: str) -> bool:
    """Whether the simulator variant ``name`` is switched on (``domogov.sim.variants``)."""
    variants: Variants = request.app.state.runtime.variants
    return variants.on(name)


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The parsed JSON body; malformed JSON is a 400 like Domo's."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise SimError(400, "A JSON request body is required")
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SimError(400, f"Malformed JSON request body: {exc}") from None


def query_int(request: Request, name: str, default: int, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SimError(400, f"Query parameter {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SimError(400, f"Query parameter {name} must be at least {minimum}")
    return value


def query_bool(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise SimError(400, f"Query parameter {name} must be true or false, got {raw!r}")


def page(items: list[Any], offset: int, limit: int | None) -> list[Any]:
    """One page of a list; ``limit`` None means the rest."""
    return items[offset:] if limit is None else items[offset : offset + limit]
