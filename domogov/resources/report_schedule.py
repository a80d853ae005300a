"""Report schedules: when a page is emailed, to whom, with or without attachment.

```yaml
report_schedules:
  - title: Weekly Performance Report
    page: 345678
    view: 789012
    schedule: { frequency: WEEKLY, days: [MON], at: "08:00", timezone: America/New_York }
    enabled: true
    attachment: true
    recipients: [{ user: alice@example.com }, { group: Finance Analysts }, { email: cfo@x.com }]
```
One paged list (``skip``/``limit``, ordered by title: Domo's paging is only stable with an
explicit ``orderBy``), then one read per declared schedule, since list rows carry only a
recipient count.  ``PUT`` replaces the whole schedule, so an update sends every field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from domogov.core.address import placeholders_in
from domogov.core.changes import ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.common import (
    delete_change,
    ensure_absent,
    enum_value,
    in_prune_scope,
    is_protected,
    items,
    make_change,
    map_limited,
    merged,
    pinned_key,
)
from domogov.resources.context import LiveContext, as_int

SCHEDULES = "/api/content/v1/reportschedules"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
PAGE = 200


def recipient_label(spec: Any) -> str:
    if getattr(spec, "group", None):
        return f"group:{spec.group}"
    if getattr(spec, "email", None):
        return f"email:{str(spec.email).lower()}"
    return f"user:{str(spec.user).lower()}"


class ReportScheduleKind:
    """The ``report_schedule`` kind."""

    name = "report_schedule"
    section = "report_schedules"

    def address_of(self, spec: Any) -> str:
        return f"report_schedule.{spec.title}"

    def key_of(self, spec: Any) -> dict[str, Any]:
        return pinned_key(spec, "title")

    async def list_rows(self, ctx: LiveContext) -> list[dict[str, Any]]:
        if "schedule_rows" not in ctx.cache:
            # One shared task: fetch and fetch_prunable ask for the list at the same time.
            ctx.cache["schedule_rows"] = asyncio.ensure_future(
                ctx.client.paginate(
                    SCHEDULES,
                    style="skip",
                    page_size=PAGE,
                    params={"orderBy": "title", "isAscending": "true"},
                )
            )
        return await ctx.cache["schedule_rows"]

    def normalise(self, ctx: LiveContext, raw: dict[str, Any]) -> dict[str, Any]:
        sched = raw.get("schedule") or {}
        frequency = str(sched.get("frequency") or "").upper()
        days_raw = [d.strip() for d in str(sched.get("daysToRun") or "").split(",") if d.strip()]
        # Manifests keep days sorted (weekday order, or numerically); so must live state, or
        # a schedule Domo stores as "THU,MON" would show a change that never goes away.
        if frequency == "MONTHLY":
            days: list[Any] = sorted({int(d) for d in days_raw if d.isdigit()})
        else:
            days = sorted(
                set(days_raw), key=lambda d: (WEEKDAYS.index(d) if d in WEEKDAYS else 9, d)
            )
        recipients = set()
        for r in sched.get("additionalRecipients") or []:
            rtype = str(r.get("type", "")).upper()
            if rtype == "EMAIL":
                recipients.add(f"email:{str(r.get('value', '')).lower()}")
            elif rtype in ("USER", "GROUP"):
                recipients.add(ctx.principal_label(rtype, r.get("value")))
        return {
            "id": as_int(raw.get("id")),
            "title": raw.get("title"),
            "page": as_int(raw.get("pageId")),
            "view": as_int(raw.get("viewId", raw.get("reportViewId"))),
            "schedule": {
                "frequency": frequency,
                "days": days,
                "at": _clock(sched.get("hourOfDay"), sched.get("minOfHour")),
                "timezone": sched.get("timezone"),
            },
            "enabled": bool(sched.get("enabled", True)),
            "attachment": bool(raw.get("attachmentInclude", False)),
            "recipients": sorted(recipients),
        }

    async def _get(self, ctx: LiveContext, sid: int) -> dict[str, Any] | None:
        try:
            raw = await ctx.client.get(f"{SCHEDULES}/{sid}")
        except NotFoundError:
            return None
        await ctx.ready()
        return self.normalise(ctx, raw)

    def _match(self, rows: list[dict[str, Any]], key: dict[str, Any]) -> list[dict[str, Any]]:
        if key.get("id") is not None:
            return [r for r in rows if as_int(r.get("id")) == int(key["id"])]
        return [r for r in rows if r.get("title") == key["title"]]

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        rows = await self.list_rows(ctx)
        wanted: list[tuple[str, int]] = []
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            found = self._match(rows, key)
            if key.get("pruned"):
                # A prune delete was planned from the list row; compare like with like.
                await ctx.ready()
                for row in found:
                    out[f"report_schedule.{key['title']}"] = self.normalise(ctx, row)
                continue
            if len(found) > 1:
                ctx.warnings.append(
                    f"report_schedule.{key['title']}: {len(found)} live schedules share this "
                    "title; pin the one to manage with `id`"
                )
                ctx.cache.setdefault("ambiguous_titles", set()).add(key["title"])
                continue
            if found:
                wanted.append((f"report_schedule.{key['title']}", as_int(found[0]["id"]) or 0))
        sids = [sid for _, sid in wanted]
        results = await map_limited(lambda sid: self._get(ctx, sid), sids, ctx.parallelism)
        out.update({a: r for (a, _), r in zip(wanted, results, strict=True) if r is not None})
        return out

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, dict[str, Any]]:
        out = {}
        rows = await self.list_rows(ctx)
        await ctx.ready()
        for row in rows:
            title = str(row.get("title"))
            if in_prune_scope(ctx.project, self.section, title) and not is_protected(
                ctx.project, self.section, title, row.get("id")
            ):
                # Deleting needs only the id; the list row is enough to show what goes.
                out[f"report_schedule.{title}"] = self.normalise(ctx, row)
        return out

    def plan(
        self,
        ctx: LiveContext,
        desired: list[Any],
        live: dict[str, dict[str, Any]],
        prunable: dict[str, dict[str, Any]],
    ) -> list[Change]:
        changes: list[Change] = []
        declared_ids = {b["id"] for b in live.values()}
        declared = set()
        ambiguous = ctx.cache.get("ambiguous_titles", set())
        for index, spec in enumerate(desired):
            address = self.address_of(spec)
            declared.add(address)
            if spec.title in ambiguous:
                continue
            change = self._plan_one(ctx, spec, live.get(address), index)
            if change is not None:
                changes.append(change)
        used = {c.address for c in changes}
        for address, before in sorted(prunable.items(), key=lambda kv: kv[1]["id"] or 0):
            if address in declared or before["id"] in declared_ids:
                continue
            if address in used:  # two undeclared schedules may share a title
                address = f"{address}#{before['id']}"
            used.add(address)
            key = {"title": before["title"], "id": before["id"], "pruned": True}
            call = ApiCall("DELETE", f"{SCHEDULES}/{before['id']}")
            changes.append(delete_change(self.name, address, key, before, [call], pruned=True))
        return changes

    def _plan_one(
        self, ctx: LiveContext, spec: Any, before: dict[str, Any] | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"report_schedules[{index}]"
        if ensure_absent(spec):
            if before is None:
                return None
            call = ApiCall("DELETE", f"{SCHEDULES}/{before['id']}")
            return delete_change(self.name, address, key, before, [call])
        wanted = [recipient_label(r) for r in items(spec.recipients)]
        for i, principal in enumerate(wanted):
            ctx.principal_id(principal, spec, ("recipients", i), f"{label}.recipients[{i}]")
        sched = spec.schedule
        frequency = str(enum_value(sched.frequency))
        days = [enum_value(d) for d in (sched.days or [])]
        after = {
            "title": spec.title,
            "page": spec.page,
            "view": spec.view if spec.view is not None else (before or {}).get("view"),
            "schedule": {
                "frequency": frequency,
                "days": days,
                "at": sched.at,
                "timezone": sched.timezone,
            },
            "enabled": spec.enabled if spec.enabled is not None else True,
            "attachment": bool(spec.attachment),
            "recipients": merged((before or {}).get("recipients", []), spec.recipients, wanted),
        }
        if before is not None:
            after = {"id": before["id"], **after}
        if before is not None and {k: v for k, v in after.items()} == before:
            return None
        body = self._body(ctx, after)
        if before is None:
            call = ApiCall("POST", SCHEDULES, body=body, idempotent=False, produces=address)
        else:
            call = ApiCall("PUT", f"{SCHEDULES}/{before['id']}", body=body)
        removed = len(set((before or {}).get("recipients", [])) - set(after["recipients"]))
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=[call],
            depends_on=placeholders_in(body),
            destructive=removed,
        )

    def _body(self, ctx: LiveContext, obj: dict[str, Any]) -> dict[str, Any]:
        sched = obj["schedule"]
        hour, minute = (int(x) for x in str(sched["at"]).split(":"))
        recipients = []
        for principal in obj["recipients"]:
            ptype, pid = ctx.principal_id(principal)
            if pid is not None:
                recipients.append({"type": ptype, "value": str(pid)})
        body: dict[str, Any] = {
            "title": obj["title"],
            "pageId": obj["page"],
            "schedule": {
                "frequency": sched["frequency"],
                "daysToRun": ",".join(str(d) for d in sched["days"]),
                "hourOfDay": hour,
                "minOfHour": minute,
                "timezone": sched["timezone"],
                "enabled": obj["enabled"],
                "additionalRecipients": recipients,
            },
            "attachmentInclude": obj["attachment"],
        }
        if obj.get("view") is not None:
            body["viewId"] = obj["view"]
        return body

    async def _same_title(self, ctx: LiveContext, title: str) -> list[int]:
        rows = await ctx.client.paginate(
            SCHEDULES,
            style="skip",
            page_size=PAGE,
            params={"orderBy": "title", "isAscending": "true", "title": title},
        )
        return sorted(as_int(r.get("id")) or 0 for r in rows if r.get("title") == title)

    async def settle_created(self, ctx: LiveContext, change: Change, new_id: Any) -> Any:
        """Domo allows two schedules with one title, so two applies running at once could
        each create one. Every apply keeps the lowest id and deletes its own if it is not
        that one: all of them agree, and exactly one schedule survives."""
        ids = await self._same_title(ctx, change.key["title"])
        mine = as_int(new_id)
        if not ids or mine is None or ids[0] == mine:
            return new_id
        await ctx.client.delete(f"{SCHEDULES}/{mine}")
        return ids[0]

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        ids = await self._same_title(ctx, change.key["title"])
        return ids[0] if ids else None


def _clock(hour: Any, minute: Any) -> str:
    return f"{int(hour or 0):02d}:{int(minute or 0):02d}"


KIND = ReportScheduleKind()
