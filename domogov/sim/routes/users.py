"""Users API routes: identity v1 users (list, get, search, update), content v2 users, users/me."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities import User
from domogov.sim.http import empty, ok, page, query_int, read_json, sim, variant
from domogov.sim.ops.identity import create_user, delete_user, update_user
from domogov.sim.state import SimError, SimState

SEARCH_FIELDS = ("emailAddress", "id", "displayName", "roleId")
PARTS = ("MINIMAL", "SIMPLE", "DETAILED", "GROUPS", "ROLE")  # 001 Users API
# Variant users_list_truncated: how many users the plain list shows.
TRUNCATED_LIST = 50


def identity_user(user: User, *, attributes_only: bool = False) -> dict[str, Any]:
    """The identity v1 user object (Users API): ids are integers.

    ``attributes_only`` (variant users_attributes_only): e-mail and role sit only in
    ``attributes``, as 001's response shape allows; ``userName`` is left out too, since it is
    not always the e-mail."""
    attributes: list[dict[str, Any]] = []
    if attributes_only:
        attributes += [
            {"key": "emailAddress", "values": [user.email]},
            {"key": "roleId", "values": [user.role_id]},
        ]
    for key, value in (
        ("title", user.title),
        ("department", user.department),
        ("phoneNumber", user.phone),
        ("employeeId", user.employee_id),
    ):
        if value:  # Domo leaves empty profile attributes out
            attributes.append({"key": key, "values": [value]})
    if attributes_only:
        return {"attributes": attributes, "id": user.id, "displayName": user.display_name}
    return {
        "attributes": attributes,
        "id": user.id,
        "displayName": user.display_name,
        "userName": user.email,
        "roleId": user.role_id,
        "emailAddress": user.email,
    }


def _parts(raw: Any) -> set[str]:
    """``parts`` as a comma list (query) or an array (search body), upper-cased."""
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    return {str(p).strip().upper() for p in items if str(p).strip()}


def _attributes_only(request: Request, parts: Any) -> bool:
    return variant(request, "users_attributes_only") and "DETAILED" not in _parts(parts)


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
    everyone = _sorted_users(sim(request))
    if variant(request, "users_list_truncated"):
        # A silently cut list: no total, no next link; offset cannot reach past the cut.
        everyone = everyone[:TRUNCATED_LIST]
    users = page(everyone, query_int(request, "offset", 0), limit or None)
    bare = _attributes_only(request, request.query_params.get("parts"))
    return ok({"users": [identity_user(u, attributes_only=bare) for u in users]})


async def get_identity_user(request: Request) -> Response:
    user = sim(request).user(request.path_params["id"], 404)
    bare = _attributes_only(request, request.query_params.get("parts"))
    return ok({"users": [identity_user(user, attributes_only=bare)]})


_FIELD_OF: dict[str, Callable[[User], object]] = {
    "emailAddress": lambda u: u.email,
    "id": lambda u: u.id,
    "displayName": lambda u: u.display_name,
    "roleId": lambda u: u.role_id,
}


def _matcher(fld: str, ftype: str, values: list[str]) -> Callable[[User], bool]:
    """Whether a user matches one filter: a text filter matches any term as a substring, a
    value filter one of the values exactly (both ignore case).

    A text search of 50 e-mails over thousands of users is what a users manifest costs: the
    terms are one compiled alternation, one scan per user, not 50.
    """
    field = _FIELD_OF[fld]
    if ftype == "text":
        if not values:
            return lambda user: False
        pattern = re.compile("|".join(re.escape(v) for v in values))
        return lambda user: pattern.search(str(field(user)).lower()) is not None
    wanted = set(values)
    return lambda user: str(field(user)).lower() in wanted


def _filter_values(flt: dict[str, Any], ftype: str) -> list[str]:
    """The values a filter matches: ``values`` (array), ``value``, or for text filters the
    whitespace-separated terms of ``text`` (the form public clients send for e-mails)."""
    if ftype == "text" and isinstance(flt.get("text"), str):
        return [t.lower() for t in flt["text"].split()]
    if isinstance(flt.get("values"), list):
        return [str(v).lower() for v in flt["values"]]
    if (
        "value" in flt
        and isinstance(flt["value"], str | int)
        and not isinstance(flt["value"], bool)
    ):
        return [str(flt["value"]).lower()]
    raise SimError(400, "Each filter needs field, filterType and values (or text for text filters)")


def _search(state: SimState, filters: Any) -> list[User]:
    if filters is None:
        return _sorted_users(state)
    if not isinstance(filters, list):
        raise SimError(400, "filters must be an array of {field, filterType, values}")
    candidates: list[User] | None = None
    checks: list[Callable[[User], bool]] = []
    for flt in filters:
        if not isinstance(flt, dict):
            raise SimError(400, "Each filter needs field, filterType and a values array")
        fld, ftype = flt.get("field"), flt.get("filterType", "value")
        if fld not in SEARCH_FIELDS:
            raise SimError(400, f"Cannot filter users by {fld!r}; use one of {SEARCH_FIELDS}")
        if ftype not in ("value", "text"):
            raise SimError(400, f"filterType must be value or text, got {ftype!r}")
        values = _filter_values(flt, ftype)
        checks.append(_matcher(fld, ftype, values))
        # Exact e-mail and id filters use the indexes: a search per user must stay cheap.
        if ftype == "value" and fld in ("emailAddress", "id") and candidates is None:
            found = (
                [state.user_by_email(v) for v in values]
                if fld == "emailAddress"
                else [state.users.get(int(v)) if v.isdigit() else None for v in values]
            )
            candidates = sorted({u.id: u for u in found if u}.values(), key=lambda u: u.id)
    pool = _sorted_users(state) if candidates is None else candidates
    return [u for u in pool if all(check(u) for check in checks)]


async def search_users(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SimError(400, "Expected {offset, limit, filters, parts}")
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    for name, value in (("offset", offset), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SimError(400, f"{name} must be a non-negative integer")
    parts = body.get("parts")
    if parts is not None and not isinstance(parts, list | str):
        raise SimError(400, f"parts is an array of {list(PARTS)}")
    users = page(_search(sim(request), body.get("filters")), offset, limit)
    bare = _attributes_only(request, parts)
    return ok({"users": [identity_user(u, attributes_only=bare) for u in users]})


async def patch_user(request: Request) -> Response:
    user = update_user(sim(request), request.path_params["id"], await read_json(request))
    return ok(identity_user(user, attributes_only=_attributes_only(request, None)))


async def post_user(request: Request) -> Response:
    user = create_user(sim(request), await read_json(request))
    return ok(identity_user(user))


async def remove_user(request: Request) -> Response:
    delete_user(sim(request), request.path_params["id"])
    return empty(204)


async def list_content_users(request: Request) -> Response:
    state = sim(request)
    limit = query_int(request, "limit", 0)
    users = page(_sorted_users(state), query_int(request, "offset", 0), limit or None)
    return ok([content_user(state, u) for u in users])


async def get_me(request: Request) -> Response:
    state = sim(request)
    return ok(content_user(state, state.users[state.me]))
