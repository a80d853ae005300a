"""Users: who exists, with which display name, role and profile attributes.

```yaml
users:                                  # identity key: email (case-insensitive)
  - email: dana@example.com
    display_name: Dana Lee              # required to create
    role: Data Steward                  # required to create; here OR in roles[].users
    title: Analyst                      # title, department, phone, employee_id:
    department: Finance                 #   unmanaged when omitted
  - { email: leaver@example.com, ensure: absent }
```
Joiners are created with ``POST /api/identity/v1/users`` (``{displayName, emailAddress,
roleId}``, 001 Users API); the profile keys of a new user follow in one ``PATCH`` of the same
change (001 documents them on update, not on create). Movers are one ``PATCH`` of the keys that
differ, flat (``title``, ``department``, ``phoneNumber``, ``employeeId``). Leavers are one
``DELETE``; ``prune: {users: {match: "*@contractor.example"}}`` deletes undeclared users whose
email matches. The token's own user is never deleted or given another role.

Live state: the declared users are read through the users search (``parts=DETAILED``), 50
emails per text filter, or the whole search paged when many users are declared (export). A
profile key the answer leaves out is read as empty: Domo omits empty attributes, and a wrong
empty can only make domogov write the manifest's own value again, never remove one. A user
whose ``roleId`` cannot be read has an unreadable ``role`` (refused when managed).

Users created here resolve in every other kind of the same plan (group members, role users,
grants) through placeholders: the directory knows the emails declared here (``prepare``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict

from pydantic import Field, StrictStr
from ruamel.yaml.comments import CommentedMap

from domogov.client.shapes import Shape
from domogov.core.address import placeholder
from domogov.core.changes import Action, ApiCall, Change
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import (
    delete_change,
    ensure_absent,
    is_protected,
    make_change,
)
from domogov.resources.context import LiveContext, as_int
from domogov.resources.directory import SEARCH_PAGE, search_emails, user_email, user_value
from domogov.resources.export_api import ExportSession, valid
from domogov.resources.impact import ImpactView
from domogov.resources.role import BUILTIN_ROLES
from domogov.spec.base import ENSURE_DOC, Spec
from domogov.spec.types import Email, Ensure, EnsureState, Name

USERS_PATH = "/api/identity/v1/users"
SEARCH_PATH = "/api/identity/v1/users/search"
ROLES_PATH = "/api/authorization/v1/roles"
#: 001 Users API parts; DETAILED carries roleId and the profile keys at the top level.
PARTS = "DETAILED"
#: Manifest key -> the Users API key (flat form; 001 shows ``phoneNumber``).
PROFILE: Mapping[str, str] = {
    "title": "title",
    "department": "department",
    "phone": "phoneNumber",
    "employee_id": "employeeId",
}
#: Other spellings an answer may use for a profile key (003's PHP client: employeeNumber).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "phoneNumber": ("phoneNumber", "phone"),
    "employeeId": ("employeeId", "employeeNumber"),
}
SCALARS = ("display_name", "role", *PROFILE)


class UserSpec(Spec):
    """A Domo user; identity is ``email`` (case-insensitive)."""

    kind: ClassVar[str] = "user"
    names_fold_case: ClassVar[bool] = True

    email: Email = Field(description="The user's email; the identity key (case-insensitive).")
    display_name: Name | None = Field(
        None, description="Display name; required to create. Omitted: unmanaged."
    )
    role: Name | None = Field(
        None,
        description="Role name; required to create. A user's role is managed here or in "
        "roles[].users, never both. Omitted: unmanaged.",
    )
    title: StrictStr | None = Field(None, description="Job title. Omitted: unmanaged.")
    department: StrictStr | None = Field(None, description="Department. Omitted: unmanaged.")
    phone: StrictStr | None = Field(None, description="Phone number. Omitted: unmanaged.")
    employee_id: StrictStr | None = Field(None, description="Employee id. Omitted: unmanaged.")
    ensure: EnsureState = Field(Ensure.PRESENT, description=ENSURE_DOC)

    def identity_key(self) -> str:
        return self.email.lower()


class UserLive(TypedDict, total=False):
    """A live user as plans compare it; the profile keys are absent for a pruned user (the
    directory read does not carry them)."""

    id: int
    email: str
    display_name: str
    role: str | None
    title: str
    department: str
    phone: str
    employee_id: str


def _value(row: Mapping[str, Any], key: str) -> Any:
    """``row[key]`` under any of its aliases, else its ``attributes`` entry."""
    return user_value(row, *ALIASES.get(key, (key,)))


class UserKind(KindBase[UserSpec, UserLive]):
    """The ``user`` kind."""

    name = "user"
    section = "users"
    spec_model = UserSpec
    identity_fields = ("email",)
    plural = "users"
    prunable = True
    prune_doc = "users (match: a glob of emails)"
    protect_doc = "users (emails)"
    # Before groups (10): a user created here can be a member of a group in the same plan,
    # and ``prepare`` must tell the directory about declared users before groups plan.
    plan_order = 5
    section_doc = "Domo users: display name, role and profile (joiners, movers, leavers)."
    activity_types = ("USER",)
    # The users search and the role authorities read are registered by the directory and
    # the role kind.
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {}

    # --- reading ---------------------------------------------------------------------------

    async def _rows(self, ctx: LiveContext, emails: list[str]) -> dict[str, dict[str, Any]]:
        """The DETAILED rows of these users, by lower-cased email (absent: no such user),
        through the users search; a text filter matches substrings: exact emails are kept."""
        wanted = set(emails)
        rows = await search_emails(ctx.client, emails) if emails else []
        return {
            user_email(row): row
            for row in rows
            if isinstance(row, dict) and user_email(row) in wanted
        }

    async def _everyone(self, ctx: LiveContext) -> list[dict[str, Any]]:
        """Every user's DETAILED row: the list, or the paged search when the list is not
        everyone (one probe past its end tells)."""
        answer = await ctx.client.get(USERS_PATH, params={"parts": PARTS})
        listed = answer.get("users") if isinstance(answer, dict) else answer
        rows = [r for r in listed or [] if isinstance(r, dict)]
        probe = await ctx.client.request(
            "POST",
            SEARCH_PATH,
            json={"offset": len(rows), "limit": 1, "parts": [PARTS]},
            idempotent=True,
        )
        if isinstance(probe, dict) and probe.get("users"):
            rows = await ctx.client.paginate(
                SEARCH_PATH,
                style="body",
                page_size=SEARCH_PAGE,
                body={"parts": [PARTS]},
                items_key="users",
                stop_on="empty",
            )
        return [r for r in rows if isinstance(r, dict) and user_email(r)]

    def normalise(self, ctx: LiveContext, row: Mapping[str, Any]) -> UserLive:
        email = user_email(row)
        address = f"user.{email}"
        rid = as_int(_value(row, "roleId"))
        if rid is None:
            ctx.unreadable(
                address,
                "role",
                f"POST {SEARCH_PATH}",
                f"(parts={PARTS}) gives no roleId for {email}",
            )
            role = None
        else:
            known = ctx.roles_by_id.get(rid)
            role = known["name"] if known else f"role-id:{rid}"
        live: UserLive = {
            "id": int(row["id"]),
            "email": email,
            "display_name": str(_value(row, "displayName") or ""),
            "role": role,
        }
        for field, key in PROFILE.items():
            value = _value(row, key)
            live[field] = "" if value is None else str(value)  # type: ignore[literal-required]
        return live

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, UserLive]:
        emails = sorted({str(k["email"]).lower() for k in keys})
        if not emails:
            return {}
        await ctx.ready()
        # The directory has read every user it could (parts=DETAILED, the same rows a
        # read here would give). A declared user it lacks is searched for before being
        # called new: the list may be cut short where nothing showed it (SPEC §5).
        rows: dict[str, dict[str, Any]] = {}
        for email in emails:
            known = ctx.users_by_email.get(email)
            row = ctx.user_rows.get(known["id"]) if known else None
            if row is not None and user_email(row) == email:
                rows[email] = row
        rows.update(await self._rows(ctx, [e for e in emails if e not in rows]))
        return {
            f"user.{email}": self.normalise(ctx, row)
            for email, row in rows.items()
            if as_int(row.get("id")) is not None
        }

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, UserLive]:
        scope = ctx.project.prune_scope(self.section)
        if scope is None:
            return {}
        await ctx.ready()
        out: dict[str, UserLive] = {}
        for email, user in ctx.users_by_email.items():
            if not _in_scope(scope, email) or user["id"] == ctx.me_id:
                continue  # the token's own user is never pruned
            if is_protected(ctx.project, self.section, email, user["id"]):
                continue
            role = ctx.roles_by_id.get(user.get("roleId") or -1)
            out[f"user.{email}"] = {
                "id": user["id"],
                "email": email,
                "display_name": user.get("name") or "",
                "role": role["name"] if role else None,
            }
        return out

    # --- planning --------------------------------------------------------------------------

    def prepare(self, ctx: LiveContext, desired: list[UserSpec]) -> None:
        # Users this plan creates: other kinds resolve them to placeholders (users plan first).
        ctx.declared_users.update(s.email.lower() for s in desired if not ensure_absent(s))

    def prune(self, ctx: LiveContext, address: str, before: UserLive) -> Change | None:
        return self._delete(ctx, address, before, pruned=True)

    def _delete(
        self, ctx: LiveContext, address: str, before: UserLive, *, pruned: bool = False
    ) -> Change:
        call = ApiCall("DELETE", f"{USERS_PATH}/{before['id']}")
        change = delete_change(
            self.name, address, {"email": before["email"]}, before, [call], pruned=pruned
        )
        warning = (
            f"{address}: deleting a user; Domo may ask for their content (cards, pages, "
            "datasets, alerts) to be reassigned first"
        )
        change.notes.append("Domo may need their content reassigned")
        ctx.warnings.append(warning)
        return change

    def plan_one(
        self, ctx: LiveContext, spec: UserSpec, before: UserLive | None, index: int
    ) -> Change | None:
        address, email = self.address_of(spec), spec.email.lower()
        label = f"users[{index}]"
        me = ctx.email_of(ctx.me_id) if ctx.me_id is not None else None
        if ensure_absent(spec):
            if before is None:
                return None
            if email == me:
                ctx.problem(
                    spec,
                    ("ensure",),
                    f"{label}.ensure",
                    f"{email} is the user of domogov's own token; domogov never deletes it",
                )
                return None
            return self._delete(ctx, address, before)
        if before is None:
            return self._create(ctx, spec, address, label)
        if spec.role is not None and ctx.refuse_unreadable(spec, address, "role", f"{label}.role"):
            return None
        after: dict[str, Any] = dict(before)
        body: dict[str, Any] = {}
        deps: set[str] = set()
        if spec.display_name is not None and spec.display_name != before.get("display_name"):
            after["display_name"] = spec.display_name
            body["displayName"] = spec.display_name
        if spec.role is not None and spec.role != before.get("role"):
            if email == me:
                ctx.problem(
                    spec,
                    ("role",),
                    f"{label}.role",
                    f"{email} is the user of domogov's own token; domogov never changes its "
                    f"role ({before.get('role')} -> {spec.role})",
                )
                return None
            rid = ctx.role_ref(spec.role, spec, ("role",), f"{label}.role")
            if rid is None:
                return None
            after["role"] = spec.role
            body["roleId"] = rid
            if isinstance(rid, str):
                deps.add(f"role.{spec.role}")
        for field, key in PROFILE.items():
            value = getattr(spec, field)
            if value is not None and value != before.get(field):
                after[field] = value
                body[key] = value
        calls = [ApiCall("PATCH", f"{USERS_PATH}/{before['id']}", body=body)] if body else []
        return make_change(
            kind=self.name,
            address=address,
            key={"email": email},
            before=before,
            after=after,
            calls=calls,
            depends_on=deps,
        )

    def _create(self, ctx: LiveContext, spec: UserSpec, address: str, label: str) -> Change | None:
        missing = [f for f in ("display_name", "role") if getattr(spec, f) is None]
        if missing:
            ctx.problem(
                spec,
                (),
                label,
                f"user {spec.email} does not exist in Domo; creating it needs "
                f"{' and '.join(missing)}",
            )
            return None
        rid = ctx.role_ref(str(spec.role), spec, ("role",), f"{label}.role")
        if rid is None:
            return None
        calls = [
            ApiCall(
                "POST",
                USERS_PATH,
                body={
                    "displayName": spec.display_name,
                    "emailAddress": spec.email.lower(),
                    "roleId": rid,
                },
                idempotent=False,
                produces=address,
            )
        ]
        after: dict[str, Any] = {
            "email": spec.email.lower(),
            "display_name": spec.display_name,
            "role": spec.role,
        }
        profile = {
            key: getattr(spec, field)
            for field, key in PROFILE.items()
            if getattr(spec, field) is not None
        }
        for field in PROFILE:
            after[field] = getattr(spec, field) or ""
        if any(profile.values()):
            path = f"{USERS_PATH}/{placeholder(address)}"
            calls.append(ApiCall("PATCH", path, body={k: v for k, v in profile.items() if v}))
        return make_change(
            kind=self.name,
            address=address,
            key={"email": spec.email.lower()},
            before=None,
            after=after,
            calls=calls,
            depends_on={f"role.{spec.role}"} if isinstance(rid, str) else set(),
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        rows = await self._rows(ctx, [str(change.key["email"]).lower()])
        row = rows.get(str(change.key["email"]).lower())
        return None if row is None else as_int(row.get("id"))

    # --- export, drift, impact -------------------------------------------------------------

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every user, sorted by email. A user's role is exported here only when the roles
        export does not list the role's users (a role is managed in one place only)."""
        if not session.wants(self.section):
            return
        rows = await self._everyone(ctx)
        session.start("Users", len(rows))
        roles_listed = session.wants("roles")
        nodes: list[CommentedMap] = []
        for row in sorted(rows, key=user_email):
            user = self.normalise(ctx, row)
            rid = as_int(_value(row, "roleId"))
            in_roles = roles_listed and (session.include_builtin or rid not in BUILTIN_ROLES)
            node = _export_node(user, with_role=not in_roles)
            if valid(UserSpec, node, f"user {user['email']}", session.warnings):
                nodes.append(node)
            session.advance()
        notes = [
            "Sorted by email. `role` is left out for users whose role's users list is exported "
            "in roles (a user's role is managed in one place only)."
        ]
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        # A create has no live id (the user was deleted in Domo, or never made): "" asks drift
        # to match rows by the user's names instead.
        uid = (change.before or change.after or {}).get("id")
        return [("USER", "" if uid is None else str(uid))]

    def activity_names(self, change: Change) -> list[str]:
        """A row names a user by email or display name (never by ``title``: a job title)."""
        names: list[str] = []
        for state in (change.before, change.after):
            for key in ("email", "display_name"):
                value = (state or {}).get(key)
                if isinstance(value, str) and value.strip() and value not in names:
                    names.append(value)
        return names

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """A new user gains their role's authorities, their groups and their grants; a deleted
        user loses everything they hold, listed; a role change moves authorities."""
        out: list[dict[str, Any]] = []
        for change in view.changes:
            if change.kind != self.name:
                continue
            email = str(change.key["email"])
            if change.action == Action.CREATE:
                role = (change.after or {}).get("role")
                holds = [f"role {role}{await _authorities(ctx, role)}"]
                holds += _plan_grants(view, email)
                text = f"+ {email}  joins: " + "; ".join(holds)
                out.append(_entry("+", email, change.address, text))
            elif change.action == Action.DELETE:
                before = change.before or {}
                loses = [f"role {before.get('role')}", *_live_holdings(ctx, before.get("id"))]
                text = f"- {email}  leaves, losing: " + "; ".join(loses)
                out.append(_entry("-", email, change.address, text))
            else:
                was, now = (change.before or {}).get("role"), (change.after or {}).get("role")
                if was != now:
                    text = f"~ {email}  role {was} -> {now}{await _authorities(ctx, now)}"
                    out.append(_entry("~", email, change.address, text))
        return out


def _in_scope(scope: Any, email: str) -> bool:
    # Emails compare without regard to case: the glob is matched on the lower-cased email.
    match = getattr(scope, "match", None)
    return match is None or fnmatch.fnmatchcase(email, str(match).lower())


def _entry(sign: str, email: str, address: str, text: str) -> dict[str, Any]:
    return {"type": "user", "sign": sign, "user": email, "object": address, "text": text}


async def _authorities(ctx: LiveContext, role: Any) -> str:
    """`` (authorities: a, b)`` of a live role, read once per role; "" when unknown."""
    found = ctx.roles_by_name.get(str(role))
    if found is None:
        return ""
    cache: dict[int, list[str]] = ctx.cache.setdefault("user_role_authorities", {})
    if found["id"] not in cache:
        answer = await ctx.client.get(f"{ROLES_PATH}/{found['id']}/authorities")
        # Names, as the role kind reads them (objects with ``authority`` accepted too).
        names = [
            str(a.get("authority") if isinstance(a, dict) else a)
            for a in answer or []
            if isinstance(a, str) or (isinstance(a, dict) and a.get("authority"))
        ]
        cache[found["id"]] = sorted(names)
    names = cache[found["id"]]
    return f" (authorities: {', '.join(names)})" if names else ""


def _plan_grants(view: ImpactView, email: str) -> list[str]:
    """What the plan gives a new user in other kinds: group memberships and grants."""
    found: list[str] = []
    for change in view.changes:
        if change.kind == "user":
            continue
        for diff in change.diffs:
            for entry in diff.added:
                text = str(entry)
                if text == email or text.startswith((f"user:{email} ", f"user:{email}")):
                    found.append(f"{diff.field} of {change.address}")
                    break
    return sorted(set(found))


def _live_holdings(ctx: LiveContext, uid: Any) -> list[str]:
    """The groups a live user belongs to or owns (from the directory read)."""
    user_id = as_int(uid)
    held = []
    for name, group in sorted(ctx.groups_by_name.items()):
        if user_id in group["members"]:
            held.append(f"member of group {name}")
        if user_id in group["owners"]:
            held.append(f"owner of group {name}")
    return held


def _export_node(user: UserLive, *, with_role: bool) -> CommentedMap:
    node = CommentedMap(email=user["email"])
    if user.get("display_name"):
        node["display_name"] = user["display_name"]
    role = user.get("role")
    if with_role and role and not role.startswith("role-id:"):
        node["role"] = role
    for field in PROFILE:
        value = user.get(field)
        if value:
            node[field] = value
    return node


KIND = UserKind()
