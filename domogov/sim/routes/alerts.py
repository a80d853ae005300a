"""Alerts API routes: list, get, delete, subscriptions, share."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import Alert, Subscription
from domogov.sim.http import empty, ok, page, query_bool, query_int, read_json, sim, variant
from domogov.sim.ops import alerts as ops
from domogov.sim.state import SimError, SimState

DEFAULT_FIELDS = (
    "id", "category", "type", "name", "description", "resourceType", "resourceId",
    "createdAt", "createdBy", "modifiedAt", "modifiedBy",
)  # fmt: skip
SORTS = ("createdAt", "modifiedAt", "name", "id")


def subscription_row(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "subscriberId": str(sub.subscriber_id),
        "type": sub.type,
        "subscribedBy": sub.subscribed_by,
    }


def alert_doc(state: SimState, alert: Alert, *, subscriptions: bool = True) -> dict[str, Any]:
    """Every field of an alert, as ``GET /api/social/v4/alerts/{id}`` shows it.

    ``subscriptions=False`` (variant alerts_no_subscriptions): 001 does not show the key."""
    if alert.resource_type == "DATASET":
        ds = state.datasets.get(alert.resource_id)
        resource_name = ds.name if ds else ""
    else:
        card = state.cards.get(int(alert.resource_id))
        resource_name = card.title if card else ""
    me = state.actor.id
    doc = {
        "actions": [],
        "active": alert.enabled,
        "category": alert.category,
        "configurations": [],
        "contextual": True,
        "createdAt": alert.created_at,
        "createdBy": alert.owner,
        "currentUserSubscribed": any(
            (s.type, s.subscriber_id) == ("USER", me) for s in alert.subscriptions
        ),
        "description": alert.description,
        "enabled": alert.enabled,
        "error": {},
        "filterGroups": [],
        "id": alert.id,
        "modifiedAt": alert.modified_at,
        "modifiedBy": alert.modified_by,
        "name": alert.name,
        "owner": alert.owner,
        "resourceId": alert.resource_id,
        "resourceName": resource_name,
        "resourceType": alert.resource_type,
        "rule": alert.name,
        "subscriptions": [subscription_row(s) for s in alert.subscriptions],
        "triggerFrequency": "Rarely",
        "triggered": False,
        "type": alert.type,
    }
    if not subscriptions:
        del doc["subscriptions"]
    return doc


def _select(
    doc: dict[str, Any], fields: str | None, default: tuple[str, ...] | None
) -> dict[str, Any]:
    if fields == "all" or (fields is None and default is None):
        return doc
    wanted: tuple[str, ...] = ()
    if fields is not None:
        wanted = tuple(f.strip() for f in fields.split(","))
    elif default is not None:
        wanted = default
    return {k: doc[k] for k in ("id", *wanted) if k in doc}


def _filtered(request: Request, state: SimState) -> list[Alert]:
    q = request.query_params
    alerts = list(state.alerts.values())
    if q.get("dataSetId"):
        alerts = [
            a for a in alerts if (a.resource_type, a.resource_id) == ("DATASET", q["dataSetId"])
        ]
    if q.get("cardId"):
        alerts = [a for a in alerts if (a.resource_type, a.resource_id) == ("CARD", q["cardId"])]
    if q.get("ownerId"):
        alerts = [a for a in alerts if str(a.owner) == q["ownerId"]]
    subscriber = q.get("subscriberId")
    if query_bool(request, "currentUserSubscriptions", False):
        subscriber = str(state.actor.id)
    if subscriber:
        alerts = [
            a
            for a in alerts
            if any((s.type, str(s.subscriber_id)) == ("USER", subscriber) for s in a.subscriptions)
        ]
    if q.get("disabled"):
        want_disabled = query_bool(request, "disabled", False)
        alerts = [a for a in alerts if a.enabled != want_disabled]
    return alerts


async def list_alerts(request: Request) -> Response:
    state = sim(request)
    sort = request.query_params.get("sort", "createdAt")
    if sort not in SORTS:
        raise SimError(400, f"sort must be one of {list(SORTS)}")
    attr = {"createdAt": "created_at", "modifiedAt": "modified_at", "name": "name", "id": "id"}
    alerts = sorted(_filtered(request, state), key=lambda a: (getattr(a, attr[sort]), a.id))
    limit = None if query_bool(request, "all", False) else query_int(request, "limit", 100)
    alerts = page(alerts, query_int(request, "offset", 0), limit)
    fields = request.query_params.get("fields")
    subs = not variant(request, "alerts_no_subscriptions")
    return ok(
        [_select(alert_doc(state, a, subscriptions=subs), fields, DEFAULT_FIELDS) for a in alerts]
    )


async def get_alert(request: Request) -> Response:
    state = sim(request)
    alert = state.alert(request.path_params["id"])
    doc = alert_doc(state, alert, subscriptions=not variant(request, "alerts_no_subscriptions"))
    return ok(_select(doc, request.query_params.get("fields"), None))


async def delete_alert(request: Request) -> Response:
    ops.delete_alert(sim(request), request.path_params["id"])
    return empty()


async def get_subscriptions(request: Request) -> Response:
    alert = sim(request).alert(request.path_params["id"])
    return ok([subscription_row(s) for s in alert.subscriptions])


async def subscribe(request: Request) -> Response:
    sub = ops.subscribe(sim(request), request.path_params["id"], await read_json(request))
    return ok(subscription_row(sub))


async def unsubscribe(request: Request) -> Response:
    q = request.query_params
    ops.unsubscribe(sim(request), request.path_params["id"], q.get("subscriberId"), q.get("type"))
    return empty()


async def share(request: Request) -> Response:
    ops.share_alert(sim(request), request.path_params["id"], await read_json(request))
    return empty()
