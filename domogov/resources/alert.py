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


_SUBSCRIPTION = Object(required={"subscriberId": ID}, optional={"type": STR})


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
    }

    async def _read(self, ctx: LiveContext, alert_id: int) -> AlertLive | None:
        try:
            alert = await ctx.client.get(f"{ALERTS}/{alert_id}", params={"fields": "all"})
        except NotFoundError:
            return None
        return await self.normalise(ctx, alert_id, alert)

    async def normalise(self, ctx: LiveContext, alert_id: int, alert: Any) -> AlertLive | None:
        """An alert as the planner compares it: subscribers as ``user:``/``group:`` labels."""
        if not isinstance(alert, dict):
            return None
        await ctx.ready()
        subscribers = {
            ctx.principal_label(str(s.get("type", "USER")), s.get("subscriberId"))
            for s in alert.get("subscriptions") or []
            if str(s.get("type", "USER")).upper() in ("USER", "GROUP")
        }
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
                return await self.normalise(ctx, alert_id, listed[alert_id])
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
                return await self.normalise(ctx, aid, listed[aid])
            return await self._read(ctx, aid)

        live = await map_limited(one, ids, ctx.parallelism)
        nodes = []
        for aid, alert in zip(ids, live, strict=True):
            node = None if alert is None else _export_node(alert, _about(listed[aid]), session)
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


def _export_node(alert: AlertLive, about: str, session: ExportSession) -> CommentedMap | None:
    """An ``alerts`` entry from the kind's read: the subscribers, authoritative."""
    what = f"alert {alert['id']}"
    node = CommentedMap(alert=int(alert["id"]))
    add_comment(node, "alert", about)
    subscribers = principals(alert["subscribers"])
    if subscribers is None:
        unwritable("subscribers", what, session.warnings)
    else:
        node["subscribers"] = subscribers
    return node if valid(AlertSpec, node, what, session.warnings) else None


KIND = AlertKind()
