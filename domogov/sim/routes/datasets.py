"""Datasets API routes (metadata, access list, share, revoke) and certified-content tags."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import Dataset
from domogov.sim.http import empty, ok, read_json, sim, variant
from domogov.sim.ops import datasets as ops
from domogov.sim.state import SimError, SimState

# The access each grant gives, as the metadata's "permissions" string shows it.
ACCESS_STRINGS = {
    "OWNER": "READ_WRITE_DELETE_SHARE_ADMIN",
    "CO_OWNER": "READ_WRITE_DELETE_SHARE_ADMIN",
    "CAN_EDIT": "READ_WRITE",
    "CAN_SHARE": "READ_SHARE",
    "CAN_VIEW": "READ",
}
# Variant access_levels_read_write: permission lists in 002's READ/WRITE vocabulary. 002 shows
# READ and WRITE; the other two follow the metadata's permission strings (004).
READ_WRITE_LEVELS = {
    "OWNER": "OWNER",
    "CO_OWNER": "READ_WRITE_DELETE_SHARE_ADMIN",
    "CAN_EDIT": "WRITE",
    "CAN_SHARE": "READ_SHARE",
    "CAN_VIEW": "READ",
}
# The certification state each variant shows for an object certified (state ACTIVE) here.
CERT_STATE_VARIANTS = (("cert_state_certified", "CERTIFIED"), ("cert_state_expired", "EXPIRED"))


def _access_of_actor(state: SimState, ds: Dataset) -> str:
    actor = state.actor
    if actor.id == ds.owner or actor.role_id == 1:
        return "OWNER"
    groups = {g.id for g in state.active_groups() if actor.id in g.members}
    for grant in ds.permissions:
        if (grant.type == "USER" and grant.id == actor.id) or (
            grant.type == "GROUP" and grant.id in groups
        ):
            return grant.access_level
    return "NONE"


async def get_metadata(request: Request) -> Response:
    state = sim(request)
    ds = state.dataset(request.path_params["id"])
    owner = state.users[ds.owner]
    card_count = sum(1 for c in state.cards.values() if c.dataset_id == ds.id)
    access = _access_of_actor(state, ds)
    doc: dict[str, Any] = {
        "id": ds.id,
        "displayType": "webform",
        "dataProviderType": "webform",
        "type": "webform",
        "name": ds.name,
        "description": ds.description,
        "owner": {"id": str(owner.id), "name": owner.display_name, "type": "USER", "group": False},
        "status": "SUCCESS",
        "created": ds.created,
        "lastTouched": ds.created,
        "lastUpdated": ds.created,
        "rowCount": ds.row_count,
        "columnCount": ds.column_count,
        "cardInfo": {"cardCount": card_count, "cardViewCount": 0},
        "properties": {"formulas": {"formulas": {}}},
        "state": "SUCCESS",
        "validConfiguration": True,
        "validAccount": True,
        "transportType": "WEBFORM",
        "adc": False,
        "masked": False,
        "currentUserFullAccess": access in ("OWNER", "CO_OWNER"),
        "cloudId": "domo",
        "cloudName": "Domo",
        "permissions": ACCESS_STRINGS.get(access, "NONE"),
        "hidden": False,
        "scheduleActive": True,
        "cardCount": card_count,
        "cloudEngine": "domo",
    }
    parts = {p.strip().lower() for p in request.query_params.get("part", "").split(",") if p}
    if parts:
        # Requested parts add optional sections to the core; unknown part names are ignored.
        if "permission" not in parts:
            doc.pop("permissions")
            doc.pop("currentUserFullAccess")
        if "card" not in parts and "cardinfo" not in parts:
            doc.pop("cardInfo")
    return ok(doc)


async def get_permissions(request: Request) -> Response:
    state = sim(request)
    ds = state.dataset(request.path_params["id"])
    owner = state.users[ds.owner]
    levels = READ_WRITE_LEVELS if variant(request, "access_levels_read_write") else None
    rows = [
        {"type": "USER", "id": str(owner.id), "accessLevel": "OWNER", "name": owner.display_name}
    ]
    for grant in ds.permissions:
        if grant.type == "USER":
            name = state.users[grant.id].display_name
        else:
            name = state.groups[grant.id].name
        rows.append(
            {
                "type": grant.type,
                "id": str(grant.id),
                "accessLevel": levels[grant.access_level] if levels else grant.access_level,
                "name": name,
            }
        )
    return ok(
        {
            "list": rows,
            "totalUserCount": sum(1 for r in rows if r["type"] == "USER"),
            "totalGroupCount": sum(1 for r in rows if r["type"] == "GROUP"),
        }
    )


async def share(request: Request) -> Response:
    lower = not variant(request, "share_does_not_lower")
    ops.share(sim(request), request.path_params["id"], await read_json(request), lower=lower)
    return ok({})


async def revoke_user(request: Request) -> Response:
    """Both ``permissions/USER/{userId}`` and ``USERS/{userId}``: one user, id in the path."""
    ops.revoke(
        sim(request), request.path_params["id"], [("USER", request.path_params["userId"])], 404
    )
    return ok({})


async def remove_many(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(e, dict) for e in body):
        raise SimError(400, "Expected a JSON array of {id, type}")
    principals = [(e.get("type", "USER"), e.get("id")) for e in body]
    keep_groups = variant(request, "group_revoke_ignored")
    ops.revoke(sim(request), request.path_params["id"], principals, 400, keep_groups=keep_groups)
    return ok({})


def _cert_body(request: Request, state: SimState, etype: str, eid: str) -> dict[str, Any]:
    cert = state.certifications.get((etype, eid))
    shown = cert.state if cert else None
    if shown == "ACTIVE":
        for name, other in CERT_STATE_VARIANTS:
            if variant(request, name):
                shown = other
    if variant(request, "cert_state_null"):
        shown = None  # as 001's only example shows it, whatever the object's state
    return {
        "tag": "CERTIFIED",
        "state": shown,
        "metadata": None,
        "updated": cert.updated if cert else None,
    }


async def get_certification(request: Request) -> Response:
    state = sim(request)
    p = request.path_params
    etype, eid, _ = ops.certifiable(state, p["entityType"], p["entityId"])
    return ok(_cert_body(request, state, etype, eid))


async def certify(request: Request) -> Response:
    state = sim(request)
    p = request.path_params
    # Variant cert_state_pending: certifying starts an approval; the object stays PENDING.
    target = "PENDING" if variant(request, "cert_state_pending") else "ACTIVE"
    cert = ops.certify(state, p["entityType"], p["entityId"], target)
    return ok(_cert_body(request, state, cert.entity_type, cert.entity_id))


async def uncertify(request: Request) -> Response:
    ops.uncertify(sim(request), request.path_params["entityType"], request.path_params["entityId"])
    return empty(204)
