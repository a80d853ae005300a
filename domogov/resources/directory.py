"""Reading the directory into a LiveContext: the token's user, every user, all groups, roles.

Users come from the users list, the users search (by email, and paged whole when the list is
shown to be cut short) and the holder lists of the roles the manifests manage; groups from the
grouplist, paged to an empty page; roles from the roles list. Kinds read while this runs and
wait for it in ``LiveContext.ready()`` only to label what they read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from domogov.errors import ResponseFormatError
from domogov.resources.context import LiveContext, as_int
from domogov.spec.types import normalise_email

USERS_PATH = "/api/identity/v1/users"
USERS_SEARCH_PATH = "/api/identity/v1/users/search"
ME_PATH = "/api/content/v2/users/me"
GROUPLIST_PATH = "/api/content/v2/groups/grouplist"
ROLES_PATH = "/api/authorization/v1/roles"
GROUPLIST_PAGE = 100
MAX_PAGES = 1_000  # 100,000 groups: a grouplist that never ends is an error, not a hang
#: 001 Users API: parts MINIMAL|SIMPLE|DETAILED|GROUPS|ROLE. Without DETAILED, some instances
#: put emailAddress and roleId only inside ``attributes`` (variant users_attributes_only).
USER_PARTS = "DETAILED"
#: The users search page size public clients ask for (README, "Undocumented answers").
SEARCH_PAGE = 200
#: Emails named in one text filter of the users search (whitespace-separated terms).
EMAILS_PER_SEARCH = 50


async def load_directory(ctx: LiveContext, *, groups: bool = True, roles: bool = True) -> None:
    """Read the token's user, all users, and (when needed) all groups and roles."""
    tasks = [_load_users(ctx)]  # the token's user is read with the users
    if groups:
        tasks.append(_load_groups(ctx))
    if roles:
        tasks.append(_load_roles(ctx))
    failed: BaseException | None = None
    try:
        await asyncio.gather(*tasks)
        await _complete_users(ctx)
        ctx.note_renames(ctx.pinned_groups)
        if roles:
            _note_unknown_roles(ctx)
    except BaseException as exc:
        failed = exc
        raise
    finally:
        ctx.directory_read(failed)


async def load_me(ctx: LiveContext) -> None:
    """Read the token's own user, once. Planning does this before anything else: a bad
    token, a host that does not resolve or a refused TLS handshake fails here, once,
    before the reads fan out."""
    if ctx.me:
        return
    me = await ctx.client.get(ME_PATH)
    if not isinstance(me, dict) or as_int(me.get("id")) is None:
        # Without the token's own user the self-lockout guard could not work: stop.
        raise ResponseFormatError(
            "the answer names no user id; domogov needs it to protect the token's own access",
            method="GET",
            path=ME_PATH,
        )
    ctx.me = me


async def _load_users(ctx: LiveContext) -> None:
    """Every user with its email and role, wherever this instance puts them.

    The list answers in one piece with no paging hint, and may be cut short (variant
    users_list_truncated) or carry emailAddress/roleId only inside ``attributes`` (variant
    users_attributes_only): parts=DETAILED is asked for, ``attributes`` read when the top
    level lacks them, and emails the manifests name that the list lacks are looked up in
    bulk before anyone calls them unknown. Whether the list was everyone is settled once
    the groups are read too (``_complete_users``).
    """
    answer, _ = await asyncio.gather(
        ctx.client.get(USERS_PATH, params={"parts": USER_PARTS}), load_me(ctx)
    )
    listed = _unwrap(answer, "users")
    _add_users(ctx, listed, "GET", USERS_PATH)
    # The token's user missing from the list: the list is not everyone.
    short = ctx.me_id is not None and ctx.me_id not in ctx.users_by_id
    _merge_me(ctx)
    missing = sorted(e for e in referenced_emails(ctx.config) if e not in ctx.users_by_email)
    before = len(ctx.users_by_id)
    await _search_emails(ctx, missing)
    # A user the search finds by email that the list left out: the list was cut short.
    ctx.cache["users_list_short"] = short or len(ctx.users_by_id) > before


async def _complete_users(ctx: LiveContext) -> None:
    """Read every user through the users search when the list is shown to be incomplete.

    The list has no paging and may stop after the first N users, silently; the holders of
    a role (read from each user's roleId) would then be missing people. The roles whose
    holders the manifests manage are read from their own holder list (a GET per role):
    their holders are then complete whatever the list showed. Signs of a cut list: the
    token's user, a user found by email, a group member or owner, or a role holder the
    list lacks; any of them and the users search, paged, completes the directory.
    """
    short = bool(ctx.cache.get("users_list_short"))
    short = await _read_managed_holders(ctx) or short
    if not short:
        short = any(
            uid not in ctx.users_by_id
            for group in ctx.groups_by_id.values()
            for uid in group["members"] | group["owners"]
        )
    if not short:
        return
    everyone = await ctx.client.paginate(
        USERS_SEARCH_PATH,
        style="body",
        page_size=SEARCH_PAGE,
        body={"parts": [USER_PARTS]},
        items_key="users",
    )
    _add_users(ctx, everyone, "POST", USERS_SEARCH_PATH)
    _merge_me(ctx)


async def _read_managed_holders(ctx: LiveContext) -> bool:
    """Who holds each live role whose users the manifests manage (or delete), or that
    ``holder_roles`` names, from the role's own list; True when it names a user the users
    list did not."""
    wanted: dict[int, str] = {
        role["id"]: name
        for name in ctx.holder_roles
        if (role := ctx.roles_by_name.get(name)) is not None
    }
    for spec in getattr(ctx.config, "roles", None) or []:
        if getattr(spec, "users", None) is None and getattr(spec, "present", True):
            continue
        pinned = as_int(getattr(spec, "id", None))
        role = ctx.roles_by_id.get(pinned) if pinned is not None else None
        role = role or ctx.roles_by_name.get(str(getattr(spec, "name", "")))
        if role is not None:
            wanted[role["id"]] = role["name"]
    if not wanted:
        return False
    ctx.cache["holders_read"] = set(wanted)
    answers = await asyncio.gather(*(ctx.client.get(f"{ROLES_PATH}/{rid}/users") for rid in wanted))
    known = set(ctx.users_by_id)
    rows: list[dict[str, Any]] = []
    for rid, answer in zip(wanted, answers, strict=True):
        for row in _unwrap(answer, "users"):
            uid = as_int(row.get("userId", row.get("id"))) if isinstance(row, dict) else None
            if uid is None:
                continue
            rows.append({**row, "id": uid, "emailAddress": row.get("email"), "roleId": rid})
    _add_users(ctx, rows, "GET", f"{ROLES_PATH}/{{id}}/users")
    for row in rows:
        # The role's own list says who holds it now; the users list may be older.
        ctx.users_by_id[row["id"]]["roleId"] = row["roleId"]
    _merge_me(ctx)
    return any(row["id"] not in known for row in rows)


async def search_emails(client: Any, emails: list[str]) -> list[Any]:
    """The users search's rows for these emails, many per request: a text filter takes
    whitespace-separated terms (the form public clients send), each paged to an empty page,
    the requests at once. A text filter matches substrings: rows may name other users too."""

    async def one(chunk: list[str]) -> list[Any]:
        text = " ".join(chunk)
        rows: list[Any] = await client.paginate(
            USERS_SEARCH_PATH,
            style="body",
            page_size=SEARCH_PAGE,
            body={
                "filters": [{"filterType": "text", "field": "emailAddress", "text": text}],
                "parts": [USER_PARTS],
            },
            items_key="users",
        )
        return rows

    chunks = [emails[i : i + EMAILS_PER_SEARCH] for i in range(0, len(emails), EMAILS_PER_SEARCH)]
    return [row for rows in await asyncio.gather(*(one(c) for c in chunks)) for row in rows]


async def _search_emails(ctx: LiveContext, emails: list[str]) -> None:
    _add_users(ctx, await search_emails(ctx.client, emails), "POST", USERS_SEARCH_PATH)


def _add_users(ctx: LiveContext, rows: list[Any], method: str, path: str) -> None:
    """Index users by id and email; a user already known gains what it lacked."""
    for row in rows:
        if not isinstance(row, dict):
            raise ResponseFormatError(
                f"expected user objects, got {type(row).__name__}", method=method, path=path
            )
        uid = as_int(row.get("id"))
        if uid is None:
            continue
        ctx.user_rows.setdefault(uid, row)
        email = user_email(row)
        role = as_int(user_value(row, "roleId"))
        record = ctx.users_by_id.get(uid)
        if record is None:
            name = row.get("displayName") or email
            record = {"id": uid, "email": email, "name": name, "roleId": role}
            ctx.users_by_id[uid] = record
        else:
            record["email"] = record["email"] or email
            record["name"] = record["name"] or row.get("displayName") or email
            if record.get("roleId") is None:
                record["roleId"] = role
        email = record["email"]
        if not email:
            continue
        other = ctx.users_by_email.setdefault(email, record)
        if other is not record:
            # Two users with one email: a reference to it would pick one at random.
            raise ResponseFormatError(
                f"users {other['id']} and {uid} have the same email {email!r}; "
                "refusing to guess which one is meant",
                method=method,
                path=path,
            )
    ctx.users_changed()


def _merge_me(ctx: LiveContext) -> None:
    """The token's user, from its own record: its role is what the self-lockout guard
    protects, so it must not depend on the users list showing it (or its role)."""
    uid = ctx.me_id
    if uid is None:
        return
    row = {**ctx.me, "id": uid}
    _add_users(ctx, [row], "GET", ME_PATH)
    role = as_int(user_value(row, "roleId"))
    if role is not None:
        ctx.users_by_id[uid]["roleId"] = role


def _note_unknown_roles(ctx: LiveContext) -> None:
    """A user whose role cannot be read may hold any role: that role's holders are unknown.

    Every role's ``users`` is then unreadable (listed in the plan; a kind refuses to plan
    from it), except the roles whose holders were read from their own list (the ones the
    manifests manage): "holds no role" would plan moves from a guess.
    """
    roleless = sorted(uid for uid, u in ctx.users_by_id.items() if u.get("roleId") is None)
    if not roleless:
        return
    named = ", ".join(
        f"{uid} ({ctx.users_by_id[uid]['email'] or 'no email'})" for uid in roleless[:5]
    )
    if len(roleless) > 5:
        named += f" and {len(roleless) - 5} more"
    reason = (
        f"(parts={USER_PARTS}) gives no roleId for user(s) {named}, so who holds this role "
        "is not known"
    )
    read: set[int] = ctx.cache.get("holders_read", set())
    for name, role in ctx.roles_by_name.items():
        if role["id"] not in read:
            ctx.unreadable(f"role.{name}", "users", f"GET {USERS_PATH}", reason)


async def grouplist(ctx: LiveContext) -> list[dict[str, Any]]:
    """Every grouplist row (members and owners included), read as fast as paging allows."""
    return await _pages(ctx, GROUPLIST_PATH, {"sort": "name", "ascending": "true"})


async def _load_groups(ctx: LiveContext) -> None:
    for row in await grouplist(ctx):
        gid = as_int(row.get("groupId", row.get("id")))
        if gid is None or row.get("active") is False:
            continue
        group = {
            "id": gid,
            "name": row.get("name", ""),
            "type": row.get("groupType", row.get("type")),
            "description": row.get("description") or "",
            # Only users: a group nested as a member (or owner) is not managed by
            # domogov, and must never be mistaken for the user with the same id.
            "members": _user_ids(row.get("groupMembers")),
            "owners": _user_ids(row.get("owners")),
        }
        group["members"].discard(None)
        group["owners"].discard(None)
        ctx.groups_by_id[gid] = group
        if group["name"] in ctx.groups_by_name:
            # Domo refuses duplicate names on create, but the list may still hold two
            # (renames, old data). A name then cannot say which one is meant.
            first = ctx.groups_by_name[group["name"]]["id"]
            ctx.duplicate_groups.setdefault(group["name"], [first]).append(gid)
        ctx.groups_by_name[group["name"]] = group


async def _pages(ctx: LiveContext, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """An offset/limit list read whole: until an empty page, never a short one.

    A server may answer fewer rows than ``limit`` asks (variant grouplist_page_cap_30:
    public clients page grouplist 30 at a time until an empty page), so a short page is
    not the end. grouplist has no total count: the first page is read alone, and its
    length is the page size the server really gives. Full pages are then fetched a
    window at a time (as many as requests may be in flight), each at the offset right
    after the rows received so far; a short page is followed by one page alone, at the
    exact offset after it, which must come back empty to end the read (a small list costs
    two requests). A page of another length than expected ends its window: the next one
    starts where the rows received end, so no row is skipped or read twice.
    """
    window = max(1, min(getattr(ctx.client, "max_concurrency", 8), 8))
    rows: list[dict[str, Any]] = []
    offset, step, batch, asked = 0, GROUPLIST_PAGE, 1, 0
    previous: list[Any] | None = None
    while True:
        batch = min(batch, MAX_PAGES - asked)
        if batch < 1:
            raise ResponseFormatError(
                f"more than {MAX_PAGES} pages; giving up", method="GET", path=path
            )
        offsets = [offset + i * step for i in range(batch)]
        asked += batch
        pages = await asyncio.gather(
            *(
                ctx.client.get(path, params={**params, "offset": o, "limit": GROUPLIST_PAGE})
                for o in offsets
            )
        )
        batch = window
        for start, page in zip(offsets, pages, strict=True):
            if not isinstance(page, list):
                raise ResponseFormatError(
                    f"expected a list of groups, got {type(page).__name__}",
                    method="GET",
                    path=path,
                )
            if not page:
                return rows  # empty at the offset right after every row received
            if page == previous:
                raise ResponseFormatError(
                    f"the same page came back for offset={start}; the endpoint seems to "
                    "ignore offset",
                    method="GET",
                    path=path,
                )
            rows.extend(page)
            offset, previous = start + len(page), page
            if len(page) != step:
                # Shorter: the end, or a cap; one page alone at the next offset says which.
                batch = 1 if len(page) < step else window
                step = len(page)
                break
        # A window of full pages: the next one follows on.


async def _load_roles(ctx: LiveContext) -> None:
    for row in _unwrap(await ctx.client.get(ROLES_PATH), None):
        rid = as_int(row.get("id"))
        if rid is None:
            continue
        role = {"id": rid, "name": row.get("name", ""), "description": row.get("description")}
        ctx.roles_by_id[rid] = role
        ctx.roles_by_name[role["name"]] = role


def _user_ids(principals: Any) -> set[int | None]:
    return {
        as_int(p.get("id"))
        for p in principals or []
        if isinstance(p, dict) and str(p.get("type", "USER")).upper() == "USER"
    }


def user_value(row: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` set at the row's top level, else the first value of its
    ``attributes`` entry ``{key, values}`` with one of those keys.

    001's user object carries ``attributes: [{key, values}]``; some instances put emailAddress
    and roleId only there (variant users_attributes_only). The directory and the users kind
    read rows through this one function: the users kind plans from the directory's rows."""
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    attributes = row.get("attributes")
    if not isinstance(attributes, list):
        return None
    for entry in attributes:
        if isinstance(entry, dict) and entry.get("key") in names:
            values = entry.get("values")
            if isinstance(values, list):
                return values[0] if values else None
            return values
    return None


def user_email(row: Mapping[str, Any]) -> str:
    """The row's email, lower-cased ("" when it has none)."""
    for key in ("emailAddress", "email"):
        value = user_value(row, key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return ""


def referenced_emails(config: Any) -> set[str]:
    """Every user email the manifests name (members, owners, role users, grants, recipients,
    subscribers), lower-cased. External addresses (``email:`` recipients) are not users."""
    found: set[str] = set()
    specs = getattr(config, "specs", None)
    if specs is None:
        return found
    stack: list[tuple[str, Any]] = [("", spec) for spec in specs()]
    while stack:
        name, value = stack.pop()
        if isinstance(value, BaseModel):
            stack.extend((key, getattr(value, key)) for key in type(value).model_fields)
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend((name, item) for item in value)
        elif isinstance(value, dict):
            stack.extend((str(key), item) for key, item in value.items())
        elif isinstance(value, str) and "@" in value and name != "email":
            try:
                found.add(normalise_email(value))
            except ValueError:
                continue  # not an email: a name or a description with an @ in it
    return found


def _unwrap(answer: Any, key: str | None) -> list[dict[str, Any]]:
    if isinstance(answer, dict) and key and isinstance(answer.get(key), list):
        rows: list[dict[str, Any]] = answer[key]
        return rows
    if isinstance(answer, list):
        return answer
    return []
