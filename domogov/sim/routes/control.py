"""Control endpoints under /_sim/: faults, variants, stats, writes, state, save, act-as (no token,
no faults)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import StateFileError
from domogov.sim.faults import FaultConfig
from domogov.sim.http import ok, query_int, read_json
from domogov.sim.runtime import SimRuntime
from domogov.sim.state import SimError, SimState
from domogov.sim.variants import Variants


def runtime(request: Request) -> SimRuntime:
    rt: SimRuntime = request.app.state.runtime
    return rt


async def health(request: Request) -> Response:
    return ok({"status": "ok"})


async def get_faults(request: Request) -> Response:
    return ok(runtime(request).faults.config.to_dict())


async def set_faults(request: Request) -> Response:
    try:
        config = FaultConfig.from_dict(await read_json(request))
    except ValueError as exc:
        raise SimError(400, f"Invalid fault configuration: {exc}") from None
    runtime(request).faults.configure(config)
    return ok(config.to_dict())


async def clear_faults(request: Request) -> Response:
    rt = runtime(request)
    rt.faults.clear()
    return ok(rt.faults.config.to_dict())


async def get_stats(request: Request) -> Response:
    return ok(runtime(request).stats.to_dict())


async def reset_stats(request: Request) -> Response:
    rt = runtime(request)
    rt.stats.reset()
    return ok(rt.stats.to_dict())


async def save(request: Request) -> Response:
    body = await read_json(request, required=False) or {}
    path = body.get("path") if isinstance(body, dict) else None
    try:
        saved = runtime(request).save(Path(path) if path else None)
    except ValueError as exc:
        raise SimError(400, str(exc)) from None
    return ok({"saved": str(saved)})


async def get_state(request: Request) -> Response:
    return ok(runtime(request).state.to_document())


async def set_state(request: Request) -> Response:
    rt = runtime(request)
    try:
        new = SimState.from_document(await read_json(request), rt.state.clock)
    except StateFileError as exc:
        raise SimError(400, f"Invalid state document: {exc}") from None
    rt.state.replace_with(new)
    return ok({"users": len(new.users), "groups": len(new.groups), "datasets": len(new.datasets)})


async def act_as(request: Request) -> Response:
    """Make later writes come from another user (a change made outside domogov)."""
    state = runtime(request).state
    body = await read_json(request)
    if not isinstance(body, dict) or "userId" not in body:
        raise SimError(400, 'Expected {"userId": N} (null: back to the token\'s user)')
    state.acting_as = None if body["userId"] is None else state.user(body["userId"]).id
    return ok({"actingAs": state.actor.id})


async def get_variants(request: Request) -> Response:
    return ok(runtime(request).variants.to_dict())


async def set_variants(request: Request) -> Response:
    """Replace the switched-on variants: ``{"enabled": [names], "rate_limit_per_minute": N}``."""
    variants = runtime(request).variants
    try:
        names, limit = Variants.parse_update(await read_json(request))
        variants.set(names, limit)
    except ValueError as exc:
        raise SimError(400, f"Invalid variants: {exc}") from None
    return ok(variants.to_dict())


async def get_writes(request: Request) -> Response:
    """The write log, oldest first; ``?since=SEQ`` for only the entries after SEQ."""
    return ok(runtime(request).writes.to_dict(query_int(request, "since", 0)))


async def clear_writes(request: Request) -> Response:
    writes = runtime(request).writes
    writes.clear()
    return ok(writes.to_dict())
