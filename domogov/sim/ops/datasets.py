"""Dataset operations (share, revoke) and certification of datasets and cards."""

from __future__ import annotations

from typing import Any

from domogov.sim.entities import ACCESS_LEVELS, ACCESS_RANK, Certification, Dataset, Grant
from domogov.sim.state import SimError, SimState
from domogov.sim.writelog import note


def share(state: SimState, did: str, body: Any, *, lower: bool = True) -> None:
    """Grant access levels; a principal's new level replaces its previous grant.

    ``lower=False`` (variant share_does_not_lower): a level below the principal's current one
    is accepted but the higher grant is kept."""
    ds = state.dataset(did)
    if not isinstance(body, dict) or not isinstance(body.get("permissions"), list):
        raise SimError(400, "Expected {permissions: [{id, type, accessLevel}], sendEmail}")
    grants: list[Grant] = []
    for entry in body["permissions"]:
        if not isinstance(entry, dict):
            raise SimError(400, "Each permission must be an object {id, type, accessLevel}")
        level = entry.get("accessLevel")
        if level == "OWNER":
            raise SimError(400, "OWNER cannot be granted by sharing; ownership is not a grant")
        if level not in ACCESS_LEVELS:
            raise SimError(400, f"Invalid accessLevel {level!r}; expected one of {ACCESS_LEVELS}")
        principal = state.principal(entry.get("type"), entry.get("id"), 400)
        if entry["type"] == "USER" and principal.id == ds.owner:
            raise SimError(400, f"User {principal.id} owns DataSet {ds.id}")
        grants.append(Grant(entry["type"], principal.id, level))
    current = {(g.type, g.id): g.access_level for g in ds.permissions}
    granted: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for grant in grants:
        had = current.get((grant.type, grant.id))
        if not lower and had and ACCESS_RANK[had] > ACCESS_RANK[grant.access_level]:
            kept.append({**_who(grant.type, grant.id), "accessLevel": had})
            continue
        _drop(ds, grant.type, grant.id)
        ds.permissions.append(grant)
        if had != grant.access_level:
            granted.append({**_who(grant.type, grant.id), "accessLevel": grant.access_level})
    note(granted=granted, kept=kept)
    who = ", ".join(f"{state.principal_label(g.type, g.id)} ({g.access_level})" for g in grants)
    comment = f"shared DataSet '{ds.name}' with {who or 'nobody'}."
    state.record("SHARED", "DATA_SOURCE", ds.id, ds.name, comment, "Shared DataSet")


def _who(ptype: str, pid: int) -> dict[str, Any]:
    return {"type": ptype, "id": pid}


def _drop(ds: Dataset, ptype: str, pid: int) -> bool:
    before = len(ds.permissions)
    ds.permissions = [g for g in ds.permissions if (g.type, g.id) != (ptype, pid)]
    return len(ds.permissions) != before


def revoke(
    state: SimState,
    did: str,
    principals: list[tuple[str, Any]],
    status: int,
    *,
    keep_groups: bool = False,
) -> None:
    """Remove the grants of these principals; the owner cannot be revoked.

    ``status`` is what an unknown principal answers: 404 for an id in the path, 400 in a body.
    ``keep_groups`` (variant group_revoke_ignored): group entries are accepted and ignored.
    """
    ds = state.dataset(did)
    resolved = []
    for ptype, pid in principals:
        principal = state.principal(ptype, pid, status)
        if ptype == "USER" and principal.id == ds.owner:
            raise SimError(400, f"Cannot revoke the owner of DataSet {ds.id}")
        resolved.append((ptype, principal.id))
    revoked: list[dict[str, Any]] = []
    ignored: list[dict[str, Any]] = []
    for ptype, pid in resolved:
        if keep_groups and ptype == "GROUP":
            ignored.append(_who(ptype, pid))
        elif _drop(ds, ptype, pid):
            revoked.append(_who(ptype, pid))
    note(revoked=revoked, ignored=ignored)
    who = ", ".join(state.principal_label(t, i) for t, i in resolved) or "nobody"
    comment = f"removed access of {who} to DataSet '{ds.name}'."
    state.record("UNSHARED", "DATA_SOURCE", ds.id, ds.name, comment, "Removed DataSet access")


def certifiable(state: SimState, entity_type: str, entity_id: str) -> tuple[str, str, str]:
    """(type, normalised id, name) of a card or dataset that can carry the CERTIFIED tag."""
    if entity_type == "DATA_SOURCE":
        ds = state.dataset(entity_id)
        return "DATA_SOURCE", ds.id, ds.name
    if entity_type == "CARD":
        card = state.card(entity_id)
        return "CARD", str(card.id), card.title
    raise SimError(400, f"entityType must be CARD or DATA_SOURCE, got {entity_type!r}")


def certify(
    state: SimState, entity_type: str, entity_id: str, target: str = "ACTIVE"
) -> Certification:
    """Put the CERTIFIED tag in state ``target`` (ACTIVE; PENDING under cert_state_pending)."""
    etype, eid, name = certifiable(state, entity_type, entity_id)
    cert = Certification(etype, eid, target, state.now_ms())
    state.certifications[(etype, eid)] = cert
    note(certified={"entityType": etype, "entityId": eid, "state": target})
    otype = "CARD" if etype == "CARD" else "DATA_SOURCE"
    label = "card" if etype == "CARD" else "DataSet"
    state.record(
        "CERTIFIED", otype, eid, name, f"certified {label} '{name}'.", f"Certified {label}"
    )
    return cert


def uncertify(state: SimState, entity_type: str, entity_id: str) -> None:
    """Remove the CERTIFIED tag (no-op when not certified)."""
    etype, eid, name = certifiable(state, entity_type, entity_id)
    if state.certifications.pop((etype, eid), None) is not None:
        note(uncertified={"entityType": etype, "entityId": eid})
    label = "card" if etype == "CARD" else "DataSet"
    comment = f"removed the certification of {label} '{name}'."
    state.record("UNCERTIFIED", etype, eid, name, comment, f"Removed {label} certification")
