"""Reading report schedules: the paged list and whether it shows every owner, the detail read,
and the live record of either, without the parts a read lacks.

Helpers of the ``report_schedule`` kind (no kind here); its docstring lists the Domo answers
this reading does not take on trust.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from domogov.client.shapes import BOOL, ID, INT, NAME, STR, Array, Either, Object
from domogov.errors import NotFoundError
from domogov.resources.context import LiveContext, as_int

SCHEDULES = "/api/content/v1/reportschedules"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
PAGE = 200
#: Every owner's schedules. 001 documents only the default, "USER" (the token user's own);
#: "ALL" is what public clients send. Whether it was honoured is checked on the rows.
LIST_FILTER = "ALL"
LIST_ENDPOINT = f"GET {SCHEDULES}?filter={LIST_FILTER}"
#: The field of an unreadable part that is the whole object: the list may not show it.
HIDDEN = "(object)"
#: The live fields a detail read may lack, in the order they are reported.
PARTS = ("schedule", "enabled", "attachment", "recipients")
_TIMING = ("frequency", "hourOfDay", "minOfHour", "timezone")

_RECIPIENT = Object(required={"type": NAME, "value": Either((STR, ID))})
REPORT_SCHEDULE = Object(
    required={"id": ID, "title": NAME},
    optional={
        "pageId": ID,
        "viewId": ID,
        "reportViewId": ID,
        "schedule": Object(
            optional={
                "frequency": STR,
                "daysToRun": STR,
                "hourOfDay": INT,
                "minOfHour": INT,
                "timezone": STR,
                "enabled": BOOL,
                "additionalRecipients": Array(_RECIPIENT),
            }
        ),
        "attachmentInclude": BOOL,
    },
)


class ReportScheduleLive(TypedDict):
    """A live schedule as plans compare it: its times, flags and recipients as labels.

    A part the read did not carry (see ``PARTS``) is left out, not guessed: a list row has no
    recipients, and a detail read may lack some (recorded as unreadable on the context)."""

    id: int | None
    title: str | None
    page: int | None
    view: int | None
    schedule: NotRequired[dict[str, Any]]
    enabled: NotRequired[bool]
    attachment: NotRequired[bool]
    recipients: NotRequired[list[str]]


async def list_rows(ctx: LiveContext) -> list[dict[str, Any]]:
    """Every owner's schedules (see ``LIST_FILTER``), paged, read once per context."""
    if "schedule_rows" not in ctx.cache:
        # One shared task: fetch and fetch_prunable ask for the list at the same time.
        ctx.cache["schedule_rows"] = asyncio.ensure_future(
            ctx.client.paginate(
                SCHEDULES,
                style="skip",
                page_size=PAGE,
                params=_list_params(),
                stop_on="empty",
            )
        )
    rows: list[dict[str, Any]] = await ctx.cache["schedule_rows"]
    return rows


def list_is_complete(ctx: LiveContext, rows: list[dict[str, Any]]) -> bool:
    """Whether the list shows every owner's schedules: some row belongs to another user.

    With no such row, ``filter=ALL`` may have been ignored (the default is the token
    user's own schedules), or everything may be the token user's: no way to tell."""
    me = ctx.me_id
    return any(
        row.get("owner") is False
        or (as_int(row.get("ownerId")) is not None and as_int(row.get("ownerId")) != me)
        for row in rows
    )


def matching(rows: list[dict[str, Any]], key: dict[str, Any]) -> list[dict[str, Any]]:
    """The list rows of a declared schedule: by its pinned id, else by its title."""
    if key.get("id") is not None:
        return [r for r in rows if as_int(r.get("id")) == int(key["id"])]
    return [r for r in rows if r.get("title") == key["title"]]


async def same_title(ctx: LiveContext, title: str) -> list[int]:
    """The ids of every listed schedule with this title, lowest first."""
    rows = await ctx.client.paginate(
        SCHEDULES,
        style="skip",
        page_size=PAGE,
        params={**_list_params(), "title": title},
        stop_on="empty",
    )
    return sorted(as_int(r.get("id")) or 0 for r in rows if r.get("title") == title)


def _list_params() -> dict[str, Any]:
    # Domo's paging is only stable with an explicit orderBy; filter defaults to the token
    # user's own schedules (see LIST_FILTER).
    return {"orderBy": "title", "isAscending": "true", "filter": LIST_FILTER}


async def read_one(ctx: LiveContext, address: str, sid: int) -> ReportScheduleLive | None:
    """The detail read of one schedule (None: 404), its raw answer kept for the PUT."""
    try:
        raw = await ctx.client.get(f"{SCHEDULES}/{sid}")
    except NotFoundError:
        return None
    # Kept whole for the PUT (read-modify-write), out of the record the plan compares.
    ctx.cache.setdefault("schedule_raw", {})[as_int(raw.get("id")) or sid] = raw
    await ctx.ready()
    return live_record(ctx, raw, address)


def live_record(
    ctx: LiveContext, raw: dict[str, Any], address: str | None = None
) -> ReportScheduleLive:
    """The live record of a list row, or (with ``address``) of a detail read, whose missing
    parts are recorded unreadable. Missing parts are left out either way."""
    missing = _missing_parts(raw)
    if address is not None:
        endpoint = f"GET {SCHEDULES}/{raw.get('id')}"
        for part, fields in missing.items():
            ctx.unreadable(address, part, endpoint, "has no " + ", ".join(fields))
    sched = raw.get("schedule") if isinstance(raw.get("schedule"), dict) else {}
    assert isinstance(sched, dict)
    frequency = str(sched.get("frequency") or "").upper()
    days_raw = [d.strip() for d in str(sched.get("daysToRun") or "").split(",") if d.strip()]
    # Manifests keep days sorted (weekday order, or numerically); so must live state, or
    # a schedule Domo stores as "THU,MON" would show a change that never goes away.
    if frequency == "MONTHLY":
        days: list[Any] = sorted({int(d) for d in days_raw if d.isdigit()})
    else:
        days = sorted(set(days_raw), key=lambda d: (WEEKDAYS.index(d) if d in WEEKDAYS else 9, d))
    recipients = set()
    for r in sched.get("additionalRecipients") or []:
        rtype = str(r.get("type", "")).upper()
        if rtype == "EMAIL":
            recipients.add(f"email:{str(r.get('value', '')).lower()}")
        elif rtype in ("USER", "GROUP"):
            recipients.add(ctx.principal_label(rtype, r.get("value")))
    live: ReportScheduleLive = {
        "id": as_int(raw.get("id")),
        "title": raw.get("title"),
        "page": as_int(raw.get("pageId")),
        "view": as_int(raw.get("viewId", raw.get("reportViewId"))),
    }
    if "schedule" not in missing:
        live["schedule"] = {
            "frequency": frequency,
            "days": days,
            "at": _clock(sched.get("hourOfDay"), sched.get("minOfHour")),
            "timezone": sched.get("timezone"),
        }
    if "enabled" not in missing:
        live["enabled"] = bool(sched["enabled"])
    if "attachment" not in missing:
        live["attachment"] = bool(raw["attachmentInclude"])
    if "recipients" not in missing:
        live["recipients"] = sorted(recipients)
    return live


def _clock(hour: Any, minute: Any) -> str:
    return f"{int(hour or 0):02d}:{int(minute or 0):02d}"


def _missing_parts(raw: Mapping[str, Any]) -> dict[str, list[str]]:
    """The parts of a schedule (live fields, see PARTS) its answer lacks, with the answer's
    fields that are missing. A null counts as missing: null is not an empty list."""
    missing: dict[str, list[str]] = {}
    if raw.get("attachmentInclude") is None:
        missing["attachment"] = ["attachmentInclude"]
    sched = raw.get("schedule")
    if not isinstance(sched, dict):
        return {
            "schedule": ["schedule"],
            "enabled": ["schedule"],
            **missing,
            "recipients": ["schedule"],
        }
    timing = [f"schedule.{k}" for k in _TIMING if sched.get(k) is None]
    if str(sched.get("frequency") or "").upper() not in ("", "DAILY") and not sched.get(
        "daysToRun"
    ):
        timing.append("schedule.daysToRun")
    if timing:
        missing["schedule"] = timing
    if sched.get("enabled") is None:
        missing["enabled"] = ["schedule.enabled"]
    if sched.get("additionalRecipients") is None:
        missing["recipients"] = ["additionalRecipients"]
    return missing
