"""Scheduled Reports API routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import ReportSchedule
from domogov.sim.http import empty, ok, page, query_bool, query_int, read_json, sim, variant
from domogov.sim.ops import schedules as ops
from domogov.sim.state import SimError, SimState

ORDER_BY = ("startDate", "nextRunDate", "title")
# 001 documents only the default "USER"; ALL (everyone's, for an admin) is what clients send.
FILTERS = ("USER", "ALL")


def _timing(rs: ReportSchedule) -> dict[str, Any]:
    s = rs.schedule
    return {
        "frequency": s.frequency,
        "daysToRun": s.days_to_run,
        "hourOfDay": s.hour_of_day,
        "minOfHour": s.min_of_hour,
        "timezone": s.timezone,
        "enabled": s.enabled,
    }


def list_row(state: SimState, rs: ReportSchedule) -> dict[str, Any]:
    """A list row: recipients are only counted here (read them from GET by id)."""
    return {
        "id": rs.id,
        "reportViewId": rs.view_id,
        "pageId": rs.page_id,
        "title": rs.title,
        "viewName": rs.view_name or state.pages[rs.page_id].title,
        "type": "RECURRING",
        "ownerId": rs.owner_id,
        "embedViewId": rs.view_id,
        "owner": rs.owner_id == state.actor.id,
        "cardCount": 0,
        "recipientCount": len(rs.schedule.recipients),
        "cardId": 0,
        "schedule": _timing(rs),
    }


def full(rs: ReportSchedule, *, minimal: bool = False) -> dict[str, Any]:
    """The whole schedule, recipients and attachment flag included.

    ``minimal`` (variant schedule_detail_minimal): exactly the fields of 001's example, which
    has neither ``additionalRecipients`` nor ``attachmentInclude``."""
    schedule = _timing(rs)
    if not minimal:
        schedule["additionalRecipients"] = [r.to_doc() for r in rs.schedule.recipients]
    doc: dict[str, Any] = {
        "id": rs.id,
        "reportViewId": rs.view_id,
        "pageId": rs.page_id,
        "title": rs.title,
    }
    if not minimal:
        doc.update(ownerId=rs.owner_id, attachmentInclude=rs.attachment_include)
    doc["schedule"] = schedule
    return doc


async def list_schedules(request: Request) -> Response:
    state = sim(request)
    order_by = request.query_params.get("orderBy", "startDate")
    if order_by not in ORDER_BY:
        raise SimError(400, f"orderBy must be one of {list(ORDER_BY)}")
    now = state.now_ms()
    keys = {
        "startDate": lambda rs: (rs.start_date, rs.id),
        "nextRunDate": lambda rs: (ops.next_run_ms(rs.schedule, now), rs.id),
        "title": lambda rs: (rs.title.lower(), rs.id),
    }
    rows = list(state.report_schedules.values())
    limit = query_int(request, "limit", 0)  # 0: no limit
    if variant(request, "schedule_list_user_filter"):
        # 001: filter defaults to "USER" (the token user's own schedules) and limit to 0,
        # read here as "return 0 rows": a client must send both explicitly.
        wanted = request.query_params.get("filter", "USER").upper()
        if wanted not in FILTERS:
            raise SimError(400, f"filter must be one of {list(FILTERS)}")
        if wanted == "USER":
            rows = [rs for rs in rows if rs.owner_id == state.me]
        if limit == 0:
            return ok([])
    title = request.query_params.get("title", "").lower()
    if title:
        rows = [rs for rs in rows if title in rs.title.lower()]
    rows.sort(key=keys[order_by], reverse=not query_bool(request, "isAscending", False))
    rows = page(rows, query_int(request, "skip", 0), limit or None)
    return ok([list_row(state, rs) for rs in rows])


async def create_schedule(request: Request) -> Response:
    state = sim(request)
    rs = ops.create_schedule(state, await read_json(request))
    timing = {k: v for k, v in _timing(rs).items() if k != "timezone"}
    timing["nextRunDate"] = ops.next_run_ms(rs.schedule, state.now_ms())
    return ok(
        {
            "id": rs.id,
            "reportViewId": rs.view_id,
            "pageId": rs.page_id,
            "title": rs.title,
            "schedule": timing,
        }
    )


async def get_schedule(request: Request) -> Response:
    rs = sim(request).schedule(request.path_params["id"])
    return ok(full(rs, minimal=variant(request, "schedule_detail_minimal")))


async def replace_schedule(request: Request) -> Response:
    state = sim(request)
    rs = ops.replace_schedule(state, request.path_params["id"], await read_json(request))
    doc = full(rs, minimal=variant(request, "schedule_detail_minimal"))
    doc["schedule"]["nextRunDate"] = ops.next_run_ms(rs.schedule, state.now_ms())
    return ok(doc)


async def delete_schedule(request: Request) -> Response:
    ops.delete_schedule(sim(request), request.path_params["id"])
    return empty()


async def delete_page_schedules(request: Request) -> Response:
    ops.delete_page_schedules(sim(request), request.query_params.get("pageId"))
    return empty()


async def set_enabled(request: Request) -> Response:
    ops.set_enabled(sim(request), request.path_params["id"], await read_json(request))
    return empty()
