"""Group routes: grouplist, one group, members, create/update/delete, membership and owners."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import Group
from domogov.sim.http import ok, page, query_bool, query_int, read_json, sim, variant
from domogov.sim.ops import groups as ops
from domogov.sim.routes.users import content_user
from domogov.sim.state import SimError, SimState, as_int

GROUPLIST_CAP = 30  # variant grouplist_page_cap_30
GROUPLIST_SORTS: dict[str, Callable[[Group], Any]] = {
    "name": lambda g: (g.name.lower(), g.id),
    "groupId": lambda g: g.id,
    "id": lambda g: g.id,
    "memberCount": lambda g: (len(g.members) + len(g.member_groups), g.id),
}


def _principals(state: SimState, users: list[int], groups: list[int]) -> list[dict[str, Any]]:
    """Members or owners as grouplist shows them: ids are strings here."""
    out = [
        {"type": "USER", "id": str(u), "displayName": state.users[u].display_name}
        for u in users
        if u in state.users
    ]
    out += [
        {"type": "GROUP", "id": str(g), "displayName": state.groups[g].name}
        for g in groups
        if g in state.groups
    ]
    return out


def grouplist_row(state: SimState, group: Group) -> dict[str, Any]:
    return {
        "groupId": group.id,
        "name": group.name,
        "groupType": group.type,
        "description": group.description,
        "memberCount": len(group.members) + len(group.member_groups),
        "groupMembers": _principals(state, group.members, group.member_groups),
        "owners": _principals(state, group.owners, group.owner_groups),
        "created": group.created,
    }


async def grouplist(request: Request) -> Response:
    state = sim(request)
    key = GROUPLIST_SORTS.get(request.query_params.get("sort", "name"), GROUPLIST_SORTS["name"])
    reverse = not query_bool(request, "ascending", True)
    groups = sorted(state.active_groups(), key=key, reverse=reverse)
    limit = query_int(request, "limit", 30)
    if variant(request, "grouplist_page_cap_30"):
        limit = min(limit, GROUPLIST_CAP)  # a server-side cap: a short page is not the end
    rows = page(groups, query_int(request, "offset", 0), limit)
    return ok([grouplist_row(state, g) for g in rows])


async def get_group(request: Request) -> Response:
    # A deleted group stays readable (renamed, active: false), as Domo shows it.
    group = sim(request).group(request.path_params["id"], deleted_too=True)
    return ok(
        {
            "id": group.id,
            "name": group.name,
            "type": group.type,
            "userIds": list(group.members),
            "creatorId": group.creator_id,
            "memberCount": len(group.members) + len(group.member_groups),
            "guid": group.guid or str(uuid.uuid5(uuid.NAMESPACE_OID, f"domo-group-{group.id}")),
            "description": group.description,
            "hidden": False,
            "default": False,
            "active": group.active,
        }
    )


async def group_users(request: Request) -> Response:
    state = sim(request)
    if not request.query_params.get("group"):
        raise SimError(400, "Query parameter group is required")
    group = state.group(request.query_params["group"])
    members = page(group.members, query_int(request, "offset", 0), query_int(request, "limit", 500))
    rows = [
        {**content_user(state, state.users[u]), "userId": u, "groupId": group.id} for u in members
    ]
    return ok({"groupUserList": rows})


async def create_group(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SimError(400, "Expected {name, description, type}")
    group = ops.create_group(
        sim(request), body.get("name"), body.get("description"), body.get("type")
    )
    return ok({"id": str(group.id)})


async def update_groups(request: Request) -> Response:
    ops.update_groups(sim(request), await read_json(request))
    return ok(True)


async def delete_groups(request: Request) -> Response:
    ops.delete_groups(sim(request), await read_json(request))
    return ok(True)


async def add_user(request: Request) -> Response:
    ops.add_member(sim(request), request.path_params["id"], request.path_params["userId"])
    return ok(True)


async def remove_user(request: Request) -> Response:
    ops.remove_member(sim(request), request.path_params["id"], request.path_params["userId"])
    return ok(True)


async def change_access(request: Request) -> Response:
    ops.change_access(sim(request), await read_json(request))
    return ok(True)


async def group_permissions(request: Request) -> Response:
    state = sim(request)
    body = await read_json(request)
    if not isinstance(body, list):
        raise SimError(400, "Expected a JSON array of group ids")
    groups = [state.group(as_int(gid, "group id"), 400) for gid in body]
    return ok(
        [
            {
                "groupId": g.id,
                "permissions": {"owners": _principals(state, g.owners, g.owner_groups)},
            }
            for g in groups
        ]
    )
