"""Alert operations: subscribe, unsubscribe, share, delete (alerts are not created here)."""

from __future__ import annotations

from typing import Any

from domogov.sim.entities import Alert, Subscription
from domogov.sim.state import SimError, SimState
from domogov.sim.writelog import note

# Documented unsubscribe types; the simulator models USER and GROUP subscriptions only.
UNSUBSCRIBE_TYPES = ("USER", "GROUP", "BUZZ", "DAILY", "WEEKLY", "AUTO")


def _next_subscription_id(state: SimState) -> int:
    return state.new_id(s.id for a in state.alerts.values() for s in a.subscriptions)


def _add(state: SimState, alert: Alert, entry: Any) -> Subscription:
    if not isinstance(entry, dict):
        raise SimError(400, "A subscription is an object {subscriberId, type}")
    ptype = entry.get("type", "USER")
    principal = state.principal(ptype, entry.get("subscriberId"), 400)
    for sub in alert.subscriptions:
        if (sub.type, sub.subscriber_id) == (ptype, principal.id):
            return sub
    sub = Subscription(_next_subscription_id(state), principal.id, ptype, state.actor.id)
    alert.subscriptions.append(sub)
    note(subscribed=[{"alertId": alert.id, "type": ptype, "id": principal.id}])
    return sub


def subscribe(state: SimState, aid: Any, body: Any) -> Subscription:
    """Subscribe a user or group (idempotent: an existing subscription is returned)."""
    alert = state.alert(aid)
    sub = _add(state, alert, body)
    who = state.principal_label(sub.type, sub.subscriber_id)
    comment = f"subscribed {who} to alert '{alert.name}'."
    state.record("SUBSCRIBED", "ALERT", alert.id, alert.name, comment, "Subscribed to alert")
    return sub


def share_alert(state: SimState, aid: Any, body: Any) -> list[Subscription]:
    """Share an alert: subscribe every entity in ``alertSubscriptions``."""
    alert = state.alert(aid)
    if not isinstance(body, dict) or not isinstance(body.get("alertSubscriptions"), list):
        raise SimError(400, "Expected {userMessage, alertSubscriptions: [...], sendEmail}")
    for entry in body["alertSubscriptions"]:  # validate everything before changing anything
        if not isinstance(entry, dict):
            raise SimError(400, "A subscription is an object {subscriberId, type}")
        state.principal(entry.get("type", "USER"), entry.get("subscriberId"), 400)
    subs = [_add(state, alert, entry) for entry in body["alertSubscriptions"]]
    who = ", ".join(state.principal_label(s.type, s.subscriber_id) for s in subs) or "nobody"
    comment = f"shared alert '{alert.name}' with {who}."
    state.record("SHARED", "ALERT", alert.id, alert.name, comment, "Shared alert")
    return subs


def unsubscribe(state: SimState, aid: Any, subscriber_id: Any, ptype: Any) -> None:
    """Remove a subscription (no-op when there is none)."""
    alert = state.alert(aid)
    if subscriber_id is None or ptype is None:
        raise SimError(400, "subscriberId and type are required")
    if ptype not in UNSUBSCRIBE_TYPES:
        raise SimError(400, f"Invalid type {ptype!r}; expected one of {list(UNSUBSCRIBE_TYPES)}")
    if ptype in ("USER", "GROUP"):
        principal = state.principal(ptype, subscriber_id, 400)
        key = (ptype, principal.id)
        left = [s for s in alert.subscriptions if (s.type, s.subscriber_id) != key]
        if len(left) != len(alert.subscriptions):
            note(unsubscribed=[{"alertId": alert.id, "type": ptype, "id": principal.id}])
        alert.subscriptions = left
        who = state.principal_label(ptype, principal.id)
    else:
        who = f"{ptype} {subscriber_id}"
    comment = f"unsubscribed {who} from alert '{alert.name}'."
    state.record("UNSUBSCRIBED", "ALERT", alert.id, alert.name, comment, "Unsubscribed from alert")


def delete_alert(state: SimState, aid: Any) -> None:
    """Delete an alert and its subscriptions."""
    alert = state.alert(aid)
    del state.alerts[alert.id]
    note(deleted=[alert.id])
    comment = f"deleted alert '{alert.name}'."
    state.record("DELETED", "ALERT", alert.id, alert.name, comment, "Deleted alert")
