"""Drift with attribution: what changed outside domogov, and who did it per the activity log."""

from __future__ import annotations

import datetime as dt
import functools
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
#: What a row about a whole object records: its deletion (a declared object is missing) or its
#: creation (an undeclared one exists). 001's example rows carry ``actionType``.
DELETED, CREATED = "DELETED", "CREATED"
#: Actions that change nothing (001's example: VIEWED); such a row never authors drift.
PASSIVE = frozenset({"VIEWED"})


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


@dataclass(frozen=True)
class Detail:
    """One drifted detail, and what an activity-log row about it would show."""

    text: str
    #: What the row's comment would mention: an email, a name, the live value ("" if nothing).
    term: str = ""
    #: Words for the field a scalar detail is about ("title"): when no row mentions the value,
    #: a row on the object mentioning the field is preferred to the newest row on it.
    fields: tuple[str, ...] = ()
    #: The ``actionType`` a row must record to explain a whole-object detail: a declared
    #: object missing in Domo was DELETED there, an undeclared one CREATED. A row recording
    #: another action (an edit, a view) is not evidence of either; a row without one may be.
    action: str | None = None


def describe(change: Change) -> list[Detail]:
    """Each drifted detail: the plan read backwards, live vs declared."""
    if change.action == Action.CREATE:
        return [
            Detail("missing in Domo: deleted outside domogov, or never created", action=DELETED)
        ]
    if change.action == Action.DELETE and change.after is None:
        if any("prune" in n for n in change.notes):
            text = "exists in Domo but is not declared (created outside domogov)"
        else:
            text = "exists in Domo although declared ensure: absent"
        return [Detail(text, action=CREATED)]
    out: list[Detail] = []
    for diff in change.diffs:
        out.extend(_describe_diff(diff))
    return out


def _describe_diff(diff: FieldDiff) -> list[Detail]:
    if not diff.collection:
        text = f"{diff.field} changed outside domogov to {diff.old!r} (declared {diff.new!r})"
        field = diff.field.split(".")[-1].lower()
        words = tuple(dict.fromkeys((field, field.replace("_", " "), field.replace("_", ""))))
        return [Detail(text, str(diff.old), words)]
    noun = SINGULAR.get(diff.field.split(".")[-1], diff.field)
    out = []
    for entry in diff.removed:  # the plan removes it: someone added it
        out.append(Detail(f"{noun} {entry} added outside domogov", _term(entry)))
    for entry in diff.added:  # the plan adds it back: someone removed it
        out.append(Detail(f"{noun} {entry} removed outside domogov", _term(entry)))
    for entry in diff.changed:
        principal, _, levels = entry.partition(" ")
        old, _, new = levels.partition(" -> ")
        text = f"{noun} {principal} changed outside domogov to {old} (declared {new})"
        out.append(Detail(text, _term(entry)))
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

    Rows are matched by ``objectType``/``objectId`` where they carry them, and by
    ``objectName`` against the names the kind gives the object (``activity_names``: a user's
    email and display name, another object's name). The documented rows carry neither id nor
    name, so a row of the object's type whose comment mentions one of those names (or the id)
    counts too; so does any row of the type naming an object with no live id (a create). A
    comment is read without the actor's name it starts with, and a name is mentioned only as
    a whole word (``al@x`` is not in ``hal@x``). Rows that record a view change nothing. When
    no row fits, the entry names nobody rather than a guess.
    """
    rows = sorted(
        (r for r in activity if str(r.get("actionType") or "").upper() not in PASSIVE),
        key=lambda r: -int(r.get("time") or 0),
    )
    rank = {id(r): i for i, r in enumerate(rows)}  # newest first; ties in the log's order
    comments = {id(r): _comment(r) for r in rows}
    by_object: dict[ActivityKey, list[dict[str, Any]]] = {}
    by_type: dict[str, list[dict[str, Any]]] = {}  # rows that name no object id
    for row in rows:
        object_type, object_id = str(row.get("objectType", "")), row.get("objectId")
        if object_id is None or str(object_id) == "":
            by_type.setdefault(object_type, []).append(row)
        else:
            by_object.setdefault((object_type, str(object_id)), []).append(row)
        by_object.setdefault((object_type, "*"), []).append(row)

    def comment(row: dict[str, Any]) -> str:
        return comments[id(row)]

    def mentions(row: dict[str, Any], term: str) -> bool:
        return _mentioned(term, comment(row))

    entries: list[DriftEntry] = []
    for change in plan.changes:
        kind = KINDS_BY_NAME[change.kind]
        keys = kind.activity_keys(change)
        types = {t for t, _ in keys}
        names = [n for n in kind.activity_names(change) if n.strip()]
        folded = {n.lower() for n in names}
        candidates: list[dict[str, Any]] = []
        for object_type, object_id in keys:
            if object_id:  # "": no live id (a create); found below by its names only
                candidates.extend(by_object.get((object_type, object_id), []))
        if folded:  # real Domo entries may carry only the object's name
            candidates.extend(
                r
                for r in rows
                if (not types or r.get("objectType") in types)
                and str(r.get("objectName") or "").lower() in folded
            )
        ids = [oid for _, oid in keys if oid and oid != "*"]
        for object_type, object_id in keys:
            pool = by_object.get((object_type, "*"), []) if not object_id else []
            pool = pool or by_type.get(object_type, [])
            candidates.extend(r for r in pool if any(mentions(r, m) for m in (*names, *ids)))
        ordered = sorted({id(r): r for r in candidates}.values(), key=lambda r: rank[id(r)])
        # Rows of the object's type that name no object at all (the documented form): a row
        # mentioning the detail's principal is the best evidence left. It may be about another
        # object of the same type; the entry says who and when, as the log has it.
        anonymous = sorted(
            (r for t in types for r in by_type.get(t, [])), key=lambda r: rank[id(r)]
        )
        for detail in describe(change):
            best = _best(ordered, detail, kind.own_activity, comment)
            if best is None and detail.term:
                best = next(
                    (r for r in anonymous if _fits(r, detail) and mentions(r, detail.term)), None
                )
            entries.append(_entry(change.address, detail.text, best))
    return entries


def _comment(row: dict[str, Any]) -> str:
    """The row's sentence, lower case, without the actor's name it starts with (a user who
    acted is not the object of the row: "Nina New updated ..." is not about Nina)."""
    text = str(row.get("additionalComment") or row.get("eventText") or "")
    actor = str(row.get("userName") or "")
    if actor and text.lower().startswith(actor.lower()):
        text = text[len(actor) :]
    return text.lower()


@functools.lru_cache(maxsize=4096)
def _word(term: str) -> re.Pattern[str]:
    """``term`` as a whole word: not inside a longer email, name or number (a sentence's
    closing full stop may follow it)."""
    return re.compile(rf"(?<![\w@.+-]){re.escape(term.lower())}(?![\w@+-]|\.\w)")


def _mentioned(term: str, comment: str) -> bool:
    return bool(term) and term.lower() in comment and _word(term).search(comment) is not None


def _fits(row: dict[str, Any], detail: Detail) -> bool:
    action = str(row.get("actionType") or "").upper()
    return detail.action is None or not action or action == detail.action


def _best(
    rows: list[dict[str, Any]],
    detail: Detail,
    own: Callable[[Mapping[str, Any]], bool],
    comment: Callable[[dict[str, Any]], str],
) -> dict[str, Any] | None:
    rows = [r for r in rows if _fits(r, detail)]
    if detail.term:
        for row in rows:
            if _mentioned(detail.term, comment(row)):
                return row
    # Without a mention, an entry on the object itself (not a user's role change): the newest
    # naming the field ("updated title of ..."), else the newest.
    mine = [r for r in rows if own(r)]
    fields = [re.compile(rf"(?<![a-z0-9]){re.escape(w)}") for w in detail.fields]
    for row in mine:
        if any(f.search(comment(row)) for f in fields):
            return row
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
