"""Alert subscriptions (and deletion); alerts themselves are made in Domo, not through this API.

```yaml
alerts:
  - alert: 358
    subscribers: [{ user: alice@example.com }, { group: Finance Analysts }]
  - alert: 359
    ensure: absent                  # delete this alert
```
One read per declared alert (``fields=all`` carries the subscriptions).  New subscribers of one
alert are one ``share`` call; each removal is one call (Domo has no bulk unsubscribe).

Unknown is not empty (README, "Undocumented answers": the element shape of ``subscriptions``
is not shown, nor whether the list honours ``fields=all``):

- An alert read (list row or single alert) without a ``subscriptions`` array is never taken as
  "no subscribers": the alert's own ``GET .../alerts/{id}/subscriptions`` is read instead.
- A subscription without ``subscriberId`` or ``type``, or of a type 001 does not list, makes the
  subscribers of that alert *unreadable*: a manifest managing them is refused (a plan error
  naming the alert, the endpoint and the field) and nobody is ever unsubscribed from them.
  Subscriptions of the other documented types (BUZZ, DAILY, WEEKLY, AUTO) are not users or
  groups: they are left as they are, never compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import BaseModel, Field, model_validator
from ruamel.yaml.comments import CommentedMap

from domogov.client.shapes import ID, STR, Array, Object, Shape
from domogov.core.address import placeholders_in
from domogov.core.changes import Action, ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import (
    delete_change,
    ensure_absent,
    items,
    make_change,
    map_limited,
    merged,
)
from domogov.resources.context import LiveContext, as_int
from domogov.resources.export_api import (
    ExportSession,
    add_comment,
    principals,
    unwritable,
    valid,
)
from domogov.resources.impact import ImpactView, recipient_impact
from domogov.spec.base import SPEC_CONFIG, Spec, exactly_one
from domogov.spec.types import (
    Collection,
    Email,
    Ensure,
    EnsureState,
    Name,
    PositiveInt,
    managed_input,
)

ALERTS = "/api/social/v4/alerts"
LIST_PAGE = 100  # the documented default limit
LIST_THRESHOLD = 20  # above this many declared alerts, list them all rather than read each


def subscriber_label(spec: Any) -> str:
    if getattr(spec, "group", None):
        return f"group:{spec.group}"
    return f"user:{str(spec.user).lower()}"


# subscriberId and type are checked by the kind, not the shape: a subscription without them makes
# that alert's subscribers unreadable (refused when managed), not the whole run fail.
_SUBSCRIPTION = Object(optional={"subscriberId": ID, "type": STR})
#: The subscription types 001 lists (Unsubscribe from an alert) that are not users or groups.
OTHER_TYPES = frozenset({"BUZZ", "DAILY", "WEEKLY", "AUTO"})


class Subscriber(BaseModel):
    """A user or a group subscribed to an alert."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the subscribed user.")
    group: Name | None = Field(None, description="Name of the subscribed group.")

    @model_validator(mode="after")
    def _one_principal(self) -> Subscriber:
        exactly_one(self, "a subscriber")
        return self


class SubscriberCollection(Collection[Subscriber]):
    """A list of subscribers, or ``{mode, items}``."""


class AlertSpec(Spec):
    """Who is subscribed to an alert; identity is ``alert``."""

    kind: ClassVar[str] = "alert"

    alert: PositiveInt = Field(description="Alert id; the identity key.")
    subscribers: Annotated[SubscriberCollection | None, managed_input(SubscriberCollection)] = (
        Field(None, description="Users and groups subscribed. Omitted: unmanaged.")
    )
    ensure: EnsureState = Field(
        Ensure.PRESENT, description="present (default); absent deletes the alert."
    )

    def identity_key(self) -> str:
        return str(self.alert)

    def label(self) -> str:
        return f"alert {self.alert}"


class AlertLive(TypedDict):
    """A live alert: what it watches and who is subscribed, as ``user:``/``group:`` labels."""

    id: int
    name: str | None
    resource: str
    subscribers: list[str]


class AlertKind(KindBase[AlertSpec, AlertLive]):
    """The ``alert`` kind."""

    name = "alert"
    section = "alerts"
    spec_model = AlertSpec
    identity_fields = ("alert",)
    plural = "alerts"
    prunable = True
    prune_doc = "alerts"
    protect_doc = "alerts (ids)"
    plan_order = 50
    section_doc = "Alert subscriptions."
    activity_types = ("ALERT",)
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", ALERTS): Array(
            Object(required={"id": ID}, optional={"subscriptions": Array(_SUBSCRIPTION)})
        ),
        ("GET", ALERTS + "/{id}"): Object(
            optional={"subscriptions": Array(_SUBSCRIPTION), "name": STR}
        ),
        ("GET", ALERTS + "/{id}/subscriptions"): Array(_SUBSCRIPTION),
    }

    async def _read(self, ctx: LiveContext, alert_id: int) -> AlertLive | None:
        path = f"{ALERTS}/{alert_id}"
        try:
            alert = await ctx.client.get(path, params={"fields": "all"})
        except NotFoundError:
            return None
        return await self.normalise(ctx, alert_id, alert, f"GET {path}")

    async def _subscriptions(self, ctx: LiveContext, alert_id: int) -> list[Any] | None:
        """The alert's own subscription list, for a read that did not carry it; None when
        that read is refused too (the subscribers are then unreadable)."""
        try:
            rows = await ctx.client.get(f"{ALERTS}/{alert_id}/subscriptions")
        except NotFoundError:
            return None
        return rows if isinstance(rows, list) else None

    async def normalise(
        self, ctx: LiveContext, alert_id: int, alert: Any, endpoint: str = f"GET {ALERTS}"
    ) -> AlertLive | None:
        """An alert as the planner compares it: subscribers as ``user:``/``group:`` labels.

        ``endpoint`` is the read ``alert`` came from, named when its subscribers are unreadable.
        """
        if not isinstance(alert, dict):
            return None
        address = f"alert.{alert_id}"
        rows = alert.get("subscriptions")
        if not isinstance(rows, list):
            # No subscriptions key is not "no subscribers": read the alert's own list.
            endpoint = f"GET {ALERTS}/{alert_id}/subscriptions"
            rows = await self._subscriptions(ctx, alert_id)
            if rows is None:
                ctx.unreadable(address, "subscribers", endpoint, "answers no subscription list")
                rows = []
        await ctx.ready()
        subscribers: set[str] = set()
        unknown: list[str] = []
        for row in rows:
            sub = row if isinstance(row, dict) else {}
            kind = str(sub.get("type") or "").upper()
            if sub.get("subscriberId") is None:
                unknown.append("a subscription without subscriberId")
            elif not kind:
                unknown.append(f"a subscription without type (subscriberId {sub['subscriberId']})")
            elif kind in ("USER", "GROUP"):
                subscribers.add(ctx.principal_label(kind, sub["subscriberId"]))
            elif kind not in OTHER_TYPES:
                unknown.append(f"a subscription of type {sub.get('type')!r}")
        if unknown:
            ctx.unreadable(
                address,
                "subscribers",
                endpoint,
                f"has {'; '.join(dict.fromkeys(unknown))}, which domogov cannot read as a user "
                "or a group",
            )
        return {
            "id": alert_id,
            "name": alert.get("name"),
            "resource": f"{alert.get('resourceType')}:{alert.get('resourceId')}",
            "subscribers": sorted(subscribers),
        }

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, AlertLive]:
        listed: dict[int, Any] = {}
        if len(keys) > LIST_THRESHOLD:
            # Many declared alerts: the paged list with fields=all carries the subscriptions,
            # 100 alerts a request instead of one.
            rows = await ctx.client.paginate(
                ALERTS, style="offset", page_size=LIST_PAGE, params={"fields": "all"}
            )
            listed = {
                as_int(r.get("id")) or -1: r
                for r in rows
                if isinstance(r, dict) and isinstance(r.get("subscriptions"), list)
            }

        async def one(alert_id: int) -> AlertLive | None:
            if alert_id in listed:
                return await self.normalise(ctx, alert_id, listed[alert_id], f"GET {ALERTS}")
            return await self._read(ctx, alert_id)  # not listed (or no subscriptions field)

        results = await map_limited(lambda k: one(int(k["alert"])), keys, ctx.parallelism)
        return {
            f"alert.{k['alert']}": r for k, r in zip(keys, results, strict=True) if r is not None
        }

    # No fetch_prunable: alerts belong to their owners; only those marked absent are deleted.

    def plan_one(
        self, ctx: LiveContext, spec: AlertSpec, before: AlertLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"alerts[{index}]"
        if ensure_absent(spec):
            if before is None:
                return None
            call = ApiCall("DELETE", f"{ALERTS}/{spec.alert}")
            return delete_change(self.name, address, key, before, [call])
        if before is None:
            ctx.problem(
                spec,
                ("alert",),
                f"{label}.alert",
                f"unknown alert {spec.alert}: not found in Domo (alerts are created in Domo; "
                "domogov manages their subscribers)",
            )
            return None
        if ctx.is_unreadable(address, "subscribers"):
            # Unknown is not empty: never subscribe or unsubscribe from a list not fully read.
            if spec.subscribers is not None:
                ctx.refuse_unreadable(spec, address, "subscribers", f"{label}.subscribers")
            return None
        wanted = [subscriber_label(s) for s in items(spec.subscribers)]
        for i, principal in enumerate(wanted):
            ctx.principal_id(principal, spec, ("subscribers", i), f"{label}.subscribers[{i}]")
        subscribers = merged(before["subscribers"], spec.subscribers, wanted)
        add = [p for p in subscribers if p not in before["subscribers"]]
        remove = [p for p in before["subscribers"] if p not in subscribers]
        calls: list[ApiCall] = []
        if add:
            subs = []
            for principal in add:
                ptype, pid = ctx.principal_id(principal)
                if pid is not None:
                    subs.append({"subscriberId": pid, "type": ptype})
            calls.append(
                ApiCall(
                    "POST",
                    f"{ALERTS}/{spec.alert}/share",
                    body={
                        "userMessage": "",
                        "alertSubscriptions": subs,
                        "sendEmail": False,
                        "metaData": {},
                    },
                )
            )
        for principal in remove:
            ptype, pid = ctx.principal_id(principal)
            if pid is not None:
                calls.append(
                    ApiCall(
                        "DELETE",
                        f"{ALERTS}/{spec.alert}/subscriptions",
                        params={"subscriberId": pid, "type": ptype},
                    )
                )
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after={**before, "subscribers": subscribers},
            calls=calls,
            depends_on=placeholders_in([c.body for c in calls]),
            destructive=len(remove),
            action=Action.UPDATE,
        )

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every alert from the paged list, with what it watches as the comment."""
        if not session.wants(self.section):
            return
        session.start("Reading alerts", None)
        rows = await ctx.client.paginate(
            ALERTS, style="offset", page_size=LIST_PAGE, params={"fields": "all", "sort": "id"}
        )
        listed: dict[int, dict[str, Any]] = {}
        for row in rows:
            aid = as_int(row.get("id")) if isinstance(row, dict) else None
            if aid is not None:
                listed.setdefault(aid, row)
        ids = sorted(listed)

        async def one(aid: int) -> AlertLive | None:
            # A row without its subscriptions (a Domo that ignores fields=all on lists) is
            # read on its own, never taken as "no subscribers".
            if isinstance(listed[aid].get("subscriptions"), list):
                return await self.normalise(ctx, aid, listed[aid], f"GET {ALERTS}")
            return await self._read(ctx, aid)

        live = await map_limited(one, ids, ctx.parallelism)
        nodes = []
        for aid, alert in zip(ids, live, strict=True):
            part = ctx.unreadable_parts.get((f"alert.{aid}", "subscribers"))
            about = _about(listed[aid])
            node = (
                None
                if alert is None
                else _export_node(alert, about, session, None if part is None else part.text)
            )
            if node is not None:
                nodes.append(node)
        notes = ["Sorted by id; each subscriber list is authoritative."]
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("ALERT", str((change.before or change.after or {}).get("id", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        return recipient_impact(
            view,
            self.name,
            "subscribers",
            lambda s: f"alert {s.get('id')} ({s.get('name')})",
            "subscribed to",
            "unsubscribed from",
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None


def _about(row: dict[str, Any]) -> str:
    """``name (dataset Sales)``: what an alert watches, for its comment."""
    kind = str(row.get("resourceType") or "").upper()
    resource = str(row.get("resourceId") or "")
    watched = str(row.get("resourceName") or "") or resource
    name = str(row.get("name") or "")
    if kind == "DATASET" and resource:
        return f"{name} (dataset {watched})"
    if kind == "CARD" and as_int(resource) is not None:
        return f"{name} (card {watched})"
    return name


def _export_node(
    alert: AlertLive, about: str, session: ExportSession, unreadable: str | None = None
) -> CommentedMap | None:
    """An ``alerts`` entry from the kind's read: the subscribers, authoritative.

    ``unreadable``: why the subscribers could not be read; they are then left out (unmanaged).
    """
    what = f"alert {alert['id']}"
    node = CommentedMap(alert=int(alert["id"]))
    add_comment(node, "alert", about)
    subscribers = principals(alert["subscribers"])
    if unreadable is not None:
        session.warnings.append(f"{what}: 'subscribers' not exported ({unreadable}); unmanaged")
    elif subscribers is None:
        unwritable("subscribers", what, session.warnings)
    else:
        node["subscribers"] = subscribers
    return node if valid(AlertSpec, node, what, session.warnings) else None


KIND = AlertKind()
