"""Group operations: create, update, delete, membership and ownership changes."""

from __future__ import annotations

import uuid
from typing import Any

from domogov.sim.entities import UNMANAGED_GROUP_TYPES, Group
from domogov.sim.state import SimError, SimState, as_int, format_created
from domogov.sim.writelog import note

CREATABLE_TYPES = ("open", "closed", "dynamic", "adHoc")


def _check_name(state: SimState, name: Any, keep_id: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SimError(400, "Group name is required")
    for other in state.active_groups():
        if other.name.lower() == name.lower() and other.id != keep_id:
            raise SimError(400, f"A group with the name '{name}' already exists")
    return name


def _check_type(gtype: Any) -> str:
    if gtype not in CREATABLE_TYPES:
        raise SimError(
            400, f"Invalid group type {gtype!r}; expected one of {list(CREATABLE_TYPES)}"
        )
    return str(gtype)


def _require_manageable(group: Group) -> None:
    if group.type in UNMANAGED_GROUP_TYPES:
        raise SimError(400, f"Members of {group.type} group '{group.name}' cannot be changed")


def create_group(state: SimState, name: Any, description: Any, gtype: Any) -> Group:
    """Create a group; like Domo, the creator becomes its owner (not a member)."""
    name = _check_name(state, name)
    creator = state.actor
    group = Group(
        id=state.new_id(state.groups),
        name=name,
        type=_check_type(gtype),
        description=str(description or ""),
        owners=[creator.id],
        creator_id=creator.id,
        created=format_created(state.now_ms()),
        guid=str(uuid.uuid4()),
    )
    state.groups[group.id] = group
    note(created=group.id)
    state.record("CREATED", "GROUP", group.id, name, f"created group '{name}'.", "Created group")
    return group


def update_groups(state: SimState, updates: Any) -> None:
    """Apply ``[{groupId, name?, description?, type?}]``; all or nothing."""
    if not isinstance(updates, list):
        raise SimError(400, "Expected a JSON array of group updates")
    planned: list[tuple[Group, dict[str, Any]]] = []
    for item in updates:
        if not isinstance(item, dict) or "groupId" not in item:
            raise SimError(400, "Each update needs a groupId")
        group = state.group(item["groupId"], 400)
        change: dict[str, Any] = {}
        if item.get("name") is not None and item["name"] != group.name:
            change["name"] = _check_name(state, item["name"], keep_id=group.id)
        if item.get("description") is not None:
            change["description"] = str(item["description"])
        if item.get("type") is not None and item["type"] != group.type:
            change["type"] = _check_type(item["type"])
        planned.append((group, change))
    names = [c["name"].lower() for _, c in planned if "name" in c]
    if len(names) != len(set(names)):
        raise SimError(400, "Two groups cannot be renamed to the same name: it already exists")
    for group, change in planned:
        old_name = group.name
        for key, value in change.items():
            setattr(group, key, value)
        if change:
            note(updated=[{"groupId": group.id, "changes": dict(change)}])
        what = ", ".join(f"{k} to '{v}'" for k, v in change.items()) or "nothing"
        state.record(
            "UPDATED", "GROUP", group.id, group.name,
            f"changed {what} of group '{old_name}'.", "Updated group",
        )  # fmt: skip


def delete_groups(state: SimState, ids: Any) -> None:
    """Delete groups; their shares, subscriptions, recipients and nestings go too (like Domo)."""
    if not isinstance(ids, list):
        raise SimError(400, "Expected a JSON array of group ids")
    groups = {g.id: g for g in (state.group(gid, 400) for gid in ids)}
    for group in groups.values():
        _forget_group(state, group.id)
        note(deleted=[group.id])
        old_name = group.name
        # Domo keeps the record, renamed and inactive; grouplist no longer shows it.
        group.name = f"{old_name}_deleted_{uuid.uuid4()}"
        group.active = False
        group.members, group.member_groups = [], []
        state.record(
            "DELETED", "GROUP", group.id, old_name, f"deleted group '{old_name}'.", "Deleted group"
        )


def _forget_group(state: SimState, gid: int) -> None:
    """Drop every reference to a deleted group; the write log names each one dropped."""
    for other in state.groups.values():
        if gid in other.member_groups or gid in other.owner_groups:
            note(nestings_removed=[{"groupId": other.id, "type": "GROUP", "id": gid}])
        other.member_groups = [g for g in other.member_groups if g != gid]
        other.owner_groups = [g for g in other.owner_groups if g != gid]
    for ds in state.datasets.values():
        kept = [p for p in ds.permissions if (p.type, p.id) != ("GROUP", gid)]
        if len(kept) != len(ds.permissions):
            note(revoked=[{"datasetId": ds.id, "type": "GROUP", "id": gid}])
        ds.permissions = kept
    for alert in state.alerts.values():
        subs = [s for s in alert.subscriptions if (s.type, s.subscriber_id) != ("GROUP", gid)]
        if len(subs) != len(alert.subscriptions):
            note(unsubscribed=[{"alertId": alert.id, "type": "GROUP", "id": gid}])
        alert.subscriptions = subs
    for rs in state.report_schedules.values():
        recipients = rs.schedule.recipients
        left = [r for r in recipients if (r.type, r.value) != ("GROUP", str(gid))]
        if len(left) != len(recipients):
            note(recipients_removed=[{"scheduleId": rs.id, "type": "GROUP", "value": str(gid)}])
        rs.schedule.recipients = left


def add_member(state: SimState, gid: Any, uid: Any) -> None:
    """Add one user to a group (no-op if already a member)."""
    group = state.group(gid)
    user = state.user(uid, 404)
    _require_manageable(group)
    if user.id not in group.members:
        group.members.append(user.id)
        note(members_added=[{"groupId": group.id, "type": "USER", "id": user.id}])
    state.record(
        "UPDATED", "GROUP", group.id, group.name,
        f"added {user.email} to group '{group.name}'.", "Added user to group",
    )  # fmt: skip


def remove_member(state: SimState, gid: Any, uid: Any) -> None:
    """Remove one user from a group (no-op if not a member)."""
    group = state.group(gid)
    user = state.user(uid, 404)
    _require_manageable(group)
    if user.id in group.members:
        note(members_removed=[{"groupId": group.id, "type": "USER", "id": user.id}])
    group.members = [m for m in group.members if m != user.id]
    state.record(
        "UPDATED", "GROUP", group.id, group.name,
        f"removed {user.email} from group '{group.name}'.", "Removed user from group",
    )  # fmt: skip


def _principals(state: SimState, group: Group, entries: Any, key: str) -> list[tuple[str, int]]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SimError(400, f"{key} must be an array of {{type, id}}")
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise SimError(400, f"{key} entries must be objects {{type, id}}")
        principal = state.principal(entry.get("type", "USER"), entry.get("id"), 400)
        ptype = "USER" if entry.get("type", "USER") == "USER" else "GROUP"
        if ptype == "GROUP" and principal.id == group.id:
            raise SimError(400, f"Group {group.id} cannot contain itself")
        out.append((ptype, principal.id))
    return out


def change_access(state: SimState, changes: Any) -> None:
    """Apply ``[{groupId, addMembers, removeMembers, addOwners, removeOwners}]``; all or nothing."""
    if not isinstance(changes, list):
        raise SimError(400, "Expected a JSON array of group access changes")
    plans = []
    for item in changes:
        if not isinstance(item, dict) or "groupId" not in item:
            raise SimError(400, "Each access change needs a groupId")
        group = state.group(as_int(item["groupId"], "group id"), 400)
        parts = {
            key: _principals(state, group, item.get(key), key)
            for key in ("addMembers", "removeMembers", "addOwners", "removeOwners")
        }
        if parts["addMembers"] or parts["removeMembers"]:
            _require_manageable(group)
        members = _apply(
            [("USER", u) for u in group.members] + [("GROUP", g) for g in group.member_groups],
            parts["addMembers"],
            parts["removeMembers"],
        )
        owners = _apply(
            [("USER", u) for u in group.owners] + [("GROUP", g) for g in group.owner_groups],
            parts["addOwners"],
            parts["removeOwners"],
        )
        if parts["removeOwners"] and not owners:
            raise SimError(400, f"Group '{group.name}' must keep at least one owner")
        plans.append((group, members, owners, parts))
    for group, members, owners, parts in plans:
        _note_access(group, members, owners)
        group.members = [i for t, i in members if t == "USER"]
        group.member_groups = [i for t, i in members if t == "GROUP"]
        group.owners = [i for t, i in owners if t == "USER"]
        group.owner_groups = [i for t, i in owners if t == "GROUP"]
        _record_access(state, group, parts)


def _note_access(
    group: Group, members: list[tuple[str, int]], owners: list[tuple[str, int]]
) -> None:
    """Log the membership and ownership actually changed (not what was asked)."""
    before_members = [("USER", u) for u in group.members] + [
        ("GROUP", g) for g in group.member_groups
    ]
    before_owners = [("USER", u) for u in group.owners] + [("GROUP", g) for g in group.owner_groups]

    def rows(principals: list[tuple[str, int]]) -> list[dict[str, Any]]:
        return [{"groupId": group.id, "type": t, "id": i} for t, i in principals]

    note(
        members_added=rows([p for p in members if p not in before_members]),
        members_removed=rows([p for p in before_members if p not in members]),
        owners_added=rows([p for p in owners if p not in before_owners]),
        owners_removed=rows([p for p in before_owners if p not in owners]),
    )


def _apply(
    current: list[tuple[str, int]], add: list[tuple[str, int]], remove: list[tuple[str, int]]
) -> list[tuple[str, int]]:
    result = list(current)
    for principal in add:
        if principal not in result:
            result.append(principal)
    gone = set(remove)
    return [p for p in result if p not in gone]


def _record_access(state: SimState, group: Group, parts: dict[str, list[tuple[str, int]]]) -> None:
    def names(key: str) -> str:
        return ", ".join(state.principal_label(t, i) for t, i in parts[key])

    label = f"group '{group.name}'"
    entries = []
    if parts["addMembers"]:
        entries.append(("Added user to group", f"added {names('addMembers')} to {label}."))
    if parts["removeMembers"]:
        entries.append(
            ("Removed user from group", f"removed {names('removeMembers')} from {label}.")
        )
    if parts["addOwners"]:
        entries.append(("Added group owner", f"made {names('addOwners')} owner of {label}."))
    if parts["removeOwners"]:
        entries.append(
            ("Removed group owner", f"removed {names('removeOwners')} as owner of {label}.")
        )
    for event, comment in entries or [("Updated group", f"changed no members of {label}.")]:
        state.record("UPDATED", "GROUP", group.id, group.name, comment, event)
