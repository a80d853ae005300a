"""Report schedule operations: create, replace, delete, enable, and the next run time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domogov.sim.entities import (
    RECIPIENT_TYPES,
    WEEKDAYS,
    Page,
    Recipient,
    ReportSchedule,
    ScheduleSpec,
    schedule_problem,
)
from domogov.sim.state import SimError, SimState, as_int
from domogov.sim.writelog import note


def _recipients(state: SimState, entries: Any) -> list[Recipient]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SimError(400, "additionalRecipients must be an array of {type, value}")
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") not in RECIPIENT_TYPES:
            raise SimError(400, f"Each recipient needs a type in {list(RECIPIENT_TYPES)}")
        value = entry.get("value")
        if entry["type"] == "EMAIL":
            if not isinstance(value, str) or "@" not in value:
                raise SimError(400, f"Invalid e-mail recipient {value!r}")
        else:
            value = str(state.principal(entry["type"], value, 400).id)
        out.append(Recipient(entry["type"], value))
    return out


def _spec(state: SimState, doc: Any) -> ScheduleSpec:
    if not isinstance(doc, dict):
        raise SimError(400, "schedule is required and must be an object")
    frequency, days = doc.get("frequency"), doc.get("daysToRun")
    hour, minute = doc.get("hourOfDay", 0), doc.get("minOfHour", 0)
    timezone = doc.get("timezone") or "UTC"
    problem = schedule_problem(frequency, days, hour, minute, timezone)
    if problem:
        raise SimError(400, problem)
    enabled = doc.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SimError(400, "enabled must be true or false")
    days_text = ",".join(d.strip() for d in str(days or "").split(",") if d.strip())
    recipients = _recipients(state, doc.get("additionalRecipients"))
    # schedule_problem accepted them: frequency is one of FREQUENCIES, hour and minute ints.
    return ScheduleSpec(str(frequency), days_text, hour, minute, timezone, enabled, recipients)


def _title(body: dict[str, Any]) -> str:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SimError(400, "title is required")
    return title


def _attachment(body: dict[str, Any]) -> bool:
    value = body.get("attachmentInclude", False)
    if not isinstance(value, bool):
        raise SimError(400, "attachmentInclude must be true or false")
    return value


def create_schedule(state: SimState, body: Any) -> ReportSchedule:
    """Create a schedule from a ReportScheduleInfo body."""
    if not isinstance(body, dict):
        raise SimError(400, "Expected a ReportScheduleInfo object")
    title = _title(body)
    page = state.page(body.get("pageId"), 400)
    view_id = as_int(body.get("viewId", 0), "viewId")
    spec = _spec(state, body.get("schedule"))
    rs = ReportSchedule(
        id=state.new_id(state.report_schedules),
        title=title,
        page_id=page.id,
        view_id=view_id,
        owner_id=state.actor.id,
        schedule=spec,
        attachment_include=_attachment(body),
        start_date=state.now_ms(),
        view_name=page.title,
    )
    state.report_schedules[rs.id] = rs
    note(created=rs.id)
    comment = f"created report schedule '{title}' of page '{page.title}'."
    state.record("CREATED", "REPORT_SCHEDULE", rs.id, title, comment, "Created report schedule")
    return rs


def replace_schedule(state: SimState, sid: Any, body: Any) -> ReportSchedule:
    """Replace title, schedule (recipients too) and attachment; page and view stay unless given."""
    rs = state.schedule(sid)
    if not isinstance(body, dict):
        raise SimError(400, "Expected a ReportScheduleInfo object")
    title = _title(body)
    page = state.page(body["pageId"], 400) if body.get("pageId") is not None else None
    view_id = as_int(body["viewId"], "viewId") if body.get("viewId") is not None else rs.view_id
    spec = _spec(state, body.get("schedule"))
    old_title = rs.title
    _note_replace(rs, title, spec, view_id, _attachment(body), page)
    rs.title, rs.schedule, rs.view_id = title, spec, view_id
    rs.attachment_include = _attachment(body)
    if page is not None:
        rs.page_id, rs.view_name = page.id, page.title
    comment = f"updated report schedule '{old_title}'."
    state.record("UPDATED", "REPORT_SCHEDULE", rs.id, title, comment, "Updated report schedule")
    return rs


def _note_replace(
    rs: ReportSchedule,
    title: str,
    spec: ScheduleSpec,
    view_id: int,
    attachment: bool,
    page: Page | None,
) -> None:
    """Log what a whole-schedule PUT changed: fields, and recipients added or removed."""
    before = [r.to_doc() for r in rs.schedule.recipients]
    after = [r.to_doc() for r in spec.recipients]
    old = {k: v for k, v in rs.schedule.to_doc().items() if k != "additionalRecipients"}
    new = {k: v for k, v in spec.to_doc().items() if k != "additionalRecipients"}
    changed = [k for k in old if old[k] != new[k]]
    changed += [k for k, a, b in (("title", rs.title, title), ("viewId", rs.view_id, view_id),
                                   ("attachmentInclude", rs.attachment_include, attachment))
                if a != b]  # fmt: skip
    if page is not None and page.id != rs.page_id:
        changed.append("pageId")
    note(
        replaced=[rs.id],
        changed=changed,
        recipients_added=[{"scheduleId": rs.id, **r} for r in after if r not in before],
        recipients_removed=[{"scheduleId": rs.id, **r} for r in before if r not in after],
    )


def delete_schedule(state: SimState, sid: Any) -> None:
    """Delete one schedule."""
    rs = state.schedule(sid)
    del state.report_schedules[rs.id]
    note(deleted=[rs.id])
    comment = f"deleted report schedule '{rs.title}'."
    state.record("DELETED", "REPORT_SCHEDULE", rs.id, rs.title, comment, "Deleted report schedule")


def delete_page_schedules(state: SimState, page_id: Any) -> None:
    """Delete every schedule of a page."""
    if page_id is None:
        raise SimError(400, "pageId is required")
    page = state.page(page_id, 404)
    doomed = [rs for rs in state.report_schedules.values() if rs.page_id == page.id]
    for rs in doomed:
        del state.report_schedules[rs.id]
    note(deleted=[rs.id for rs in doomed])
    comment = f"deleted {len(doomed)} report schedule(s) of page '{page.title}'."
    state.record(
        "DELETED", "REPORT_SCHEDULE", page.id, page.title, comment, "Deleted report schedules"
    )


def set_enabled(state: SimState, sid: Any, body: Any) -> None:
    """Enable or disable a schedule; the body is a bare ``true`` or ``false``."""
    rs = state.schedule(sid)
    if not isinstance(body, bool):
        raise SimError(400, "The body must be true or false")
    if rs.schedule.enabled != body:
        note(enabled=[{"scheduleId": rs.id, "enabled": body}])
    rs.schedule.enabled = body
    verb = "enabled" if body else "disabled"
    state.record(
        verb.upper(), "REPORT_SCHEDULE", rs.id, rs.title,
        f"{verb} report schedule '{rs.title}'.", f"{verb.capitalize()} report schedule",
    )  # fmt: skip


def next_run_ms(spec: ScheduleSpec, now_ms: int) -> int:
    """The next time (ms) this schedule fires after ``now_ms``, in its own timezone."""
    tz = ZoneInfo(spec.timezone)
    now = datetime.fromtimestamp(now_ms / 1000, tz)
    days = {d.strip() for d in spec.days_to_run.split(",") if d.strip()}
    for offset in range(0, 370):
        day = now.date() + timedelta(days=offset)
        if spec.frequency == "WEEKLY" and WEEKDAYS[day.weekday()] not in days:
            continue
        if spec.frequency == "MONTHLY" and str(day.day) not in {d.lstrip("0") for d in days}:
            continue
        run = datetime(day.year, day.month, day.day, spec.hour_of_day, spec.min_of_hour, tzinfo=tz)
        if run > now:
            return int(run.timestamp() * 1000)
    return now_ms  # unreachable for valid schedules: some day in a year always matches
