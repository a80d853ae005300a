"""The live context kinds share: the client, the directory of users/groups/roles, issues found."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from domogov.core.address import placeholder
from domogov.core.changes import Unreadable
from domogov.errors import ConfigIssue, Location, ResponseFormatError
from domogov.spec.types import normalise_email

USERS_PATH = "/api/identity/v1/users"
USERS_SEARCH_PATH = "/api/identity/v1/users/search"
ME_PATH = "/api/content/v2/users/me"
GROUPLIST_PATH = "/api/content/v2/groups/grouplist"
ROLES_PATH = "/api/authorization/v1/roles"
GROUPLIST_PAGE = 100
MAX_PAGES = 1_000  # 100,000 groups: a grouplist that never ends is an error, not a hang
UNMANAGEABLE_GROUP_TYPES = {"dynamic", "directory", "system"}
#: 001 Users API: parts MINIMAL|SIMPLE|DETAILED|GROUPS|ROLE. Without DETAILED, some instances
#: put emailAddress and roleId only inside ``attributes`` (variant users_attributes_only).
USER_PARTS = "DETAILED"
#: The users search page size public clients ask for (README, "Undocumented answers").
SEARCH_PAGE = 200
#: Emails named in one text filter of the users search (whitespace-separated terms).
EMAILS_PER_SEARCH = 50


class DirectoryUnavailable(Exception):
    """Raised to kinds waiting for a directory read that failed (the read's error is raised
    to the caller; this one only stops the waiting kinds)."""


def as_int(value: Any) -> int | None:
    """Domo sends the same id as an int in one endpoint and a string in the next."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class LiveContext:
    """Everything a kind needs to read live state and build calls.

    Users, groups and roles are read once, up front, from bulk endpoints (users list,
    grouplist with members and owners, roles list); every kind resolves references here.
    """

    client: Any
    project: Any
    config: Any = None
    me: dict[str, Any] = field(default_factory=dict)
    users_by_email: dict[str, dict[str, Any]] = field(default_factory=dict)
    users_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups_by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    roles_by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    declared_groups: set[str] = field(default_factory=set)
    declared_roles: set[str] = field(default_factory=set)
    #: Emails of users this plan creates (the users kind's ``prepare``): references to them
    #: resolve to placeholders, as for groups declared in the same plan.
    declared_users: set[str] = field(default_factory=set)
    absent_groups: set[str] = field(default_factory=set)
    #: Roles (by name) whose holders are read from the role's own list, besides the ones the
    #: manifests manage: verify after apply and the stale check name the roles they re-read.
    holder_roles: set[str] = field(default_factory=set)
    group_renames: dict[int, str] = field(default_factory=dict)
    pinned_groups: list[Any] = field(default_factory=list)  # specs with `id`: renames
    duplicate_groups: dict[str, list[int]] = field(default_factory=dict)  # name -> live ids
    issues: list[ConfigIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: (address, field) -> what could not be read there (unknown is not empty).
    unreadable_parts: dict[tuple[str, str], Unreadable] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    _loaded: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _holders: dict[int, list[dict[str, Any]]] | None = field(default=None, repr=False)
    _failed: BaseException | None = field(default=None, repr=False)

    # --- reading -------------------------------------------------------------------------

    async def load_directory(self, *, groups: bool = True, roles: bool = True) -> None:
        """Read the token's user, all users, and (when needed) all groups and roles."""
        tasks = [self._load_users()]  # the token's user is read with the users
        if groups:
            tasks.append(self._load_groups())
        if roles:
            tasks.append(self._load_roles())
        try:
            await asyncio.gather(*tasks)
            await self._complete_users()
            self.note_renames(self.pinned_groups)
            if roles:
                self._note_unknown_roles()
        except BaseException as exc:
            self._failed = exc
            raise
        finally:
            self._loaded.set()

    async def ready(self) -> None:
        """Wait for the directory: kinds start their own reads at once and label the answers
        (ids to emails and names) only when the directory is there."""
        await self._loaded.wait()
        if self._failed is not None:
            raise DirectoryUnavailable("the directory of users, groups and roles was not read")

    def holders(self, role_id: int) -> list[dict[str, Any]]:
        """The users holding a role, from the users list (every user holds exactly one).

        A user whose role could not be read holds none here: the holders of every role are
        then unreadable (``is_unreadable(f"role.{name}", "users")``), not complete.
        """
        if self._holders is None:
            self._holders = {}
            for user in self.users_by_id.values():
                self._holders.setdefault(user.get("roleId") or -1, []).append(user)
        return self._holders.get(role_id, [])

    async def load_me(self) -> None:
        """Read the token's own user, once. Planning does this before anything else: a bad
        token, a host that does not resolve or a refused TLS handshake fails here, once,
        before the reads fan out."""
        if self.me:
            return
        me = await self.client.get(ME_PATH)
        if not isinstance(me, dict) or as_int(me.get("id")) is None:
            # Without the token's own user the self-lockout guard could not work: stop.
            raise ResponseFormatError(
                "the answer names no user id; domogov needs it to protect the token's own access",
                method="GET",
                path=ME_PATH,
            )
        self.me = me

    async def _load_users(self) -> None:
        """Every user with its email and role, wherever this instance puts them.

        The list answers in one piece with no paging hint, and may be cut short (variant
        users_list_truncated) or carry emailAddress/roleId only inside ``attributes`` (variant
        users_attributes_only): parts=DETAILED is asked for, ``attributes`` read when the top
        level lacks them, and emails the manifests name that the list lacks are looked up in
        bulk before anyone calls them unknown. Whether the list was everyone is settled once
        the groups are read too (``_complete_users``).
        """
        answer, _ = await asyncio.gather(
            self.client.get(USERS_PATH, params={"parts": USER_PARTS}), self.load_me()
        )
        listed = _unwrap(answer, "users")
        self._add_users(listed, "GET", USERS_PATH)
        # The token's user missing from the list: the list is not everyone.
        short = self.me_id is not None and self.me_id not in self.users_by_id
        self._merge_me()
        missing = sorted(e for e in referenced_emails(self.config) if e not in self.users_by_email)
        before = len(self.users_by_id)
        await self._search_emails(missing)
        # A user the search finds by email that the list left out: the list was cut short.
        self.cache["users_list_short"] = short or len(self.users_by_id) > before

    async def _complete_users(self) -> None:
        """Read every user through the users search when the list is shown to be incomplete.

        The list has no paging and may stop after the first N users, silently; the holders of
        a role (read from each user's roleId) would then be missing people. The roles whose
        holders the manifests manage are read from their own holder list (a GET per role):
        their holders are then complete whatever the list showed. Signs of a cut list: the
        token's user, a user found by email, a group member or owner, or a role holder the
        list lacks; any of them and the users search, paged, completes the directory.
        """
        short = bool(self.cache.get("users_list_short"))
        short = await self._read_managed_holders() or short
        if not short:
            short = any(
                uid not in self.users_by_id
                for group in self.groups_by_id.values()
                for uid in group["members"] | group["owners"]
            )
        if not short:
            return
        everyone = await self.client.paginate(
            USERS_SEARCH_PATH,
            style="body",
            page_size=SEARCH_PAGE,
            body={"parts": [USER_PARTS]},
            items_key="users",
        )
        self._add_users(everyone, "POST", USERS_SEARCH_PATH)
        self._merge_me()

    async def _read_managed_holders(self) -> bool:
        """Who holds each live role whose users the manifests manage (or delete), or that
        ``holder_roles`` names, from the role's own list; True when it names a user the users
        list did not."""
        wanted: dict[int, str] = {
            role["id"]: name
            for name in self.holder_roles
            if (role := self.roles_by_name.get(name)) is not None
        }
        for spec in getattr(self.config, "roles", None) or []:
            if getattr(spec, "users", None) is None and getattr(spec, "present", True):
                continue
            pinned = as_int(getattr(spec, "id", None))
            role = self.roles_by_id.get(pinned) if pinned is not None else None
            role = role or self.roles_by_name.get(str(getattr(spec, "name", "")))
            if role is not None:
                wanted[role["id"]] = role["name"]
        if not wanted:
            return False
        self.cache["holders_read"] = set(wanted)
        answers = await asyncio.gather(
            *(self.client.get(f"{ROLES_PATH}/{rid}/users") for rid in wanted)
        )
        known = set(self.users_by_id)
        rows: list[dict[str, Any]] = []
        for rid, answer in zip(wanted, answers, strict=True):
            for row in _unwrap(answer, "users"):
                uid = as_int(row.get("userId", row.get("id"))) if isinstance(row, dict) else None
                if uid is None:
                    continue
                rows.append({**row, "id": uid, "emailAddress": row.get("email"), "roleId": rid})
        self._add_users(rows, "GET", f"{ROLES_PATH}/{{id}}/users")
        for row in rows:
            # The role's own list says who holds it now; the users list may be older.
            self.users_by_id[row["id"]]["roleId"] = row["roleId"]
        self._merge_me()
        return any(row["id"] not in known for row in rows)

    async def _search_emails(self, emails: list[str]) -> None:
        """Look users up by email, many per request: a text filter takes whitespace-separated
        terms (the form public clients send), paged to an empty page."""

        async def one(chunk: list[str]) -> None:
            text = " ".join(chunk)
            rows = await self.client.paginate(
                USERS_SEARCH_PATH,
                style="body",
                page_size=SEARCH_PAGE,
                body={
                    "filters": [{"filterType": "text", "field": "emailAddress", "text": text}],
                    "parts": [USER_PARTS],
                },
                items_key="users",
            )
            self._add_users(rows, "POST", USERS_SEARCH_PATH)

        chunks = [
            emails[i : i + EMAILS_PER_SEARCH] for i in range(0, len(emails), EMAILS_PER_SEARCH)
        ]
        await asyncio.gather(*(one(c) for c in chunks))

    def _add_users(self, rows: list[Any], method: str, path: str) -> None:
        """Index users by id and email; a user already known gains what it lacked."""
        for row in rows:
            if not isinstance(row, dict):
                raise ResponseFormatError(
                    f"expected user objects, got {type(row).__name__}", method=method, path=path
                )
            uid = as_int(row.get("id"))
            if uid is None:
                continue
            email = _user_email(row)
            role = as_int(_top_or_attribute(row, "roleId"))
            record = self.users_by_id.get(uid)
            if record is None:
                name = row.get("displayName") or email
                record = {"id": uid, "email": email, "name": name, "roleId": role}
                self.users_by_id[uid] = record
            else:
                record["email"] = record["email"] or email
                record["name"] = record["name"] or row.get("displayName") or email
                if record.get("roleId") is None:
                    record["roleId"] = role
            email = record["email"]
            if not email:
                continue
            other = self.users_by_email.setdefault(email, record)
            if other is not record:
                # Two users with one email: a reference to it would pick one at random.
                raise ResponseFormatError(
                    f"users {other['id']} and {uid} have the same email {email!r}; "
                    "refusing to guess which one is meant",
                    method=method,
                    path=path,
                )
        self._holders = None

    def _merge_me(self) -> None:
        """The token's user, from its own record: its role is what the self-lockout guard
        protects, so it must not depend on the users list showing it (or its role)."""
        uid = self.me_id
        if uid is None:
            return
        row = {**self.me, "id": uid}
        self._add_users([row], "GET", ME_PATH)
        role = as_int(_top_or_attribute(row, "roleId"))
        if role is not None:
            self.users_by_id[uid]["roleId"] = role

    def _note_unknown_roles(self) -> None:
        """A user whose role cannot be read may hold any role: that role's holders are unknown.

        Every role's ``users`` is then unreadable (listed in the plan; a kind refuses to plan
        from it), except the roles whose holders were read from their own list (the ones the
        manifests manage): "holds no role" would plan moves from a guess.
        """
        roleless = sorted(uid for uid, u in self.users_by_id.items() if u.get("roleId") is None)
        if not roleless:
            return
        named = ", ".join(
            f"{uid} ({self.users_by_id[uid]['email'] or 'no email'})" for uid in roleless[:5]
        )
        if len(roleless) > 5:
            named += f" and {len(roleless) - 5} more"
        reason = (
            f"(parts={USER_PARTS}) gives no roleId for user(s) {named}, so who holds this role "
            "is not known"
        )
        read: set[int] = self.cache.get("holders_read", set())
        for name, role in self.roles_by_name.items():
            if role["id"] not in read:
                self.unreadable(f"role.{name}", "users", f"GET {USERS_PATH}", reason)

    async def grouplist(self) -> list[dict[str, Any]]:
        """Every grouplist row (members and owners included), read as fast as paging allows."""
        return await self._pages(GROUPLIST_PATH, {"sort": "name", "ascending": "true"})

    async def _load_groups(self) -> None:
        for row in await self.grouplist():
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
            self.groups_by_id[gid] = group
            if group["name"] in self.groups_by_name:
                # Domo refuses duplicate names on create, but the list may still hold two
                # (renames, old data). A name then cannot say which one is meant.
                first = self.groups_by_name[group["name"]]["id"]
                self.duplicate_groups.setdefault(group["name"], [first]).append(gid)
            self.groups_by_name[group["name"]] = group

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
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
        window = max(1, min(getattr(self.client, "max_concurrency", 8), 8))
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
                    self.client.get(path, params={**params, "offset": o, "limit": GROUPLIST_PAGE})
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

    async def _load_roles(self) -> None:
        for row in _unwrap(await self.client.get(ROLES_PATH), None):
            rid = as_int(row.get("id"))
            if rid is None:
                continue
            role = {"id": rid, "name": row.get("name", ""), "description": row.get("description")}
            self.roles_by_id[rid] = role
            self.roles_by_name[role["name"]] = role

    # --- references ----------------------------------------------------------------------

    @property
    def me_id(self) -> int | None:
        return as_int(self.me.get("id"))

    @property
    def parallelism(self) -> int:
        """How many reads a kind keeps in flight: the client's own bound."""
        return int(getattr(self.client, "max_concurrency", 8))

    def where(self, spec: Any, *path: Any) -> Location | None:
        if self.config is None:
            return None
        location: Location = self.config.where(spec, *path)
        return location

    # --- unknown is not empty ----------------------------------------------------------

    def unreadable(self, address: str, field: str, endpoint: str, reason: str) -> None:
        """Record that ``field`` of the live object at ``address`` could not be read.

        ``reason`` completes ``<endpoint> ...``: ``has no additionalRecipients``, ``answers
        level 'SUPER' (unknown)``. The part is then neither compared nor written; the plan
        lists it, and refuses a manifest that manages it (``refuse_unreadable``).
        """
        self.unreadable_parts[(address, field)] = Unreadable(address, field, endpoint, reason)

    def is_unreadable(self, address: str, field: str) -> bool:
        return (address, field) in self.unreadable_parts

    def refuse_unreadable(self, spec: Any, address: str, field: str, label: str = "") -> bool:
        """A plan error when the manifests manage a part that could not be read; True then.

        Never plan a removal or a replacement from an unknown: the error names the object,
        the endpoint and the field, and nothing is sent.
        """
        part = self.unreadable_parts.get((address, field))
        if part is None:
            return False
        self.problem(
            spec,
            (field,),
            label or field,
            f"{part.endpoint} {part.reason}, so the live '{field}' is unknown; domogov will "
            "not change it from an unknown (SPEC: unknown is not empty). Remove "
            f"'{field}' from this object to leave it unmanaged, or check the instance with "
            "`domogov doctor`",
        )
        return True

    def problem(self, spec: Any, path: tuple[Any, ...], field_path: str, message: str) -> None:
        """Record a manifest problem at the spec's location.

        Kinds resolve each reference first with its spec (so a problem has a location), then
        again while building calls, without one: that second report says nothing new.
        """
        if spec is None and any(i.message == message for i in self.issues):
            return
        address = str(getattr(spec, "address", "") or "")
        self.issues.append(ConfigIssue(self.where(spec, *path), field_path, message, address))

    def user_id(
        self, email: str, spec: Any = None, path: tuple[Any, ...] = (), label: str = ""
    ) -> int | str | None:
        """The id of the user with this email, a placeholder for a user this plan creates
        (``declared_users``), or None (an issue, with its location)."""
        user = self.users_by_email.get(email.lower())
        if user is None and email.lower() in self.declared_users:
            return placeholder(f"user.{email.lower()}")
        if user is None:
            self.problem(spec, path, label, f"unknown user {email!r}: no such user in Domo")
            return None
        return as_int(user["id"])

    def email_of(self, user_id: Any) -> str:
        user = self.users_by_id.get(as_int(user_id) or -1)
        # A user whose email could not be read is known by its id, never by "".
        return user["email"] if user and user["email"] else f"user-id:{user_id}"

    def group_ref(
        self, name: str, spec: Any = None, path: tuple[Any, ...] = (), label: str = ""
    ) -> Any:
        """A live group's id, a placeholder for a group this plan creates, or None (an issue)."""
        group = self.groups_by_name.get(name)
        if name in self.duplicate_groups and spec is not None:
            self.problem(spec, path, label, self.ambiguous_group(name))
            return None
        if name in self.absent_groups and spec is not None:
            self.problem(
                spec, path, label, f"group {name!r} is referenced here but marked ensure: absent"
            )
            return None
        if group is not None:
            return group["id"]
        if name in self.declared_groups:
            return placeholder(f"group.{name}")
        self.problem(
            spec, path, label, f"unknown group {name!r}: not in Domo and not declared in groups"
        )
        return None

    def ambiguous_group(self, name: str) -> str:
        ids = ", ".join(str(i) for i in self.duplicate_groups[name])
        return (
            f"{len(self.duplicate_groups[name])} live groups are named {name!r} (ids {ids}); "
            "rename one in Domo, or pin the one meant with `id` in groups"
        )

    def group_name(self, group_id: Any) -> str:
        gid = as_int(group_id) or -1
        if gid in self.group_renames:
            return self.group_renames[gid]
        group = self.groups_by_id.get(gid)
        return group["name"] if group else f"group-id:{group_id}"

    def note_renames(self, specs: list[Any]) -> None:
        """A group renamed through a pinned id is known by its new name everywhere else.

        Without this, a share to the renamed group would look like a grant to a new group plus
        a revoke of the old one: two calls on the same principal, the second undoing the first.
        """
        for spec in specs:
            pinned = as_int(getattr(spec, "id", None))
            group = self.groups_by_id.get(pinned) if pinned is not None else None
            if pinned is not None and group is not None and group["name"] != spec.name:
                self.group_renames[pinned] = spec.name
                self.groups_by_name[spec.name] = group

    def role_ref(
        self, name: str, spec: Any = None, path: tuple[Any, ...] = (), label: str = ""
    ) -> Any:
        role = self.roles_by_name.get(name)
        if role is not None:
            return role["id"]
        if name in self.declared_roles:
            return placeholder(f"role.{name}")
        self.problem(
            spec, path, label, f"unknown role {name!r}: not in Domo and not declared in roles"
        )
        return None

    def principal_label(self, kind: str, ident: Any) -> str:
        """Display form of a USER/GROUP principal: ``user:alice@x.com`` / ``group:Finance``."""
        if kind.upper() == "GROUP":
            return f"group:{self.group_name(ident)}"
        return f"user:{self.email_of(ident)}"

    def principal_id(
        self, label: str, spec: Any = None, path: tuple[Any, ...] = (), field_path: str = ""
    ) -> tuple[str, Any]:
        """Inverse of principal_label: ``("USER", 1002)`` or ``("GROUP", 501 | placeholder)``."""
        kind, _, name = label.partition(":")
        if kind in ("user-id", "group-id"):
            # A principal Domo knows only by id (no longer in the directory): act on the id.
            return ("GROUP" if kind == "group-id" else "USER"), as_int(name)
        if kind == "group":
            return "GROUP", self.group_ref(name, spec, path, field_path)
        if kind == "email":
            return "EMAIL", name
        return "USER", self.user_id(name, spec, path, field_path)


def _user_ids(principals: Any) -> set[int | None]:
    return {
        as_int(p.get("id"))
        for p in principals or []
        if isinstance(p, dict) and str(p.get("type", "USER")).upper() == "USER"
    }


def _top_or_attribute(row: dict[str, Any], key: str) -> Any:
    """``row[key]``, or the first value of the ``attributes`` entry ``{key, values}``.

    001's user object carries ``attributes: [{key, values}]``; some instances put emailAddress
    and roleId only there (variant users_attributes_only)."""
    value = row.get(key)
    if value is not None and value != "":
        return value
    attributes = row.get("attributes")
    if not isinstance(attributes, list):
        return None
    for entry in attributes:
        if isinstance(entry, dict) and entry.get("key") == key:
            values = entry.get("values")
            if isinstance(values, list):
                return values[0] if values else None
            return values
    return None


def _user_email(row: dict[str, Any]) -> str:
    for key in ("emailAddress", "email"):
        value = _top_or_attribute(row, key)
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


def email_lookup(ctx: LiveContext) -> Callable[[Any], str]:
    """``ctx.email_of``, memoised on the context.

    The same users recur across thousands of groups (and again in the access impact): each
    id is looked up once per context.  Only for use once the directory is read (``ready()``).
    """
    lookup: Callable[[Any], str] | None = ctx.cache.get("email_of")
    if lookup is None:
        lookup = ctx.cache["email_of"] = functools.cache(ctx.email_of)
    return lookup
