"""Content permission operations: page and card shares, file permissions, workflow permissions.

Writes validate the whole body before changing anything (as Domo refuses a bad body whole).
"""

from __future__ import annotations

from typing import Any

from domogov.sim.entities.content import Card, ContentShares, Page
from domogov.sim.entities.sharing import (
    FILE_GRANTS,
    WORKFLOW_PERMISSIONS,
    DataFile,
    FileEntry,
    Workflow,
    WorkflowGrant,
)
from domogov.sim.state import SimError, SimState
from domogov.sim.writelog import note

RESOURCE_TYPES = ("page", "card")
RECIPIENT_TYPES = {"user": "USER", "group": "GROUP"}


def content(state: SimState, rtype: Any, rid: Any, status: int = 404) -> Page | Card:
    """The page or card a ``{type, id}`` resource names."""
    if rtype == "page":
        return state.page(rid, status)
    if rtype == "card":
        return state.card(rid, status)
    raise SimError(400, f"resource type must be page or card, got {rtype!r}")


def share(state: SimState, body: Any, *, ignore_cards: bool = False) -> None:
    """``POST /api/content/v1/share``: share every resource with every recipient (additive)."""
    if not isinstance(body, dict) or not isinstance(body.get("resources"), list):
        raise SimError(400, "Expected {resources: [{type, id}], recipients: [{type, id}]}")
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise SimError(400, "recipients is required: [{type: user|group, id}]")
    targets: list[tuple[str, Page | Card]] = []
    for res in body["resources"]:
        if not isinstance(res, dict):
            raise SimError(400, "A resource is an object {type, id}")
        targets.append((str(res.get("type")), content(state, res.get("type"), res.get("id"), 400)))
    people: list[tuple[str, int]] = []
    for rec in recipients:
        if not isinstance(rec, dict) or str(rec.get("type", "")).lower() not in RECIPIENT_TYPES:
            raise SimError(400, "A recipient is an object {type: user|group, id}")
        ptype = RECIPIENT_TYPES[str(rec["type"]).lower()]
        people.append((ptype, state.principal(ptype, rec.get("id"), 400).id))
    for rtype, obj in targets:
        if rtype == "card" and ignore_cards:
            continue  # variant content_card_share_ignored: answered 200, nothing shared
        added = _add(obj.shares, people)
        if added:
            note(shared=[{"type": rtype, "id": obj.id, "recipients": added}])
            who = ", ".join(state.principal_label(t, i) for t, i in people)
            title = obj.title
            state.record(
                "SHARED", rtype.upper(), obj.id, title, f"shared {rtype} '{title}' with {who}.",
                f"Shared {rtype}",
            )  # fmt: skip


def _add(shares: ContentShares, people: list[tuple[str, int]]) -> list[dict[str, Any]]:
    added = []
    for ptype, pid in people:
        ids = shares.users if ptype == "USER" else shares.groups
        if ptype == "USER" and pid == shares.owner:
            continue  # the owner already holds the page; never a share
        if pid not in ids:
            ids.append(pid)
            added.append({"type": ptype, "id": pid})
    return added


def revoke_page_user(state: SimState, page_id: Any, person_id: Any) -> None:
    """``DELETE /api/content/v1/share/page/{pageId}/user/{personId}`` (documented)."""
    page = state.page(page_id, 404)
    user = state.user(person_id, 404)
    if user.id in page.shares.users:
        page.shares.users.remove(user.id)
        note(revoked=[{"type": "page", "id": page.id, "user": user.id}])
    comment = f"revoked {user.email}'s access to page '{page.title}'."
    state.record("UNSHARED", "PAGE", page.id, page.title, comment, "Revoked page access")


def set_file_permissions(state: SimState, fid: Any, body: Any) -> DataFile:
    """``PUT .../data-files/{id}/permissions``: the whole list, replaced."""
    f = state.data_file(fid)
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        raise SimError(400, "Expected {publicAccess, entries: [{entityType, entityId, grant}]}")
    public = body.get("publicAccess", f.public)
    if not isinstance(public, bool):
        raise SimError(400, "publicAccess must be true or false")
    entries: list[FileEntry] = []
    for entry in body["entries"]:
        if not isinstance(entry, dict):
            raise SimError(400, "An entry is an object {entityType, entityId, grant, pass}")
        ptype = entry.get("entityType")
        principal = state.principal(ptype, entry.get("entityId"), 400)
        grant = entry.get("grant")
        if grant not in FILE_GRANTS:
            raise SimError(400, f"Invalid grant {grant!r}; expected one of {list(FILE_GRANTS)}")
        entries.append(FileEntry(str(ptype), principal.id, grant, str(entry.get("pass", "NONE"))))
    old = {(e.entity_type, e.entity_id): e.grant for e in f.entries}
    new = {(e.entity_type, e.entity_id): e.grant for e in entries}
    granted = [
        {"type": t, "id": i, "grant": g} for (t, i), g in new.items() if old.get((t, i)) != g
    ]
    revoked = [{"type": t, "id": i} for (t, i) in old if (t, i) not in new]
    note(granted=granted, revoked=revoked)
    if public != f.public:
        note(public=public)
    f.public, f.entries = public, entries
    comment = f"updated the permissions of file '{f.name}'."
    state.record("UPDATED", "DATA_FILE", f.id, f.name, comment, "Updated file permissions")
    return f


def set_workflow_permissions(
    state: SimState, wid: Any, body: Any, *, merge: bool = False
) -> Workflow:
    """``POST .../workflow/v1/models/{id}/permissions``: the whole list (``merge``: variant
    workflow_permissions_merge, entries left out are kept)."""
    flow = state.workflow(wid)
    if not isinstance(body, list):
        raise SimError(400, "Expected [{id, type, name, permissions: [...]}]")
    grants: list[WorkflowGrant] = []
    for entry in body:
        if not isinstance(entry, dict) or not isinstance(entry.get("permissions"), list):
            raise SimError(400, "An entry is an object {id, type, name, permissions: [...]}")
        ptype = entry.get("type")
        principal = state.principal(ptype, entry.get("id"), 400)
        perms = [str(p) for p in entry["permissions"]]
        bad = [p for p in perms if p not in WORKFLOW_PERMISSIONS]
        if bad:
            raise SimError(400, f"Invalid permission(s) {bad}")
        grants.append(WorkflowGrant(str(ptype), principal.id, sorted(set(perms))))
    old = {(g.type, g.id): g.permissions for g in flow.permissions}
    new = {(g.type, g.id): g.permissions for g in grants}
    if merge:
        new = {**old, **new}
        grants = [WorkflowGrant(t, i, p) for (t, i), p in new.items()]
    changed = [
        {"type": t, "id": i, "permissions": p} for (t, i), p in new.items() if old.get((t, i)) != p
    ]
    removed = [{"type": t, "id": i} for (t, i) in old if (t, i) not in new]
    note(granted=changed, revoked=removed)
    flow.permissions = grants
    comment = f"updated the permissions of workflow '{flow.name}'."
    state.record("UPDATED", "WORKFLOW", flow.id, flow.name, comment, "Updated workflow permissions")
    return flow
