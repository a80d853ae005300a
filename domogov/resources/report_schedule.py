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
recipient count.

Domo's answers are not taken on trust (SPEC §5, unknown is not empty):

- The list's ``filter`` defaults to the token user's own schedules and ``limit`` to 0, so both
  are sent (``filter=ALL``). Whether ``ALL`` was honoured shows only in the rows: one owned by
  another user proves it. Without such a row, a declared schedule the list does not show may
  exist under another owner: it is unreadable, never created (a duplicate would email every
  recipient twice). A pinned ``id`` the list does not show is read by id.
- Paging ends at an empty page, not a short one (a server may cap the page size).
- A detail read without ``additionalRecipients``, ``attachmentInclude``, ``schedule.enabled``
  or the schedule's timing leaves that part unreadable: it is not compared, a manifest that
  manages it is refused, and so is any update of that schedule (see below).
- ``PUT`` replaces the whole schedule. Its body is the schedule as last read, whole, with only
  the managed fields replaced, so what domogov does not manage (and fields it does not know)
  stays; an update is refused while a part of the read is missing, since the body would go
  without it and Domo would drop it.

The reads are in ``report_schedule_read``, the write bodies in ``report_schedule_body``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field, StrictBool, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from domogov.client.shapes import Array, Shape
from domogov.core.address import placeholders_in
from domogov.core.changes import ApiCall, Change, Unreadable
from domogov.resources.base import ActivityKey, KindBase
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
)
from domogov.resources.context import LiveContext, as_int
from domogov.resources.export_api import (
    ExportSession,
    principals,
    unique_names,
    unwritable,
    valid,
)
from domogov.resources.impact import ImpactView, recipient_impact
from domogov.resources.report_schedule_body import create_body, refuse_update, update_body
from domogov.resources.report_schedule_read import (
    HIDDEN,
    LIST_ENDPOINT,
    PARTS,
    REPORT_SCHEDULE,
    SCHEDULES,
    ReportScheduleLive,
    list_is_complete,
    list_rows,
    live_record,
    matching,
    read_one,
    same_title,
)
from domogov.spec.base import PINNED_DOC, SPEC_CONFIG, Spec, exactly_one
from domogov.spec.schedule import Schedule
from domogov.spec.types import (
    Collection,
    Email,
    Ensure,
    EnsureState,
    Frequency,
    Name,
    PositiveInt,
    managed_input,
)


def recipient_label(spec: Any) -> str:
    if getattr(spec, "group", None):
        return f"group:{spec.group}"
    if getattr(spec, "email", None):
        return f"email:{str(spec.email).lower()}"
    return f"user:{str(spec.user).lower()}"


class Recipient(BaseModel):
    """Who receives a scheduled report: a user, a group, or an outside email address."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group", "email")

    user: Email | None = Field(None, description="Email of a Domo user.")
    group: Name | None = Field(None, description="Name of a Domo group.")
    email: Email | None = Field(None, description="An email address outside Domo.")

    @model_validator(mode="after")
    def _one_recipient(self) -> Recipient:
        exactly_one(self, "a recipient")
        return self


class RecipientCollection(Collection[Recipient]):
    """A list of recipients, or ``{mode, items}``."""


class ReportScheduleSpec(Spec):
    """A scheduled report of a page; identity is ``title`` (or the pinned ``id``)."""

    kind: ClassVar[str] = "report_schedule"
    names_fold_case: ClassVar[bool] = True

    required_when_present = ("page", "schedule")

    title: Name = Field(description="Schedule title; the identity key.")
    id: PositiveInt | None = Field(None, description=PINNED_DOC)
    page: PositiveInt | None = Field(None, description="Id of the page the report shows.")
    view: PositiveInt | None = Field(
        None, description="Id of a saved view of the page; omit for none."
    )
    schedule: Schedule | None = Field(None, description="When the report is sent.")
    enabled: StrictBool = Field(True, description="Whether the schedule runs (default true).")
    attachment: StrictBool = Field(
        False, description="Attach the report as a file (default false)."
    )
    recipients: Annotated[RecipientCollection | None, managed_input(RecipientCollection)] = Field(
        None, description="Users, groups and outside emails. Omitted: unmanaged."
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description="present (default); absent deletes it.")

    def identity_key(self) -> str:
        return self.title


class ReportScheduleKind(KindBase[ReportScheduleSpec, ReportScheduleLive]):
    """The ``report_schedule`` kind."""

    name = "report_schedule"
    section = "report_schedules"
    spec_model = ReportScheduleSpec
    identity_fields = ("title", "id")
    plural = "report schedules"
    prunable = True
    prune_doc = "report schedules"
    protect_doc = "report schedules (titles or ids)"
    plan_order = 60
    section_doc = "Scheduled reports of pages and their recipients."
    activity_types = ("REPORT_SCHEDULE",)
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", SCHEDULES): Array(REPORT_SCHEDULE),
        ("GET", SCHEDULES + "/{id}"): REPORT_SCHEDULE,
    }

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, ReportScheduleLive]:
        rows = await list_rows(ctx)
        await ctx.ready()  # the token user's id, to tell whether the list is complete
        complete = list_is_complete(ctx, rows)
        wanted: list[tuple[str, int]] = []
        out: dict[str, ReportScheduleLive] = {}
        for key in keys:
            found = matching(rows, key)
            if key.get("pruned"):
                # A prune delete was planned from the list row; compare like with like.
                await ctx.ready()
                for row in found:
                    out[f"report_schedule.{key['title']}"] = live_record(ctx, row)
                continue
            if len(found) > 1:
                ctx.warnings.append(
                    f"report_schedule.{key['title']}: {len(found)} live schedules share this "
                    "title; pin the one to manage with `id`"
                )
                ctx.cache.setdefault("ambiguous_titles", set()).add(key["title"])
                continue
            address = f"report_schedule.{key['title']}"
            if found:
                wanted.append((address, as_int(found[0]["id"]) or 0))
            elif key.get("id") is not None:
                # Not in the list, which may hold only the token user's schedules: the pinned
                # id says where to look, and a 404 there is a real "absent".
                wanted.append((address, int(key["id"])))
            elif not complete:
                ctx.unreadable(
                    address,
                    HIDDEN,
                    LIST_ENDPOINT,
                    "shows no schedule of another user, so one with this title may exist "
                    "under another owner",
                )
        results = await map_limited(lambda pair: read_one(ctx, *pair), wanted, ctx.parallelism)
        out.update({a: r for (a, _), r in zip(wanted, results, strict=True) if r is not None})
        return out

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, ReportScheduleLive]:
        out: dict[str, ReportScheduleLive] = {}
        rows = await list_rows(ctx)
        await ctx.ready()
        for row in rows:
            title = str(row.get("title"))
            if in_prune_scope(ctx.project, self.section, title) and not is_protected(
                ctx.project, self.section, title, row.get("id")
            ):
                # Deleting needs only the id; the list row is enough to show what goes.
                out[f"report_schedule.{title}"] = live_record(ctx, row)
        return out

    def plan(
        self,
        ctx: LiveContext,
        desired: list[ReportScheduleSpec],
        live: Mapping[str, ReportScheduleLive],
        prunable: Mapping[str, ReportScheduleLive],
    ) -> list[Change]:
        # Not the shared loop: undeclared schedules are pruned by id, and two of them may
        # share a title.
        changes: list[Change] = []
        declared_ids = {b["id"] for b in live.values()}
        declared = set()
        ambiguous = ctx.cache.get("ambiguous_titles", set())
        for index, spec in enumerate(desired):
            address = self.address_of(spec)
            declared.add(address)
            if spec.title in ambiguous:
                continue
            change = self.plan_one(ctx, spec, live.get(address), index)
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

    def plan_one(
        self,
        ctx: LiveContext,
        spec: ReportScheduleSpec,
        before: ReportScheduleLive | None,
        index: int,
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"report_schedules[{index}]"
        if ensure_absent(spec):
            if before is None:
                return None
            call = ApiCall("DELETE", f"{SCHEDULES}/{before['id']}")
            return delete_change(self.name, address, key, before, [call])
        if before is None and ctx.is_unreadable(address, HIDDEN):
            hidden = ctx.unreadable_parts[(address, HIDDEN)]
            ctx.problem(
                spec,
                ("title",),
                f"{label}.title",
                f"no schedule titled {spec.title!r} is listed, but {hidden.endpoint} "
                f"{hidden.reason}; creating it could send every report twice (once from "
                "the schedule of another user). domogov will not create it from an unknown "
                "(SPEC: unknown is not empty): pin the existing schedule with `id`, or check "
                "the instance with `domogov doctor`",
            )
            return None
        wanted = [recipient_label(r) for r in items(spec.recipients)]
        for i, principal in enumerate(wanted):
            ctx.principal_id(principal, spec, ("recipients", i), f"{label}.recipients[{i}]")
        unknown = [p for p in PARTS if before is not None and ctx.is_unreadable(address, p)]
        refused = [
            p
            for p in unknown
            if _manages(spec, p) and ctx.refuse_unreadable(spec, address, p, f"{label}.{p}")
        ]
        if refused:
            return None
        sched = spec.schedule
        assert sched is not None  # required unless ensure: absent (the model checks)
        prior: Mapping[str, Any] = before or {}
        frequency = str(enum_value(sched.frequency))
        days = [enum_value(d) for d in (sched.days or [])]
        after: dict[str, Any] = {
            "title": spec.title,
            "page": spec.page,
            "view": spec.view if spec.view is not None else prior.get("view"),
            "schedule": {
                "frequency": frequency,
                "days": days,
                "at": sched.at,
                "timezone": sched.timezone,
            },
            "enabled": spec.enabled if spec.enabled is not None else True,
            "attachment": bool(spec.attachment),
            "recipients": merged(prior.get("recipients", []), spec.recipients, wanted),
        }
        for part in unknown:
            del after[part]  # not managed here (or refused above): neither compared nor written
        if before is not None:
            after = {"id": before["id"], **after}
        if before is not None and after == before:
            return None
        if before is None:
            body = create_body(ctx, after)
            call = ApiCall("POST", SCHEDULES, body=body, idempotent=False, produces=address)
        else:
            raw = ctx.cache.get("schedule_raw", {}).get(before["id"])
            if unknown or raw is None:
                refuse_update(ctx, spec, label, address, before, after, unknown)
                return None
            body = update_body(ctx, raw, after, manages_recipients=spec.recipients is not None)
            call = ApiCall("PUT", f"{SCHEDULES}/{before['id']}", body=body)
        removed = len(set(prior.get("recipients", [])) - set(after["recipients"]))
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

    async def settle_created(self, ctx: LiveContext, change: Change, new_id: Any) -> Any:
        """Domo allows two schedules with one title, so two applies running at once could
        each create one. Every apply keeps the lowest id and deletes its own if it is not
        that one: all of them agree, and exactly one schedule survives."""
        ids = await same_title(ctx, change.key["title"])
        mine = as_int(new_id)
        if not ids or mine is None or ids[0] == mine:
            return new_id
        await ctx.client.delete(f"{SCHEDULES}/{mine}")
        return ids[0]

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every schedule with a title of its own, fully read (the list is the kind's own)."""
        if not session.wants(self.section):
            return
        session.start("Report schedules", None)
        rows = await list_rows(ctx)  # the kind's paged list, shared with its fetch
        await ctx.ready()
        if not list_is_complete(ctx, rows):
            session.warnings.append(
                f"report schedules: {LIST_ENDPOINT} shows no schedule of another user; "
                "schedules of other owners may be missing from this export"
            )
        counts: dict[str, int] = {}
        for row in rows:
            counts[str(row.get("title"))] = counts.get(str(row.get("title")), 0) + 1
        titles = []
        for title, count in counts.items():
            if count > 1:
                session.warnings.append(
                    f"report schedule {title!r}: not exported: {count} live schedules share "
                    "this title, and the manifests name schedules by title"
                )
            else:
                titles.append(title)
        titles = unique_names(titles, "report schedule", session.warnings)
        live = await self.fetch(ctx, [{"title": t} for t in titles])
        nodes = []
        for title in titles:
            sched = live.get(f"report_schedule.{title}")
            address = f"report_schedule.{title}"
            unknown = [
                ctx.unreadable_parts[(address, p)] for p in PARTS if ctx.is_unreadable(address, p)
            ]
            node = None if sched is None else _export_node(sched, unknown, session.warnings)
            if node is not None:
                nodes.append(node)
        notes = ["Sorted by title; each recipients list is authoritative."]
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("REPORT_SCHEDULE", str((change.before or change.after or {}).get("id", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        return recipient_impact(
            view,
            self.name,
            "recipients",
            lambda s: f'report "{s.get("title")}"',
            "receives",
            "no longer receives",
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        ids = await same_title(ctx, change.key["title"])
        return ids[0] if ids else None


def _manages(spec: ReportScheduleSpec, part: str) -> bool:
    """Whether the manifest entry manages a part: the schedule always (it is required);
    enabled and attachment when written (their defaults are no claim about an unknown);
    recipients unless omitted."""
    if part == "schedule":
        return True
    if part == "recipients":
        return spec.recipients is not None
    return part in spec.model_fields_set


def _export_node(
    sched: ReportScheduleLive, unknown: list[Unreadable], warnings: list[str]
) -> CommentedMap | None:
    """A ``report_schedules`` entry from the kind's normalised full read; a part the read
    lacked (``unknown``) is left out, so unmanaged, and said so."""
    what = f"report schedule {sched['title']!r}"
    for part in unknown:
        warnings.append(
            f"{what}: '{part.field}' not exported: {part.endpoint} {part.reason}; "
            "it stays unmanaged"
        )
    when = sched.get("schedule")
    if when is None:
        return None  # the timing is required in a manifest entry: nothing to write
    if when["frequency"] not in list(Frequency):
        warnings.append(f"{what}: not exported: frequency {when['frequency']!r} is not supported")
        return None
    node = CommentedMap(title=sched["title"], page=sched["page"])
    if sched.get("view") is not None:
        node["view"] = sched["view"]
    schedule = CommentedMap(frequency=when["frequency"])
    if when["days"]:
        days = CommentedSeq(when["days"])
        days.fa.set_flow_style()  # `days: [MON, THU]` reads better than a block of one-word lines
        schedule["days"] = days
    schedule["at"] = DoubleQuotedScalarString(when["at"])  # "08:00" is a number in YAML 1.1
    schedule["timezone"] = when["timezone"]
    node["schedule"] = schedule
    if "enabled" in sched:
        node["enabled"] = sched["enabled"]
    if "attachment" in sched:
        node["attachment"] = sched["attachment"]
    if "recipients" in sched:
        recipients = principals(sched["recipients"], outside_email=True)
        if recipients is None:
            unwritable("recipients", what, warnings)
        else:
            node["recipients"] = recipients
    return node if valid(ReportScheduleSpec, node, what, warnings) else None


KIND = ReportScheduleKind()
