"""Roles Governance API routes, plus the authority catalog and role holders."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import Role
from domogov.sim.http import empty, ok, page, query_int, read_json, sim
from domogov.sim.ops import identity as ops
from domogov.sim.state import SimError

SUCCESS = {"status": "SUCCESS", "message": ""}


def role_summary(role: Role, user_count: int) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "authorityCount": len(role.authorities),
        "userCount": user_count,
        "created": role.created,
        "modified": role.modified,
    }


async def list_roles(request: Request) -> Response:
    state = sim(request)
    counts = state.role_user_counts()
    roles = sorted(state.roles.values(), key=lambda r: r.id)
    return ok([role_summary(r, counts.get(r.id, 0)) for r in roles])


async def get_role(request: Request) -> Response:
    state = sim(request)
    role = state.role(request.path_params["id"])
    return ok(role_summary(role, state.role_user_counts().get(role.id, 0)))


async def create_role(request: Request) -> Response:
    role = ops.create_role(sim(request), await read_json(request))
    return ok({"id": role.id, "name": role.name, "description": role.description})


def _known_role(request: Request) -> Role | None:
    try:
        return sim(request).role(request.path_params["id"])
    except SimError:
        return None


async def get_authorities(request: Request) -> Response:
    role = _known_role(request)
    # Domo quirk: an unknown role id answers an empty list, not 404.
    return ok(list(role.authorities) if role else [])


async def set_authorities(request: Request) -> Response:
    ops.set_authorities(sim(request), request.path_params["id"], await read_json(request))
    return ok(SUCCESS)


async def get_role_users(request: Request) -> Response:
    state = sim(request)
    role = _known_role(request)
    if role is None:
        # Domo quirk: an unknown role id answers {"users": []}, not 404.
        return ok({"users": []})
    holders = sorted((u for u in state.users.values() if u.role_id == role.id), key=lambda u: u.id)
    limit = query_int(request, "limit", 0)
    holders = page(holders, query_int(request, "offset", 0), limit or None)
    return ok(
        {
            "users": [
                {"userId": u.id, "email": u.email, "displayName": u.display_name, "roleId": role.id}
                for u in holders
            ]
        }
    )


async def assign_users(request: Request) -> Response:
    ops.assign_users(sim(request), request.path_params["id"], await read_json(request))
    return ok(SUCCESS)


async def delete_role(request: Request) -> Response:
    ops.delete_role(sim(request), request.path_params["id"])
    return empty(204)


async def list_authorities(request: Request) -> Response:
    state = sim(request)
    holders: dict[str, list[int]] = {name: [] for name in state.authorities}
    for role in sorted(state.roles.values(), key=lambda r: r.id):
        for name in role.authorities:
            holders.setdefault(name, []).append(role.id)
    return ok(
        [
            {
                "authority": a.authority,
                "title": a.title,
                "description": a.description,
                "authorityUIGroup": a.ui_group,
                "roleIds": holders[a.authority],
            }
            for a in state.authorities.values()
        ]
    )
