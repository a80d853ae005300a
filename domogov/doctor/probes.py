"""The probes: each reads what one undocumented assumption is about and says what it saw.

A probe only reads (GETs, and the users and content searches, which are POSTs that change
nothing). It answers HOLDS, FAILS ("does not hold") or UNKNOWN (nothing to test it on, such as
an instance without report schedules), always with what it saw and where. The objects read
are the manifests' own where a directory was given, else the first few the instance lists.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domogov.errors import ApiError, BadRequestError
from domogov.resources import ALL_KINDS
from domogov.resources.alert import ALERTS
from domogov.resources.certification import state_path
from domogov.resources.context import as_int
from domogov.resources.dataset_share import DATASOURCES
from domogov.resources.directory import GROUPLIST_PATH, USERS_PATH
from domogov.resources.domostats_job import APPS as EXECUTOR_APPS
from domogov.resources.domostats_job import JOBS_V2 as EXECUTOR_JOBS
from domogov.resources.domostats_job import is_domostats
from domogov.resources.pdp_policy import CONTROL as PDP_CONTROL
from domogov.resources.pdp_policy import OPTIONS as PDP_OPTIONS
from domogov.resources.report_schedule_read import SCHEDULES

from .session import SAMPLE, Session, window_ms

AUDIT_PATH = "/api/audit/v1/user-audits"
USERS_SEARCH = f"{USERS_PATH}/search"
SHARE_LEVELS = ("CO_OWNER", "CAN_EDIT", "CAN_SHARE", "CAN_VIEW")
#: The states domogov reads: ACTIVE once certified (``PUT .../state/ACTIVE``), null otherwise.
KNOWN_CERT_STATES = ("ACTIVE",)
GROUPLIST_ASK = 100  # above the 30 public clients page by, so a server-side cap shows
SCHEDULE_PAGE = 200
USERS_SEARCH_PAGE = 200
MAX_SEARCH_PAGES = 1_000  # 200,000 users: a search that never ends is reported, not followed
ACTIVITY_DAYS = 90


class Status(StrEnum):
    HOLDS = "holds"
    FAILS = "does_not_hold"
    UNKNOWN = "unknown"
    VERIFY = "verify"  # a write behaviour: read-only doctor cannot test it; apply verifies it
    OBSERVED = "observed"  # information about the instance (rate limiting), not an assumption

    @property
    def label(self) -> str:
        return {
            Status.HOLDS: "holds",
            Status.FAILS: "DOES NOT HOLD",
            Status.UNKNOWN: "unknown",
            Status.VERIFY: "verify",
            Status.OBSERVED: "observed",
        }[self]


@dataclass(frozen=True)
class Finding:
    """What one probe saw; ``endpoint`` names the exact read when it differs from the
    assumption's template (an id filled in, a query parameter)."""

    status: Status
    seen: str
    endpoint: str = ""


def holds(seen: str, endpoint: str = "") -> Finding:
    return Finding(Status.HOLDS, seen, endpoint)


def fails(seen: str, endpoint: str = "") -> Finding:
    return Finding(Status.FAILS, seen, endpoint)


def unknown(seen: str, endpoint: str = "") -> Finding:
    return Finding(Status.UNKNOWN, seen, endpoint)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _rows(answer: Any, key: str | None = None) -> list[dict[str, Any]]:
    if key is not None and isinstance(answer, dict):
        answer = answer.get(key)
    return [r for r in answer or [] if isinstance(r, dict)] if isinstance(answer, list) else []


# --- users -----------------------------------------------------------------------------


async def _users_list(s: Session) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return _rows(await s.get(USERS_PATH), "users")

    rows: list[dict[str, Any]] = await s.once("users", read)
    return rows


def _attribute_keys(row: dict[str, Any]) -> set[str]:
    return {str(a.get("key")) for a in row.get("attributes") or [] if isinstance(a, dict)}


async def users_top_level_fields(s: Session) -> Finding:
    rows = await _users_list(s)
    if not rows:
        return unknown("the users list is empty")
    lacking: Counter[str] = Counter()
    in_attributes: set[str] = set()
    for row in rows:
        for name in ("emailAddress", "roleId"):
            top = row.get(name) if name == "roleId" else row.get(name) or row.get("email")
            if top in (None, ""):
                lacking[name] += 1
                if name in _attribute_keys(row):
                    in_attributes.add(name)
    if not lacking:
        return holds(f"{len(rows)} of {len(rows)} rows carry emailAddress and roleId")
    parts = [f"{n} of {len(rows)} rows have no {name}" for name, n in sorted(lacking.items())]
    where = (
        f" (only inside attributes: {', '.join(sorted(in_attributes))})" if in_attributes else ""
    )
    return fails("; ".join(parts) + " at the top level" + where)


async def users_list_complete(s: Session) -> Finding:
    listed = {as_int(r.get("id")) for r in await _users_list(s)} - {None}
    found: set[int | None] = set()
    offset = 0
    for _ in range(MAX_SEARCH_PAGES):
        body = {"offset": offset, "limit": USERS_SEARCH_PAGE}
        try:
            rows = _rows(await s.call("POST", USERS_SEARCH, json=body), "users")
        except BadRequestError as exc:
            return unknown(f"the users search refused a plain page ({exc.status}): {exc}")
        if not rows:  # paging ends at an empty page, never at a short one
            break
        ids = {as_int(r.get("id")) for r in rows}
        if ids <= found:
            return unknown(f"the users search answered offset={offset} with users already seen")
        found |= ids
        offset += len(rows)  # a server that caps the page below limit is read whole too
    else:
        return unknown(f"the users search did not end after {MAX_SEARCH_PAGES} pages")
    found.discard(None)
    missing = found - listed
    if missing:
        example = ", ".join(str(i) for i in sorted(missing, key=lambda i: i or 0)[:3])
        return fails(
            f"the list shows {_plural(len(listed), 'user')}, the users search finds "
            f"{len(found)}: {len(missing)} missing from the list (ids {example}, ...)",
            f"GET {USERS_PATH} vs POST {USERS_SEARCH}",
        )
    return holds(f"the list shows all {_plural(len(found), 'user')} the users search finds")


# --- groups ----------------------------------------------------------------------------


async def grouplist_honours_limit(s: Session) -> Finding:
    params: dict[str, Any] = {"sort": "name", "ascending": "true", "limit": GROUPLIST_ASK}
    first = _rows(await s.get(GROUPLIST_PATH, {**params, "offset": 0}))
    endpoint = f"GET {GROUPLIST_PATH}?limit={GROUPLIST_ASK}"
    if len(first) == GROUPLIST_ASK:
        return holds(f"a full page of {GROUPLIST_ASK} groups for limit={GROUPLIST_ASK}", endpoint)
    if not first:
        return unknown("the grouplist is empty", endpoint)
    after = _rows(await s.get(GROUPLIST_PATH, {**params, "offset": len(first)}))
    if not after:
        return holds(f"all {_plural(len(first), 'group')} on one page, then an empty page")
    return fails(
        f"limit={GROUPLIST_ASK} answered {len(first)} groups and offset={len(first)} "
        f"{len(after)} more: pages are capped at {len(first)} (a short page is not the end)",
        endpoint,
    )


# --- report schedules ------------------------------------------------------------------


def _schedule_params(**extra: Any) -> dict[str, Any]:
    return {"orderBy": "title", "isAscending": "true", "skip": 0, "limit": SCHEDULE_PAGE, **extra}


async def _schedules(s: Session, **extra: Any) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return _rows(await s.get(SCHEDULES, _schedule_params(**extra)))

    key = "schedules:" + ",".join(f"{k}={v}" for k, v in sorted(extra.items()))
    rows: list[dict[str, Any]] = await s.once(key, read)
    return rows


async def _every_schedule(s: Session) -> list[dict[str, Any]]:
    """The broadest list this instance gives: with filter=ALL, or without when refused."""
    try:
        return await _schedules(s, filter="ALL")
    except BadRequestError:
        return await _schedules(s)


async def schedule_list_every_owner(s: Session) -> Finding:
    plain = await _schedules(s)
    try:
        every = await _schedules(s, filter="ALL")
    except BadRequestError as exc:
        if not plain:
            return unknown(f"no schedules listed, and filter=ALL refused ({exc.status})")
        return holds(f"{_plural(len(plain), 'schedule')} listed; filter=ALL refused")
    if not every and not plain:
        return unknown("no report schedules on this instance")
    plain_ids = {as_int(r.get("id")) for r in plain}
    hidden = [r for r in every if as_int(r.get("id")) not in plain_ids]
    if hidden:
        owners = sorted({str(r.get("ownerId", "?")) for r in hidden})
        return fails(
            f"without filter the list shows {_plural(len(plain), 'schedule')}, with "
            f"filter=ALL {len(every)}: the schedules of other owners ({', '.join(owners[:5])}) "
            "are left out (001: filter defaults to USER)",
            f"GET {SCHEDULES} (no filter) vs ?filter=ALL",
        )
    listed_owners = {str(r.get("ownerId")) for r in plain if r.get("ownerId") is not None}
    return holds(
        f"without filter the list shows all {_plural(len(plain), 'schedule')}"
        + (f" of {_plural(len(listed_owners), 'owner')}" if listed_owners else "")
    )


async def _schedule_ids(s: Session) -> list[int]:
    rows = await _every_schedule(s)
    by_title = {r.get("title"): as_int(r.get("id")) for r in rows}
    wanted: list[int | None] = []
    for spec in s.declared("report_schedules"):
        wanted.append(getattr(spec, "id", None) or by_title.get(getattr(spec, "title", None)))
    ids = [i for i in wanted if i is not None]
    if not ids:  # no manifests, or none of theirs exists yet: a few the instance has
        ids = [i for i in (as_int(r.get("id")) for r in rows[:3]) if i is not None]
    return ids[:SAMPLE]


async def schedule_detail_fields(s: Session) -> Finding:
    ids = await _schedule_ids(s)
    read = 0
    for sid in ids:
        path = f"{SCHEDULES}/{sid}"
        doc = await s.read_or_none(path)
        if not isinstance(doc, dict):
            continue
        read += 1
        missing = []
        if not isinstance((doc.get("schedule") or {}).get("additionalRecipients"), list):
            missing.append("schedule.additionalRecipients")
        if "attachmentInclude" not in doc:
            missing.append("attachmentInclude")
        if missing:
            return fails(f"GET {path} has no {' and no '.join(missing)}", f"GET {path}")
    if not read:
        return unknown("no report schedule to read")
    return holds(f"{_plural(read, 'schedule')} read: additionalRecipients and attachmentInclude")


# --- dataset shares --------------------------------------------------------------------


async def _dataset_ids(s: Session) -> list[str]:
    ids = [str(spec.dataset) for spec in s.declared("dataset_shares")]
    return ids[:SAMPLE] if ids else await s.search_ids("dataset")


async def dataset_access_levels(s: Session) -> Finding:
    seen: Counter[str] = Counter()
    other: dict[str, str] = {}
    for dataset in await _dataset_ids(s):
        path = f"{DATASOURCES}/{dataset}/permissions"
        answer = await s.read_or_none(path)
        for row in _rows(answer, "list"):
            level = str(row.get("accessLevel", ""))
            if level == "OWNER":
                continue
            seen[level] += 1
            if level not in SHARE_LEVELS:
                other.setdefault(level, path)
    if other:
        names = ", ".join(sorted(other))
        first = next(iter(other.values()))
        return fails(f"levels {names} (domogov knows {', '.join(SHARE_LEVELS)})", f"GET {first}")
    if not seen:
        return unknown("no dataset with a grant to read (only owners, or no dataset)")
    return holds("levels " + ", ".join(f"{lv} ({n})" for lv, n in sorted(seen.items())))


# --- certification ---------------------------------------------------------------------


async def _cert_targets(s: Session) -> list[tuple[str, str]]:
    targets = [
        ("DATA_SOURCE", str(spec.dataset)) if spec.dataset else ("CARD", str(spec.card))
        for spec in s.declared("certifications")
    ]
    if targets:
        return targets[:SAMPLE]
    datasets = await s.search_ids("dataset")
    cards = await s.search_ids("card")
    return [("DATA_SOURCE", d) for d in datasets] + [("CARD", c) for c in cards]


async def certification_states(s: Session) -> Finding:
    states: Counter[str] = Counter()
    other: dict[str, str] = {}
    recorded_null: str | None = None
    read = 0
    for entity_type, entity_id in await _cert_targets(s):
        path = state_path(entity_type, entity_id)
        doc = await s.read_or_none(path)
        if not isinstance(doc, dict):
            continue
        read += 1
        state = doc.get("state")
        states["null" if state is None else str(state)] += 1
        if state is not None and state not in KNOWN_CERT_STATES:
            other.setdefault(str(state), path)
        elif state is None and doc.get("updated") is not None and recorded_null is None:
            # A certification record (an update time) whose state reads null: this instance
            # does not show the state, so "null" cannot be read as "not certified".
            recorded_null = path
    summary = ", ".join(f"{st} ({n})" for st, n in sorted(states.items()))
    if other:
        first = next(iter(other.values()))
        return fails(
            f"states {', '.join(sorted(other))} (domogov reads ACTIVE or null); seen: {summary}",
            f"GET {first}",
        )
    if recorded_null:
        return fails(
            f"state null on an object with a certification record (updated is set); "
            f"seen: {summary}",
            f"GET {recorded_null}",
        )
    if not read:
        return unknown("no dataset or card to read")
    if not states.get("ACTIVE"):
        return unknown(f"no object read as certified, so ACTIVE was not seen; seen: {summary}")
    return holds(f"states seen: {summary}")


# --- alerts ----------------------------------------------------------------------------


async def _alert_ids(s: Session, rows: list[dict[str, Any]]) -> list[int]:
    ids = [int(spec.alert) for spec in s.declared("alerts")]
    if not ids:
        ids = [i for i in (as_int(r.get("id")) for r in rows[:3]) if i is not None]
    return ids[:SAMPLE]


async def _alert_rows(s: Session) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return _rows(await s.get(ALERTS, {"fields": "all", "limit": 100, "offset": 0}))

    rows: list[dict[str, Any]] = await s.once("alerts", read)
    return rows


async def alert_subscriptions(s: Session) -> Finding:
    rows = await _alert_rows(s)
    bare = [r for r in rows if not isinstance(r.get("subscriptions"), list)]
    if bare:
        return fails(
            f"{len(bare)} of {len(rows)} alert list rows have no subscriptions",
            f"GET {ALERTS}?fields=all",
        )
    read = 0
    for alert_id in await _alert_ids(s, rows):
        path = f"{ALERTS}/{alert_id}"
        doc = await s.read_or_none(path, {"fields": "all"})
        if not isinstance(doc, dict):
            continue
        read += 1
        if not isinstance(doc.get("subscriptions"), list):
            return fails(f"GET {path}?fields=all has no subscriptions", f"GET {path}?fields=all")
    if not rows and not read:
        return unknown("no alert to read")
    return holds(f"{_plural(len(rows), 'listed alert')} and {read} read one by one")


async def alert_subscription_items(s: Session) -> Finding:
    items = 0
    for alert_id in await _alert_ids(s, await _alert_rows(s)):
        path = f"{ALERTS}/{alert_id}/subscriptions"
        answer = await s.read_or_none(path)
        for row in _rows(answer):
            items += 1
            missing = [k for k in ("subscriberId", "type") if row.get(k) in (None, "")]
            if missing:
                return fails(f"a subscription has no {' and no '.join(missing)}", f"GET {path}")
    if not items:
        return unknown("no subscription to read")
    return holds(f"{_plural(items, 'subscription')} with subscriberId and type")


# --- activity log ----------------------------------------------------------------------


def activity_types() -> str:
    """The objectType values drift asks for: every kind's own."""
    return ",".join(sorted({t for kind in ALL_KINDS for t in kind.activity_types}))


async def activity_rows_name_objects(s: Session) -> Finding:
    params = {**window_ms(ACTIVITY_DAYS), "offset": 0, "limit": 100}
    rows = _rows(await s.get(AUDIT_PATH, params))
    if not rows:
        return unknown(f"no activity-log rows in the last {ACTIVITY_DAYS} days")
    bare = [r for r in rows if r.get("objectId") in (None, "") or "objectName" not in r]
    if bare:
        return fails(f"{len(bare)} of {len(rows)} rows have no objectId or objectName")
    return holds(f"{len(rows)} of {len(rows)} rows carry objectId and objectName")


async def activity_object_type_filter(s: Session) -> Finding:
    types = activity_types()
    params = {**window_ms(1), "offset": 0, "limit": 1, "objectType": types}
    try:
        await s.get(AUDIT_PATH, params)
    except BadRequestError as exc:
        listed: list[str] = []
        with contextlib.suppress(ApiError):  # the list only explains the refusal
            listed = [str(t) for t in await s.get(f"{AUDIT_PATH}/objectTypes") or []]
        missing = sorted(set(types.split(",")) - set(listed))
        extra = (
            f"; GET {AUDIT_PATH}/objectTypes lists only {', '.join(listed)} "
            f"(not {', '.join(missing)})"
            if listed
            else ""
        )
        return fails(
            f"objectType={types} answered {exc.status}{extra}",
            f"GET {AUDIT_PATH}?objectType=...",
        )
    return holds(f"objectType={types} accepted")


# --- content permissions (issue 15) ---------------------------------------------------------


async def content_accesslist_lists(s: Session) -> Finding:
    """A page's access list names both lists (users and groups): without one, domogov cannot
    tell "shared with none" from "not shown"."""
    declared = [spec.page for spec in s.declared("page_shares") if spec.page is not None]
    pages = [str(p) for p in declared[:SAMPLE]] or await s.search_ids("page")
    read = 0
    for page in pages:
        path = f"/api/content/v1/share/accesslist/page/{page}"
        doc = await s.read_or_none(path, {"expandUsers": "false"})
        if not isinstance(doc, dict):
            continue
        read += 1
        missing = [k for k in ("users", "groups") if not isinstance(doc.get(k), list)]
        if missing:
            return fails(f"GET {path} has no {' and no '.join(missing)} list", f"GET {path}")
    if not read:
        return unknown("no page to read")
    return holds(f"{_plural(read, 'page access list')} with users and groups")


# --- personalized data permissions (issue 14) -----------------------------------------------


async def _pdp_dataset_ids(s: Session) -> list[str]:
    ids = [str(spec.dataset) for spec in s.declared("pdp_policies")]
    return ids[:SAMPLE] if ids else await s.search_ids("dataset")


async def pdp_list_associations(s: Session) -> Finding:
    """A list read that does not ask for load_associations still names each policy's users
    and groups. domogov always asks, so only other readers depend on it."""
    read = 0
    for dataset in await _pdp_dataset_ids(s):
        path = f"{PDP_CONTROL}/{dataset}/filter-groups"
        params = {"options": "include_open_policy"}
        rows = _rows(await s.read_or_none(path, params))
        if not rows:
            continue
        read += 1
        lacking = [r for r in rows if "userIds" not in r or "groupIds" not in r]
        if lacking:
            return fails(
                f"{len(lacking)} of {len(rows)} policy rows have no userIds or groupIds "
                "unless options ask for load_associations (domogov asks)",
                f"GET {path}?options=include_open_policy",
            )
    if not read:
        return unknown("no dataset with a PDP policy list to read")
    return holds(f"{_plural(read, 'policy list')} name users and groups without being asked")


async def pdp_open_policy_flagged(s: Session) -> Finding:
    """Every policy row carries openPolicy, and Domo's own open policy is flagged: without
    the flag, domogov cannot tell "All Rows" from a policy it may delete."""
    read = 0
    for dataset in await _pdp_dataset_ids(s):
        path = f"{PDP_CONTROL}/{dataset}/filter-groups"
        rows = _rows(await s.read_or_none(path, {"options": PDP_OPTIONS}))
        if not rows:
            continue
        read += 1
        unflagged = [r for r in rows if not isinstance(r.get("openPolicy"), bool)]
        if unflagged:
            return fails(
                f"{len(unflagged)} of {len(rows)} policy rows have no openPolicy flag",
                f"GET {path}?options={PDP_OPTIONS}",
            )
        if not any(r.get("openPolicy") is True for r in rows):
            return fails("no policy row is flagged openPolicy: true", f"GET {path}")
    if not read:
        return unknown("no dataset with a PDP policy list to read")
    return holds(f"{_plural(read, 'policy list')} flag the open policy")


async def pdp_control_enabled(s: Session) -> Finding:
    """The dataset's data-control read says whether PDP is on."""
    read = 0
    for dataset in await _pdp_dataset_ids(s):
        path = f"{PDP_CONTROL}/{dataset}"
        doc = await s.read_or_none(path)
        if not isinstance(doc, dict):
            continue
        read += 1
        if not isinstance(doc.get("enabled"), bool):
            return fails(f"GET {path} has no enabled", f"GET {path}")
    if not read:
        return unknown("no dataset's data-control to read")
    return holds(f"{_plural(read, 'data-control read')} with enabled")


# --- Remote DomoStats jobs (issue 16) -------------------------------------------------------


async def domostats_job_triggers(s: Session) -> Finding:
    """Every job read carries triggers; ``seen`` also lists the executor applications and
    whether each is a DomoStats one (by executionClass, else by name)."""
    apps = _rows(await s.read_or_none(f"{EXECUTOR_APPS}/"))
    listing = "; ".join(
        f"{a.get('id')} {a.get('name')!r} ({'DomoStats' if is_domostats(a) else 'not DomoStats'})"
        for a in apps
    )
    declared = {str(spec.application) for spec in s.declared("domostats_jobs")}
    ids = sorted(declared or {str(a.get("id")) for a in apps if is_domostats(a)})[:SAMPLE]
    read = 0
    for app in ids:
        path = f"{EXECUTOR_JOBS}/{app}/jobs"
        jobs = _rows(await s.read_or_none(path, {"offset": 0, "limit": 50}), "jobs")
        read += len(jobs)
        lacking = [j for j in jobs if not isinstance(j.get("triggers"), list)]
        if lacking:
            return fails(
                f"{len(lacking)} of {_plural(len(jobs), 'job')} have no triggers. "
                f"Applications: {listing or 'none'}",
                f"GET {path}",
            )
    if not read:
        return unknown(f"no DomoStats job to read. Applications: {listing or 'none'}")
    return holds(f"{_plural(read, 'job')} with triggers. Applications: {listing}")
