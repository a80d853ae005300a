"""Checks across objects, made once every file is read: duplicates, roles, references."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from domogov.errors import ConfigIssue
from domogov.resources.dataset_share import DatasetShareSpec
from domogov.resources.group import GroupSpec
from domogov.resources.role import RoleSpec
from domogov.resources.user import UserSpec
from domogov.spec.base import Spec

if TYPE_CHECKING:
    from domogov.config.manifest import Config

T = TypeVar("T", bound=Spec)


def cross_checks(config: Config) -> list[ConfigIssue]:
    """Every problem that needs more than one object to see."""
    return [
        *_declared_twice(config),
        *_pinned_twice(config),
        *_users_in_two_roles(config),
        *_role_managed_twice(config),
        *_granted_twice(config),
        *_owners_emptied(config),
        *_references_to_absent(config),
    ]


def _of(config: Config, section: str, model: type[T]) -> list[T]:
    """The objects of one section, typed."""
    return [spec for spec in config.section(section) if isinstance(spec, model)]


def _issue(config: Config, spec: Any, *path: str | int, message: str) -> ConfigIssue:
    loc, data_path = config.locate(spec, *path)
    return ConfigIssue(loc, data_path, message, str(getattr(spec, "address", "") or ""))


def _declared_twice(config: Config) -> list[ConfigIssue]:
    issues = []
    first: dict[tuple[str, str], Spec] = {}
    for spec in config.specs():
        kind, key = spec.kind, spec.identity_key()
        # Domo compares names without regard to case, so "finance" would collide with "Finance".
        if spec.names_fold_case:
            key = key.casefold()
        prev = first.setdefault((kind, key), spec)
        if prev is not spec:
            message = f"declared twice: first at {config.where(prev)}"
            issues.append(_issue(config, spec, message=message))
    return issues


def _pinned_twice(config: Config) -> list[ConfigIssue]:
    issues = []
    first: dict[tuple[type, int], Spec] = {}
    for spec in config.specs():
        pinned = getattr(spec, "id", None)
        if pinned is None:
            continue
        prev = first.setdefault((type(spec), pinned), spec)
        if prev is not spec:
            message = (
                f"id {pinned} is pinned by {spec.label()} and by {prev.label()} "
                f"at {config.where(prev)}"
            )
            issues.append(_issue(config, spec, "id", message=message))
    return issues


def _users_in_two_roles(config: Config) -> list[ConfigIssue]:
    issues = []
    holder: dict[str, tuple[RoleSpec, int]] = {}
    for role in _of(config, "roles", RoleSpec):
        if not role.present or role.users is None:
            continue
        for i, email in enumerate(role.users.items):
            prev = holder.setdefault(email, (role, i))
            if prev[0] is not role and prev[0].name != role.name:
                where = config.where(prev[0], "users", prev[1])
                message = (
                    f"user '{email}' is in two roles: {role.label()} and {prev[0].label()} "
                    f"at {where}; a user holds exactly one role"
                )
                issues.append(_issue(config, role, "users", i, message=message))
    return issues


def _role_managed_twice(config: Config) -> list[ConfigIssue]:
    """A user's role is managed in users[].role or in roles[].users, never both: two places
    would each move the user back to their own role on every apply."""
    listed: dict[str, tuple[RoleSpec, int]] = {}
    authoritative: dict[str, RoleSpec] = {}
    for role in _of(config, "roles", RoleSpec):
        if not role.present or role.users is None:
            continue
        if role.users.authoritative:
            authoritative[role.name] = role
        for i, email in enumerate(role.users.items):
            listed.setdefault(email.lower(), (role, i))
    issues = []
    for user in _of(config, "users", UserSpec):
        if not user.present or user.role is None:
            continue
        email = user.email.lower()
        if email in listed:
            role, i = listed[email]
            message = (
                f"the role of '{email}' is managed twice: here (role: {user.role}) and in "
                f"{role.label()} users at {config.where(role, 'users', i)}; manage a user's "
                "role in one place"
            )
            issues.append(_issue(config, user, "role", message=message))
        elif user.role in authoritative:
            role = authoritative[user.role]
            message = (
                f"'{email}' is given {role.label()} here, but that role's users list at "
                f"{config.where(role, 'users')} is authoritative and does not name them; add "
                "them there instead (a user's role is managed in one place)"
            )
            issues.append(_issue(config, user, "role", message=message))
    return issues


def _granted_twice(config: Config) -> list[ConfigIssue]:
    issues = []
    for share in _of(config, "dataset_shares", DatasetShareSpec):
        if share.grants is None:
            continue
        seen: dict[tuple[str, str], int] = {}
        for i, grant in enumerate(share.grants.items):
            who = ("user", grant.user) if grant.user is not None else ("group", str(grant.group))
            j = seen.setdefault(who, i)
            if j != i:
                other = share.grants.items[j]
                message = (
                    f"{who[0]} '{who[1]}' is granted twice in this share ({other.access.value} "
                    f"at {config.where(share, 'grants', j)}, then {grant.access.value}); "
                    "keep one grant"
                )
                issues.append(_issue(config, share, "grants", i, message=message))
    return issues


def _owners_emptied(config: Config) -> list[ConfigIssue]:
    return [
        _issue(
            config,
            group,
            "owners",
            message="[] would remove every owner; a group keeps at least one owner "
            "(omit 'owners' to leave them unmanaged)",
        )
        for group in _of(config, "groups", GroupSpec)
        if group.present
        and group.owners is not None
        and group.owners.authoritative
        and not group.owners.items
    ]


def _references_to_absent(config: Config) -> list[ConfigIssue]:
    """A reference to a group or role that the manifests themselves ask to delete."""
    absent_groups = {g.name: g for g in _of(config, "groups", GroupSpec) if not g.present}
    absent_roles = {r.name: r for r in _of(config, "roles", RoleSpec) if not r.present}
    issues = []

    def check(
        spec: Any, name: str | None, table: dict[str, Any], kind: str, *path: str | int
    ) -> None:
        if name in table:
            message = (
                f"{kind} '{name}' is referenced here but declared with ensure: absent "
                f"at {config.where(table[name])}"
            )
            issues.append(_issue(config, spec, *path, message=message))

    for spec in config.specs():
        if not spec.present:
            continue
        for field in ("grants", "subscribers", "recipients"):
            collection = getattr(spec, field, None)
            for i, item in enumerate(collection.items if collection else ()):
                check(spec, item.group, absent_groups, "group", field, i)
        if isinstance(spec, RoleSpec):
            check(spec, spec.from_role, absent_roles, "role", "from_role")
    project = config.project
    check(project, project.default_role, absent_roles, "role", "default_role")
    return issues
