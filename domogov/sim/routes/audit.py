"""Activity Log API routes: user audits and their object types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.http import ok, query_int, sim, variant
from domogov.sim.state import SimError

OBJECT_TYPES = [
    "ACCOUNT", "ALERT", "CARD", "DATAFLOW_TYPE", "DATA_SOURCE", "GROUP", "PAGE",
    "REPORT_SCHEDULE", "ROLE", "USER",
]  # fmt: skip
# 001 lists only these as valid objectType values (variant activity_object_type_400).
DOCUMENTED_OBJECT_TYPES = ["ACCOUNT", "DATAFLOW_TYPE", "DATA_SOURCE"]


async def user_audits(request: Request) -> Response:
    q = request.query_params
    if not q.get("start") or not q.get("end"):
        raise SimError(400, "Query parameters start and end (ms) are required")
    start, end = query_int(request, "start", 0), query_int(request, "end", 0)
    types = {t.strip() for t in q.get("objectType", "").split(",") if t.strip()}
    if variant(request, "activity_object_type_400"):
        unknown = sorted(types - set(DOCUMENTED_OBJECT_TYPES))
        if unknown:
            raise SimError(
                400, f"Invalid objectType {', '.join(unknown)}; valid: {DOCUMENTED_OBJECT_TYPES}"
            )
    entries = [
        e
        for e in reversed(sim(request).audit)  # newest first, as Domo sorts them
        if start <= e.get("time", 0) <= end and (not types or e.get("objectType") in types)
    ]
    entries.sort(key=lambda e: e.get("time", 0), reverse=True)
    offset, limit = query_int(request, "offset", 0), query_int(request, "limit", 300)
    rows = entries[offset : offset + limit]
    if variant(request, "activity_rows_minimal"):
        # 001's example rows name no object: attribution must come from the comment text.
        rows = [{k: v for k, v in e.items() if k not in ("objectId", "objectName")} for e in rows]
    return ok(rows)


async def object_types(request: Request) -> Response:
    if variant(request, "activity_object_type_400"):
        return ok(DOCUMENTED_OBJECT_TYPES)
    return ok(OBJECT_TYPES)
