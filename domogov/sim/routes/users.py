"""Users API routes: identity v1 users (list, get, search, update), content v2 users, users/me."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import User
from domogov.sim.http import ok, page, query_int, read_json, sim
from domogov.sim.ops.identity import update_user
from domogov.sim.state import SimError, SimState

SEARCH_FIELDS = ("emailAddress", "id", "displayName", "roleId")


def identity_user(user: User) -> dict[str, Any]:
    """The identity v1 user object (Users API): ids are integers."""
    attributes = [{"key": "title", "values": [user.title]}] if user.title else []
    return {
        "attributes": attributes,
        "id": user.id,
        "displayName": user.display_name,
        "userName": user.email,
        "roleId": user.role_id,
        "emailAddress": user.email,
    }


def content_user(state: SimState, user: User) -> dict[str, Any]:
    """The content v2 user object (users/me, content/v2/users)."""
    role = state.roles.get(user.role_id)
    return {
        "id": user.id,
        "displayName": user.display_name,
        "userName": user.email,
        "emailAddress": user.email,
        "role": role.name if role else "",
        "roleId": user.role_id,
        "title": user.title,
    }


def _sorted_users(state: SimState) -> list[User]:
    return sorted(state.users.values(), key=lambda u: u.id)


async def list_identity_users(request: Request) -> Response:
    limit = query_int(request, "limit", 0)  # not documented: 0 or absent means all
    users = page(_sorted_users(sim(request)), query_int(request, "offset", 0), limit or None)
    return ok({"users": [identity_user(u) for u in users]})


async def get_identity_user(request: Request) -> Response:
    user = sim(request).user(request.path_params["id"], 404)
    return ok({"users": [identity_user(user)]})


def _matches(user: User, fld: str, ftype: str, values: list[str]) -> bool:
    actual = {
        "emailAddress": user.email,
        "id": str(user.id),
        "displayName": user.display_name,
        "roleId": str(user.role_id),
    }[fld].lower()
    if ftype == "text":
        return any(v in actual for v in values)
    return actual in values


def _search(state: SimState, filters: Any) -> list[User]:
    if filters is None:
        return _sorted_users(state)
    if not isinstance(filters, list):
        raise SimError(400, "filters must be an array of {field, filterType, values}")
    candidates: list[User] | None = None
    checks = []
    for flt in filters:
        if not isinstance(flt, dict) or not isinstance(flt.get("values"), list):
            raise SimError(400, "Each filter needs field, filterType and a values array")
        fld, ftype = flt.get("field"), flt.get("filterType", "value")
        if fld not in SEARCH_FIELDS:
            raise SimError(400, f"Cannot filter users by {fld!r}; use one of {SEARCH_FIELDS}")
        if ftype not in ("value", "text"):
            raise SimError(400, f"filterType must be value or text, got {ftype!r}")
        values = [str(v).lower() for v in flt["values"]]
        checks.append((fld, ftype, values))
        # Exact e-mail and id filters use the indexes: a search per user must stay cheap.
        if ftype == "value" and fld in ("emailAddress", "id") and candidates is None:
            found = (
                [state.user_by_email(v) for v in values]
                if fld == "emailAddress"
                else [state.users.get(int(v)) if v.isdigit() else None for v in values]
            )
            candidates = sorted({u.id: u for u in found if u}.values(), key=lambda u: u.id)
    pool = _sorted_users(state) if candidates is None else candidates
    return [u for u in pool if all(_matches(u, *check) for check in checks)]


async def search_users(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SimError(400, "Expected {offset, limit, filters, parts}")
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    for name, value in (("offset", offset), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SimError(400, f"{name} must be a non-negative integer")
    users = page(_search(sim(request), body.get("filters")), offset, limit)
    return ok({"users": [identity_user(u) for u in users]})


async def patch_user(request: Request) -> Response:
    user = update_user(sim(request), request.path_params["id"], await read_json(request))
    return ok(identity_user(user))


async def list_content_users(request: Request) -> Response:
    state = sim(request)
    limit = query_int(request, "limit", 0)
    users = page(_sorted_users(state), query_int(request, "offset", 0), limit or None)
    return ok([content_user(state, u) for u in users])


async def get_me(request: Request) -> Response:
    state = sim(request)
    return ok(content_user(state, state.users[state.me]))
