"""Drift with attribution: what changed outside domogov, and who did it per the activity log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from domogov.core.changes import Action, Change, FieldDiff, Plan
from domogov.errors import BadRequestError
from domogov.reconcile import PlanOptions, make_plan
from domogov.resources import ALL_KINDS, KINDS_BY_NAME
from domogov.resources.base import ActivityKey

AUDIT_PATH = "/api/audit/v1/user-audits"
AUDIT_PAGE = 300  # the documented default limit
SINGULAR = {
    "members": "member",
    "owners": "owner",
    "authorities": "authority",
    "users": "user",
    "grants": "grant",
    "subscribers": "subscriber",
    "recipients": "recipient",
}
DURATION = re.compile(r"^(\d+)([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass
class DriftEntry:
    """One drifted detail and, when the activity log knows, who changed it and when."""

    address: str
    detail: str
    actor: str | None = None
    time: str | None = None
    event: str | None = None

    @property
    def text(self) -> str:
        who = (
            f" by {self.actor} at {self.time}"
            if self.actor
            else " (no activity-log entry in the window)"
        )
        return f"drift: {self.address}: {self.detail}{who}"


def parse_since(text: str) -> dt.timedelta:
    """``30m``, ``24h``, ``7d`` or ``2w`` as a time span."""
    match = DURATION.match(text.strip())
    if not match:
        raise ValueError(f"--since {text!r}: use a number and a unit, like 24h, 7d or 2w")
    amount, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(**{UNITS[unit]: amount})


def describe(change: Change) -> list[tuple[str, str]]:
    """(detail, search term) per drifted detail: the plan read backwards, live vs declared."""
    if change.action == Action.CREATE:
        return [("missing in Domo: deleted outside domogov, or never created", "")]
    if change.action == Action.DELETE and change.after is None:
        if any("prune" in n for n in change.notes):
            return [("exists in Domo but is not declared (created outside domogov)", "")]
        return [("exists in Domo although declared ensure: absent", "")]
    out: list[tuple[str, str]] = []
    for diff in change.diffs:
        out.extend(_describe_diff(diff))
    return out


def _describe_diff(diff: FieldDiff) -> list[tuple[str, str]]:
    if not diff.collection:
        return [
            (
                f"{diff.field} changed outside domogov to {diff.old!r} (declared {diff.new!r})",
                str(diff.old),
            )
        ]
    noun = SINGULAR.get(diff.field.split(".")[-1], diff.field)
    out = []
    for entry in diff.removed:  # the plan removes it: someone added it
        out.append((f"{noun} {entry} added outside domogov", _term(entry)))
    for entry in diff.added:  # the plan adds it back: someone removed it
        out.append((f"{noun} {entry} removed outside domogov", _term(entry)))
    for entry in diff.changed:
        principal, _, levels = entry.partition(" ")
        old, _, new = levels.partition(" -> ")
        out.append(
            (f"{noun} {principal} changed outside domogov to {old} (declared {new})", _term(entry))
        )
    return out


def _term(entry: str) -> str:
    """What an activity-log comment would mention: the email or name, without prefix/level."""
    principal = entry.split(" ", 1)[0] if entry.startswith(("user:", "email:")) else entry
    principal = principal.split(":", 1)[-1]
    if entry.startswith("group:"):
        principal = entry.removeprefix("group:").rsplit(" ", 1)[0]
    return principal


def object_keys(change: Change) -> list[ActivityKey]:
    """The activity-log (objectType, objectId) pairs that record changes to this object."""
    return KINDS_BY_NAME[change.kind].activity_keys(change)


def _object_types() -> str:
    return ",".join(sorted({t for kind in ALL_KINDS for t in kind.activity_types}))


async def read_activity(
    client: Any, start: dt.datetime, end: dt.datetime, warnings: list[str] | None = None
) -> list[dict[str, Any]]:
    """Activity-log entries in the window, newest first.

    The documents list only a few ``objectType`` values; an instance that answers 400 to the
    ones domogov asks for is read again without the filter (rows are matched here anyway),
    so drift still reports, with a warning.
    """
    params = {"start": int(start.timestamp() * 1000), "end": int(end.timestamp() * 1000)}
    try:
        rows = await client.paginate(
            AUDIT_PATH,
            style="offset",
            page_size=AUDIT_PAGE,
            params={**params, "objectType": _object_types()},
        )
    except BadRequestError as exc:
        if warnings is not None:
            warnings.append(
                f"activity log: the objectType filter was refused ({exc.status}); read every "
                "entry in the window instead"
            )
        rows = await client.paginate(
            AUDIT_PATH, style="offset", page_size=AUDIT_PAGE, params=params
        )
    return sorted((r for r in rows if isinstance(r, dict)), key=lambda r: -int(r.get("time") or 0))


async def detect(
    config: Any, client: Any, instance: str, window: dt.timedelta, warnings: list[str]
) -> list[DriftEntry]:
    """Drift over ``window``: the plan read backwards, each detail attributed."""
    # Drift is the plan read backwards: the guards that protect apply do not apply here.
    options = PlanOptions(allow_destructive=True, instance=instance)
    plan, _ = await make_plan(config, client, options)
    if not plan.changes:
        return []
    end = dt.datetime.now(dt.UTC)
    activity = await read_activity(client, end - window, end, warnings)
    return attribute(plan, activity)


def attribute(plan: Plan, activity: list[dict[str, Any]]) -> list[DriftEntry]:
    """Name who changed each drifted detail: the newest matching activity-log entry.

    Rows are matched by ``objectType``/``objectId`` where they carry them; the documented
    rows carry neither ``objectId`` nor ``objectName``, so a row of the object's type that
    mentions its name or id in its comment counts too.
    """
    by_object: dict[ActivityKey, list[dict[str, Any]]] = {}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for row in activity:
        key = (str(row.get("objectType", "")), str(row.get("objectId", "")))
        by_object.setdefault(key, []).append(row)
        by_object.setdefault((key[0], "*"), []).append(row)
        if row.get("objectId") is None:
            by_type.setdefault(key[0], []).append(row)
    entries: list[DriftEntry] = []
    for change in plan.changes:
        kind = KINDS_BY_NAME[change.kind]
        keys = kind.activity_keys(change)
        candidates: list[dict[str, Any]] = []
        for key in keys:
            candidates.extend(by_object.get(key, []))
        state = change.before or change.after or {}
        name = state.get("name") or state.get("title")
        if name:  # real Domo entries may carry only the object's name
            candidates.extend(r for r in activity if r.get("objectName") == name)
        mentions = [str(v) for v in (name, *(oid for _, oid in keys)) if v and v != "*"]
        for object_type in {t for t, _ in keys}:
            candidates.extend(
                r
                for r in by_type.get(object_type, [])
                if any(m.lower() in _comment(r) for m in mentions)
            )
        unique = {id(r): r for r in candidates}
        ordered = sorted(unique.values(), key=lambda r: -int(r.get("time") or 0))
        # Rows of the object's type that name no object at all (the documented form): a row
        # mentioning the detail's principal is the best evidence left. It may be about another
        # object of the same type; the entry says who and when, as the log has it.
        anonymous = sorted(
            (r for t in {t for t, _ in keys} for r in by_type.get(t, [])),
            key=lambda r: -int(r.get("time") or 0),
        )
        for detail, term in describe(change):
            best = _best(ordered, term, kind.own_activity)
            if best is None and term:
                best = next((r for r in anonymous if term.lower() in _comment(r)), None)
            entries.append(_entry(change.address, detail, best))
    return entries


def _comment(row: dict[str, Any]) -> str:
    return str(row.get("additionalComment") or row.get("eventText") or "").lower()


def _best(
    rows: list[dict[str, Any]], term: str, own: Callable[[Mapping[str, Any]], bool]
) -> dict[str, Any] | None:
    if term:
        for row in rows:
            if term.lower() in _comment(row):
                return row
    # Without a mention, the newest entry on the object itself (not a user's role change).
    mine = [r for r in rows if own(r)]
    return mine[0] if mine else None


def _entry(address: str, detail: str, row: dict[str, Any] | None) -> DriftEntry:
    if row is None:
        return DriftEntry(address, detail)
    when = dt.datetime.fromtimestamp(int(row.get("time") or 0) / 1000, tz=dt.UTC)
    return DriftEntry(
        address,
        detail,
        actor=str(row.get("userName") or row.get("userId") or "unknown"),
        time=when.strftime("%Y-%m-%d %H:%M UTC"),
        event=str(row.get("additionalComment") or row.get("eventText") or ""),
    )


def render_drift_text(entries: list[DriftEntry]) -> str:
    if not entries:
        return "No drift: live state matches the manifests.\n"
    lines = [e.text for e in entries]
    lines.append(f"\n{len(entries)} drifted detail(s). Run `domogov plan` to see the fix.")
    return "\n".join(lines) + "\n"


def render_drift_markdown(entries: list[DriftEntry], instance: str) -> str:
    head = f"### domogov drift on `{instance}`\n\n"
    if not entries:
        return head + "No drift: live state matches the manifests.\n"
    rows = ["| object | what changed | by | when |", "|---|---|---|---|"]
    for e in entries:
        cells = [f"`{e.address}`", e.detail, e.actor or "_unknown_", e.time or ""]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return head + f"**{len(entries)} drifted detail(s).**\n\n" + "\n".join(rows) + "\n"


def drift_json(entries: list[DriftEntry]) -> dict[str, Any]:
    return {"drift": [asdict(e) | {"text": e.text} for e in entries]}
