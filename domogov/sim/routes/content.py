"""Content permissions: page and card access lists and sharing, files, workflow models.

Documented in 001: file permissions (read, replace), the file list, workflow permissions
(``POST``), revoking a user from a page. From public clients' request forms (README):
the page (and, by the same form, card) access list and ``POST /api/content/v1/share``.
The workflow permissions read and the workflow model list are not documented; they answer
the shape the documented ``POST`` takes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities.content import Card, Page
from domogov.sim.entities.sharing import DataFile, Workflow
from domogov.sim.http import empty, ok, query_bool, query_int, read_json, sim, variant
from domogov.sim.ops import content as ops
from domogov.sim.state import SimState


def _user_row(state: SimState, uid: int, *, owner: bool) -> dict[str, Any]:
    user = state.users.get(uid)
    return {
        "id": uid,
        "displayName": user.display_name if user else "",
        "emailAddress": user.email if user else "",
        "isOwner": owner,
    }


def _access_list(request: Request, state: SimState, obj: Page | Card) -> dict[str, Any]:
    shares = obj.shares
    users = [_user_row(state, u, owner=False) for u in shares.users]
    if shares.owner is not None:
        users.insert(0, _user_row(state, shares.owner, owner=True))
    doc: dict[str, Any] = {"users": users}
    if not variant(request, "content_accesslist_users_only"):
        expand = query_bool(request, "expandUsers", False)
        groups = []
        for gid in shares.groups:
            group = state.groups.get(gid)
            row: dict[str, Any] = {
                "id": gid,
                "name": group.name if group else "",
                "userCount": len(group.members) if group else 0,
            }
            if expand and group:
                row["users"] = [_user_row(state, u, owner=False) for u in group.members]
            groups.append(row)
        doc["groups"] = groups
    doc["totalUserCount"] = len(users)
    return doc


async def page_access(request: Request) -> Response:
    state = sim(request)
    return ok(_access_list(request, state, state.page(request.path_params["id"], 404)))


async def card_access(request: Request) -> Response:
    state = sim(request)
    return ok(_access_list(request, state, state.card(request.path_params["id"], 404)))


async def share(request: Request) -> Response:
    ignore = variant(request, "content_card_share_ignored")
    ops.share(sim(request), await read_json(request), ignore_cards=ignore)
    return empty()


async def revoke_page_user(request: Request) -> Response:
    p = request.path_params
    ops.revoke_page_user(sim(request), p["pageId"], p["personId"])
    return empty()


def _file_doc(f: DataFile) -> dict[str, Any]:
    return {
        "dataFileId": f.id,
        "name": f.name,
        "responsibleUserId": f.owner,
        "datetimeCreated": f.created,
        "revisions": [],
        "existing": False,
    }


async def list_files(request: Request) -> Response:
    state = sim(request)
    files = sorted(state.files.values(), key=lambda f: f.id)
    wanted = request.query_params.get("dataFileIds")
    if wanted:
        ids = {i.strip() for i in wanted.split(",")}
        files = [f for f in files if str(f.id) in ids]
    owner = request.query_params.get("userId")
    if owner:
        files = [f for f in files if str(f.owner) == owner]
    return ok([_file_doc(f) for f in files])


async def file_details(request: Request) -> Response:
    return ok(_file_doc(sim(request).data_file(request.path_params["id"])))


async def file_permissions(request: Request) -> Response:
    f = sim(request).data_file(request.path_params["id"])
    entries = [{**e.to_doc(), "entityId": str(e.entity_id)} for e in f.entries]
    return ok({"publicAccess": f.public, "entries": entries})


async def set_file_permissions(request: Request) -> Response:
    ops.set_file_permissions(sim(request), request.path_params["id"], await read_json(request))
    return empty()


def _workflow_rows(state: SimState, flow: Workflow) -> list[dict[str, Any]]:
    rows = []
    for grant in flow.permissions:
        principal = state.users.get(grant.id) if grant.type == "USER" else None
        group = state.groups.get(grant.id) if grant.type == "GROUP" else None
        name = principal.display_name if principal else group.name if group else ""
        rows.append(
            {
                "id": str(grant.id),
                "type": grant.type,
                "name": name,
                "permissions": list(grant.permissions),
            }
        )
    return rows


async def list_workflows(request: Request) -> Response:
    state = sim(request)
    flows = sorted(state.workflows.values(), key=lambda w: w.id)
    offset = query_int(request, "offset", 0)
    limit = query_int(request, "limit", 100)
    return ok(
        [
            {"id": w.id, "name": w.name, "owner": str(w.owner)}
            for w in flows[offset : offset + limit]
        ]
    )


async def workflow_permissions(request: Request) -> Response:
    state = sim(request)
    return ok(_workflow_rows(state, state.workflow(request.path_params["id"])))


async def set_workflow_permissions(request: Request) -> Response:
    merge = variant(request, "workflow_permissions_merge")
    state = sim(request)
    flow = ops.set_workflow_permissions(
        state, request.path_params["id"], await read_json(request), merge=merge
    )
    return ok(_workflow_rows(state, flow))
