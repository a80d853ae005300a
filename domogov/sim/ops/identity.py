"""User and role operations: user updates, role create/delete, authorities, role holders."""

from __future__ import annotations

from typing import Any

from domogov.sim.entities import Role, User
from domogov.sim.state import BUILTIN_ROLE_IDS, SimError, SimState
from domogov.sim.writelog import note

USER_KEYS = (
    "roleId", "title", "displayName", "emailAddress", "department", "phoneNumber", "employeeId",
)  # fmt: skip
PROFILE_KEYS = ("title", "department", "phoneNumber", "employeeId")


def _user_changes(body: Any, user: User) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SimError(400, "Expected a JSON object")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "attributes":
            if not isinstance(value, list):
                raise SimError(400, "attributes must be an array of {key, values}")
            for attr in value:
                if not isinstance(attr, dict) or not isinstance(attr.get("values"), list):
                    raise SimError(400, "Each attribute needs a key and a values array")
                if attr.get("key") not in USER_KEYS:
                    raise SimError(400, f"Unknown user attribute {attr.get('key')!r}")
                if len(attr["values"]) != 1:
                    raise SimError(400, f"Attribute {attr['key']} takes exactly one value")
                changes[attr["key"]] = attr["values"][0]
        elif key in USER_KEYS:
            changes[key] = value
        elif key == "id" and str(value) == str(user.id):
            continue
        else:
            raise SimError(400, f"Unknown user field {key!r}")
    return changes


def update_user(state: SimState, uid: Any, body: Any) -> User:
    """Change a user's role, title, display name or e-mail (flat or ``attributes`` form)."""
    user = state.user(uid, 404)
    changes = _user_changes(body, user)
    if "roleId" in changes:
        changes["roleId"] = state.role(changes["roleId"], 400).id
    for key in ("displayName", "emailAddress", *PROFILE_KEYS):
        if key in changes and not isinstance(changes[key], str):
            raise SimError(400, f"{key} must be a string")
    if "displayName" in changes and not changes["displayName"].strip():
        raise SimError(400, "displayName cannot be empty")
    if "emailAddress" in changes:
        email = changes["emailAddress"]
        other = state.user_by_email(email) if "@" in email else None
        if "@" not in email:
            raise SimError(400, f"Invalid e-mail address {email!r}")
        if other is not None and other.id != user.id:
            raise SimError(400, f"A user with the e-mail {email} already exists")
    old_role = state.roles[user.role_id].name if user.role_id in state.roles else str(user.role_id)
    old_email = user.email
    updated = User(
        user.id,
        changes.get("displayName", user.display_name),
        changes.get("emailAddress", user.email),
        changes.get("roleId", user.role_id),
        changes.get("title", user.title),
        changes.get("department", user.department),
        changes.get("phoneNumber", user.phone),
        changes.get("employeeId", user.employee_id),
    )
    state.put_user(updated)
    changed = {k: v for k, v in updated.to_doc().items() if k != "id" and v != user.to_doc().get(k)}
    if changed:
        note(updated=[{"userId": user.id, "changes": changed}])
    if "roleId" in changes:
        new_role = state.roles[updated.role_id].name
        comment = f"changed the role of {old_email} from '{old_role}' to '{new_role}'."
        state.record("UPDATED", "USER", user.id, updated.email, comment, "Changed user role")
    other_keys = sorted(k for k in changes if k != "roleId")
    if other_keys or not changes:
        comment = f"updated {', '.join(other_keys) or 'nothing'} of user {old_email}."
        state.record("UPDATED", "USER", user.id, updated.email, comment, "Updated user")
    return updated


def create_user(state: SimState, body: Any) -> User:
    """Create a user (001 Users API: displayName, emailAddress and roleId are required)."""
    if not isinstance(body, dict):
        raise SimError(400, "Expected a JSON object")
    for key in ("displayName", "emailAddress"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            raise SimError(400, f"{key} is required")
    if body.get("roleId") is None:
        raise SimError(400, "roleId is required")
    email = body["emailAddress"].strip()
    if "@" not in email:
        raise SimError(400, f"Invalid e-mail address {email!r}")
    if state.user_by_email(email) is not None:
        raise SimError(409, f"A user with the e-mail {email} already exists")
    role = state.role(body["roleId"], 400)
    unknown = sorted(set(body) - {"displayName", "emailAddress", "roleId", *PROFILE_KEYS})
    if unknown:
        raise SimError(400, f"Unknown user field {unknown[0]!r}")
    for key in PROFILE_KEYS:
        if key in body and not isinstance(body[key], str):
            raise SimError(400, f"{key} must be a string")
    user = User(
        state.new_id(state.users),
        body["displayName"].strip(),
        email,
        role.id,
        body.get("title", ""),
        body.get("department", ""),
        body.get("phoneNumber", ""),
        body.get("employeeId", ""),
    )
    state.put_user(user)
    note(created=user.id)
    comment = f"added {email} with the role '{role.name}'."
    state.record("CREATED", "USER", user.id, email, comment, "Added user")
    return user


def delete_user(state: SimState, uid: Any) -> None:
    """Delete a user. Like Domo, refuse while they own content (datasets, alerts, scheduled
    reports: reassign it first); their group places, grants and subscriptions go with them."""
    user = state.user(uid, 404)
    if user.id == state.me:
        raise SimError(400, "You cannot delete your own user")
    owned = [f"dataset {d.id}" for d in state.datasets.values() if d.owner == user.id]
    owned += [f"alert {a.id}" for a in state.alerts.values() if a.owner == user.id]
    owned += [f"report {r.id}" for r in state.report_schedules.values() if r.owner_id == user.id]
    if owned:
        raise SimError(
            400, f"User {user.email} owns {', '.join(owned[:3])}; reassign their content first"
        )
    for group in state.groups.values():
        group.members = [m for m in group.members if m != user.id]
        group.owners = [o for o in group.owners if o != user.id]
    for ds in state.datasets.values():
        ds.permissions = [g for g in ds.permissions if (g.type, g.id) != ("USER", user.id)]
    for alert in state.alerts.values():
        alert.subscriptions = [
            s for s in alert.subscriptions if (s.type, s.subscriber_id) != ("USER", user.id)
        ]
    for rs in state.report_schedules.values():
        rs.schedule.recipients = [
            r for r in rs.schedule.recipients if (r.type, r.value) != ("USER", str(user.id))
        ]
    for pdp in state.pdp.values():
        pdp.forget_user(user.id)
    # The e-mail index may keep the old entry: user_by_email finds no user behind it.
    del state.users[user.id]
    note(deleted=[user.id])
    state.record("DELETED", "USER", user.id, user.email, f"deleted {user.email}.", "Deleted user")


def create_role(state: SimState, body: Any) -> Role:
    """Create a role, copying the authorities of ``fromRoleId`` when given (none otherwise)."""
    if not isinstance(body, dict):
        raise SimError(400, "Expected a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SimError(400, "Role name is required")
    if any(r.name.lower() == name.lower() for r in state.roles.values()):
        raise SimError(400, f"A role with the name '{name}' already exists")
    authorities: list[str] = []
    if body.get("fromRoleId") is not None:
        authorities = list(state.role(body["fromRoleId"], 400).authorities)
    now = state.now_ms()
    role = Role(
        id=state.new_id(state.roles),
        name=name,
        description=str(body.get("description") or ""),
        authorities=authorities,
        created=now,
        modified=now,
    )
    state.roles[role.id] = role
    note(created=role.id)
    state.record("CREATED", "ROLE", role.id, name, f"created role '{name}'.", "Created role")
    return role


def set_authorities(state: SimState, rid: Any, body: Any) -> None:
    """Replace a role's authorities with the complete list given."""
    role = state.role(rid)
    if not isinstance(body, list) or not all(isinstance(a, str) for a in body):
        raise SimError(400, "Expected a JSON array of authority names")
    unknown = [a for a in body if a not in state.authorities]
    if unknown:
        raise SimError(400, f"Unknown authorities: {', '.join(unknown)}")
    new = list(dict.fromkeys(body))
    added = [a for a in new if a not in role.authorities]
    removed = [a for a in role.authorities if a not in new]
    role.authorities = new
    role.modified = state.now_ms()
    note(authorities_added=added, authorities_removed=removed)
    comment = (
        f"changed the authorities of role '{role.name}' "
        f"(added: {', '.join(added) or 'none'}; removed: {', '.join(removed) or 'none'})."
    )
    state.record("UPDATED", "ROLE", role.id, role.name, comment, "Updated role authorities")


def assign_users(state: SimState, rid: Any, body: Any) -> None:
    """Move the given users to a role (each user holds exactly one role)."""
    role = state.role(rid)
    if not isinstance(body, list):
        raise SimError(400, "Expected a JSON array of user ids")
    users = [state.user(uid, 400) for uid in body]
    moved = [
        {"userId": u.id, "from": u.role_id, "to": role.id} for u in users if u.role_id != role.id
    ]
    for user in users:
        user.role_id = role.id
    note(role_changed=moved)
    emails = ", ".join(u.email for u in users) or "nobody"
    comment = f"assigned {emails} to role '{role.name}'."
    state.record("UPDATED", "ROLE", role.id, role.name, comment, "Assigned users to role")


def delete_role(state: SimState, rid: Any) -> None:
    """Delete a custom role that nobody holds."""
    role = state.role(rid)
    if role.id in BUILTIN_ROLE_IDS:
        raise SimError(400, f"System role '{role.name}' cannot be deleted")
    holders = sum(1 for u in state.users.values() if u.role_id == role.id)
    if holders:
        raise SimError(400, f"Role '{role.name}' still has {holders} user(s); reassign them first")
    del state.roles[role.id]
    note(deleted=[role.id])
    state.record(
        "DELETED", "ROLE", role.id, role.name, f"deleted role '{role.name}'.", "Deleted role"
    )
