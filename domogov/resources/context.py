"""The live context kinds share: the client, the directory of users/groups/roles (read into it
by ``directory``), reference resolution, renames, unreadable parts, issues found."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domogov.core.address import placeholder
from domogov.core.changes import Unreadable
from domogov.errors import ConfigIssue, Location

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
    grouplist with members and owners, roles list: ``directory.load_directory``); every kind
    resolves references here.
    """

    client: Any
    project: Any
    config: Any = None
    me: dict[str, Any] = field(default_factory=dict)
    users_by_email: dict[str, dict[str, Any]] = field(default_factory=dict)
    users_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Each user's row as the directory read it (parts=DETAILED: display name, role and the
    #: profile keys), by id: the users kind plans from these instead of reading them again.
    user_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
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

    # --- the directory, as ``directory`` reads it ------------------------------------------

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

    def users_changed(self) -> None:
        """Users were indexed (``directory``): the holders of each role are counted again."""
        self._holders = None

    def directory_read(self, failed: BaseException | None = None) -> None:
        """The directory read is over (``failed``: with that error): the kinds waiting in
        ``ready()`` go on, or stop with DirectoryUnavailable."""
        if failed is not None:
            self._failed = failed
        self._loaded.set()

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


def email_lookup(ctx: LiveContext) -> Callable[[Any], str]:
    """``ctx.email_of``, memoised on the context.

    The same users recur across thousands of groups (and again in the access impact): each
    id is looked up once per context.  Only for use once the directory is read (``ready()``).
    """
    lookup: Callable[[Any], str] | None = ctx.cache.get("email_of")
    if lookup is None:
        lookup = ctx.cache["email_of"] = functools.cache(ctx.email_of)
    return lookup
