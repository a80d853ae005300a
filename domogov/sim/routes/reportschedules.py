"""Scheduled Reports API routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import ReportSchedule
from domogov.sim.http import empty, ok, page, query_bool, query_int, read_json, sim
from domogov.sim.ops import schedules as ops
from domogov.sim.state import SimError, SimState

ORDER_BY = ("startDate", "nextRunDate", "title")


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


def full(rs: ReportSchedule) -> dict[str, Any]:
    """The whole schedule, recipients and attachment flag included."""
    schedule = _timing(rs)
    schedule["additionalRecipients"] = [r.to_doc() for r in rs.schedule.recipients]
    return {
        "id": rs.id,
        "reportViewId": rs.view_id,
        "pageId": rs.page_id,
        "title": rs.title,
        "ownerId": rs.owner_id,
        "attachmentInclude": rs.attachment_include,
        "schedule": schedule,
    }


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
    title = request.query_params.get("title", "").lower()
    if title:
        rows = [rs for rs in rows if title in rs.title.lower()]
    rows.sort(key=keys[order_by], reverse=not query_bool(request, "isAscending", False))
    limit = query_int(request, "limit", 0)  # 0: no limit
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
    return ok(full(sim(request).schedule(request.path_params["id"])))


async def replace_schedule(request: Request) -> Response:
    state = sim(request)
    rs = ops.replace_schedule(state, request.path_params["id"], await read_json(request))
    doc = full(rs)
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
