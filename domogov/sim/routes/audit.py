"""Activity Log API routes: user audits and their object types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.http import ok, query_int, sim
from domogov.sim.state import SimError

OBJECT_TYPES = [
    "ACCOUNT", "ALERT", "CARD", "DATAFLOW_TYPE", "DATA_SOURCE", "GROUP", "PAGE",
    "REPORT_SCHEDULE", "ROLE", "USER",
]  # fmt: skip


async def user_audits(request: Request) -> Response:
    q = request.query_params
    if not q.get("start") or not q.get("end"):
        raise SimError(400, "Query parameters start and end (ms) are required")
    start, end = query_int(request, "start", 0), query_int(request, "end", 0)
    types = {t.strip() for t in q.get("objectType", "").split(",") if t.strip()}
    entries = [
        e
        for e in reversed(sim(request).audit)  # newest first, as Domo sorts them
        if start <= e.get("time", 0) <= end and (not types or e.get("objectType") in types)
    ]
    entries.sort(key=lambda e: e.get("time", 0), reverse=True)
    offset, limit = query_int(request, "offset", 0), query_int(request, "limit", 300)
    return ok(entries[offset : offset + limit])


async def object_types(request: Request) -> Response:
    return ok(OBJECT_TYPES)
