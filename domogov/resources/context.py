"""The live context kinds share: the client, the directory of users/groups/roles, issues found."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domogov.core.address import placeholder
from domogov.core.changes import Unreadable
from domogov.errors import ConfigIssue, Location, ResponseFormatError

USERS_PATH = "/api/identity/v1/users"
ME_PATH = "/api/content/v2/users/me"
GROUPLIST_PATH = "/api/content/v2/groups/grouplist"
ROLES_PATH = "/api/authorization/v1/roles"
GROUPLIST_PAGE = 100
MAX_PAGES = 1_000  # 100,000 groups: a grouplist that never ends is an error, not a hang
UNMANAGEABLE_GROUP_TYPES = {"dynamic", "directory", "system"}


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
    absent_groups: set[str] = field(default_factory=set)
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
        tasks = [self.load_me(), self._load_users()]
        if groups:
            tasks.append(self._load_groups())
        if roles:
            tasks.append(self._load_roles())
        try:
            await asyncio.gather(*tasks)
            self.note_renames(self.pinned_groups)
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
        """The users holding a role, from the users list (every user holds exactly one)."""
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
        answer = await self.client.get(USERS_PATH)
        for user in _unwrap(answer, "users"):
            uid = as_int(user.get("id"))
            email = str(user.get("emailAddress") or user.get("email") or "").strip().lower()
            if uid is None:
                continue
            record = {"id": uid, "email": email, "name": user.get("displayName") or email}
            record["roleId"] = as_int(user.get("roleId"))
            self.users_by_id[uid] = record
            if email:
                self.users_by_email[email] = record

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
        """An offset/limit list read a window of pages at a time, until a short page.

        grouplist has no total count, so pages are fetched speculatively, as many at once as
        requests may be in flight: at most one window of empty pages is wasted, against one
        round trip per page when read one after another.
        """
        window = max(1, min(getattr(self.client, "max_concurrency", 8), 8))
        rows: list[dict[str, Any]] = []
        offset = 0
        for _ in range(MAX_PAGES // window + 1):
            offsets = [offset + i * GROUPLIST_PAGE for i in range(window)]
            pages = await asyncio.gather(
                *(
                    self.client.get(path, params={**params, "offset": o, "limit": GROUPLIST_PAGE})
                    for o in offsets
                )
            )
            for page in pages:
                if not isinstance(page, list):
                    raise ResponseFormatError(
                        f"expected a list of groups, got {type(page).__name__}",
                        method="GET",
                        path=path,
                    )
                rows.extend(page)
                if len(page) < GROUPLIST_PAGE:
                    return rows
            offset += window * GROUPLIST_PAGE
        raise ResponseFormatError(
            f"more than {MAX_PAGES} pages; giving up", method="GET", path=path
        )

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
    ) -> int | None:
        """The id of the user with this email; an issue (with its location) when unknown."""
        user = self.users_by_email.get(email.lower())
        if user is None:
            self.problem(spec, path, label, f"unknown user {email!r}: no such user in Domo")
            return None
        return as_int(user["id"])

    def email_of(self, user_id: Any) -> str:
        user = self.users_by_id.get(as_int(user_id) or -1)
        return user["email"] if user else f"user-id:{user_id}"

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
