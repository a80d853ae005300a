"""Roles: authorities and the users holding the role.

```yaml
roles:
  - name: Data Steward
    description: Certifies and shares datasets
    from_role: Participant          # template, used only when the role is created
    authorities: [dataset.manage, dataset.export]
    users: [carol@example.com]      # a user holds exactly one role
```
Each declared role costs two reads (authorities, users).  A user dropped from an
authoritative ``users`` list moves to ``default_role`` (domogov.yaml), unless another declared
role takes them.  Domo documents no call to change an existing role's name or description.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import Field, StrictStr
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.client.shapes import ID, NAME, STR, Array, Either, Object, Shape
from domogov.core.address import placeholder
from domogov.core.changes import Action, ApiCall, Change
from domogov.errors import GuardError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import (
    delete_change,
    ensure_absent,
    in_prune_scope,
    is_protected,
    items,
    make_change,
    merged,
    pinned_key,
)
from domogov.resources.context import LiveContext, as_int
from domogov.resources.directory import ROLES_PATH
from domogov.resources.export_api import ExportSession, emails, unique_names, unwritable, valid
from domogov.resources.impact import ImpactView
from domogov.spec.base import ENSURE_DOC, PINNED_DOC, Spec
from domogov.spec.types import (
    EmailCollection,
    Ensure,
    EnsureState,
    Name,
    NameCollection,
    PositiveInt,
    managed_input,
)

AUTHORITIES_PATH = "/api/authorization/v1/authorities"


def authorities_path(role_id: Any) -> str:
    return f"{ROLES_PATH}/{role_id}/authorities"


def users_path(role_id: Any) -> str:
    return f"{ROLES_PATH}/{role_id}/users"


_ROLE_USER = Object(optional={"userId": ID, "id": ID, "email": STR}, one_of=(("userId", "id"),))


class RoleSpec(Spec):
    """A Domo role; identity is ``name`` (or the pinned ``id``)."""

    kind: ClassVar[str] = "role"
    names_fold_case: ClassVar[bool] = True

    name: Name = Field(description="Role name; the identity key.")
    id: PositiveInt | None = Field(None, description=PINNED_DOC)
    description: StrictStr | None = Field(
        None, description="Role description; omit to leave it unmanaged."
    )
    from_role: Name | None = Field(
        None, description="Role whose authorities a new role starts from; used only at creation."
    )
    authorities: Annotated[NameCollection | None, managed_input(NameCollection)] = Field(
        None, description="Authority names (dataset.manage, ...). Omitted: unmanaged."
    )
    users: Annotated[EmailCollection | None, managed_input(EmailCollection)] = Field(
        None,
        description="Users holding this role (a user holds exactly one role). Omitted: "
        "unmanaged; users dropped from the list move to the project's default_role.",
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description=ENSURE_DOC)

    def identity_key(self) -> str:
        return self.name


class RoleLive(TypedDict):
    """A live role: authorities by name, holders by email (``user-id:N`` without one)."""

    id: int
    name: str
    description: str
    authorities: list[str]
    users: list[str]


class RoleKind(KindBase[RoleSpec, RoleLive]):
    """The ``role`` kind."""

    name = "role"
    section = "roles"
    spec_model = RoleSpec
    identity_fields = ("name", "id")
    plural = "roles"
    prunable = True
    prune_doc = "roles"
    protect_doc = "roles"
    plan_order = 20
    section_doc = "Roles: authorities and the users holding them."
    activity_types = ("ROLE", "USER")
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", "/api/authorization/v1/roles/{id}/authorities"): Array(NAME),
        # roleIds (which roles hold each authority) is absent on some instances.
        ("GET", AUTHORITIES_PATH): Array(
            Object(required={"authority": NAME}, optional={"roleIds": Array(ID)})
        ),
        ("GET", "/api/authorization/v1/roles/{id}/users"): Either(
            (Object(required={"users": Array(_ROLE_USER)}), Array(_ROLE_USER))
        ),
    }

    def key_of(self, spec: Any) -> dict[str, Any]:
        key = pinned_key(spec, "name")
        if getattr(spec, "from_role", None):
            key["from_role"] = spec.from_role
        return key

    def _live(self, ctx: LiveContext, key: dict[str, Any]) -> dict[str, Any] | None:
        if key.get("id") is not None:
            return ctx.roles_by_id.get(int(key["id"]))
        return ctx.roles_by_name.get(key["name"])

    async def _catalogue(self, ctx: LiveContext) -> dict[int, set[str]] | None:
        """Every role's authorities from one read of the authorities catalogue (its entries
        carry ``roleIds``); None when this instance's catalogue lacks them."""
        if "authority_catalogue" not in ctx.cache:
            # One shared task: fetch and fetch_prunable run at the same time.
            ctx.cache["authority_catalogue"] = asyncio.ensure_future(
                ctx.client.get(AUTHORITIES_PATH)
            )
        rows = await ctx.cache["authority_catalogue"]
        if not isinstance(rows, list) or any(
            "roleIds" not in r for r in rows if isinstance(r, dict)
        ):
            return None
        by_role: dict[int, set[str]] = {}
        for row in rows:
            for rid in row.get("roleIds") or []:
                by_role.setdefault(as_int(rid) or -1, set()).add(str(row.get("authority")))
        return by_role

    async def authorities_of(self, ctx: LiveContext, role_id: int) -> list[str]:
        catalogue = await self._catalogue(ctx)
        if catalogue is not None:
            return sorted(catalogue.get(role_id, set()))
        # Answers [] for an unknown role id instead of 404 (Domo quirk).
        return sorted({str(a) for a in await ctx.client.get(authorities_path(role_id)) or []})

    async def _read_role(self, ctx: LiveContext, role: dict[str, Any]) -> RoleLive:
        # Who holds a role is in the users list already read (each user's roleId), so a role
        # costs no read of its own beyond the shared authorities catalogue.
        await ctx.ready()
        emails = [u["email"] or f"user-id:{u['id']}" for u in ctx.holders(role["id"])]
        return {
            "id": role["id"],
            "name": role["name"],
            "description": role.get("description") or "",
            "authorities": await self.authorities_of(ctx, role["id"]),
            "users": sorted(set(emails)),
        }

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, RoleLive]:
        await ctx.ready()
        found: list[tuple[str, dict[str, Any]]] = []
        templates: dict[str, dict[str, Any]] = {}
        for key in keys:
            role = self._live(ctx, key)
            if role is not None:
                found.append((f"role.{key['name']}", role))
            elif key.get("from_role") and key["from_role"] in ctx.roles_by_name:
                templates[key["from_role"]] = ctx.roles_by_name[key["from_role"]]
        results = await asyncio.gather(*(self._read_role(ctx, r) for _, r in found))
        ctx.cache["role_templates"] = {
            name: await self.authorities_of(ctx, t["id"]) for name, t in templates.items()
        }
        return {address: result for (address, _), result in zip(found, results, strict=True)}

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, RoleLive]:
        await ctx.ready()
        roles = [
            r
            for name, r in ctx.roles_by_name.items()
            if in_prune_scope(ctx.project, self.section, name)
            and not is_protected(ctx.project, self.section, name, r["id"])
            and r["id"] > 5  # Domo's built-in roles cannot be deleted
        ]
        results = await asyncio.gather(*(self._read_role(ctx, r) for r in roles))
        return {f"role.{r['name']}": r for r in results}

    def prepare(self, ctx: LiveContext, desired: list[RoleSpec]) -> None:
        # Users some declared role takes: a user dropped from one role and listed in another
        # moves there, not to default_role.
        claimed: dict[str, str] = {}
        for spec in desired:
            if spec.present:
                for email in items(spec.users):
                    claimed[email] = spec.name
        ctx.cache["role_claimed"] = claimed

    def _claimed(self, ctx: LiveContext) -> dict[str, str]:
        claimed: dict[str, str] = ctx.cache.get("role_claimed", {})
        return claimed

    def plan_one(
        self, ctx: LiveContext, spec: RoleSpec, before: RoleLive | None, index: int
    ) -> Change | None:
        return self._plan_one(ctx, spec, before, index, self._claimed(ctx))

    def prune(self, ctx: LiveContext, address: str, before: RoleLive) -> Change | None:
        if ctx.is_unreadable(address, "users"):
            # Deleting a role moves its holders to default_role; with holders unknown some
            # would be left behind (unknown is not empty): not pruned this time.
            ctx.warnings.append(
                f"{address}: not pruned: who holds it could not be read (see unreadable)"
            )
            return None
        return self._delete(ctx, None, before, address, self._claimed(ctx), pruned=True)

    def _default_role(self, ctx: LiveContext, spec: Any, emails: list[str]) -> Any:
        default = getattr(ctx.project, "default_role", None)
        if not default:
            ctx.problem(
                spec,
                ("users",),
                "",
                f"users {', '.join(emails)} would be left without a role; set `default_role` "
                "in domogov.yaml (every Domo user holds exactly one role)",
            )
            return None
        return ctx.role_ref(default, spec, ("users",), "default_role")

    def _move_out(
        self, ctx: LiveContext, spec: Any, emails: list[str], claimed: dict[str, str]
    ) -> tuple[list[ApiCall], set[str]]:
        """Calls moving users who leave a role to default_role (unless another role takes them)."""
        homeless = sorted(e for e in emails if e not in claimed)
        if not homeless:
            return [], set()
        target = self._default_role(ctx, spec, homeless)
        ids = [ctx.user_id(e, spec, ("users",), "users") for e in homeless]
        ids = [i for i in ids if i is not None]
        if target is None or not ids:
            return [], set()
        deps = {f"role.{ctx.project.default_role}"} if isinstance(target, str) else set()
        move = ApiCall("PUT", users_path(target), body=ids, note="to default_role", confirm=True)
        return [move], deps

    def _delete(
        self,
        ctx: LiveContext,
        spec: Any,
        before: RoleLive,
        address: str,
        claimed: dict[str, str],
        pruned: bool = False,
    ) -> Change:
        if ctx.me_id is not None and ctx.email_of(ctx.me_id) in before["users"]:
            raise GuardError(
                f"refusing to delete role {before['name']!r}: the authenticated user holds it"
            )
        calls, deps = self._move_out(ctx, spec, before["users"], claimed)
        calls.append(ApiCall("DELETE", f"{ROLES_PATH}/{before['id']}"))
        key = {"name": before["name"]}
        return delete_change(self.name, address, key, before, calls, pruned=pruned, depends_on=deps)

    def _plan_one(
        self,
        ctx: LiveContext,
        spec: RoleSpec,
        before: RoleLive | None,
        index: int,
        claimed: dict[str, str],
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"roles[{index}]"
        if ensure_absent(spec):
            return self._delete(ctx, spec, before, address, claimed) if before else None
        if spec.users is not None and ctx.refuse_unreadable(spec, address, "users", "users"):
            return None
        calls: list[ApiCall] = []
        deps: set[str] = set()
        notes: list[str] = []
        if before is None:
            template = getattr(spec, "from_role", None)
            body: dict[str, Any] = {"name": spec.name, "description": spec.description or ""}
            base_auths: list[str] = []
            if template:
                ref = ctx.role_ref(template, spec, ("from_role",), f"{label}.from_role")
                if isinstance(ref, str):
                    deps.add(f"role.{template}")
                body["fromRoleId"] = ref
                base_auths = ctx.cache.get("role_templates", {}).get(template, [])
            calls.append(ApiCall("POST", ROLES_PATH, body=body, idempotent=False, produces=address))
            rid: Any = placeholder(address)
            live_auths, live_users = base_auths, []
            description = spec.description or ""
        else:
            rid = before["id"]
            live_auths, live_users = before["authorities"], before["users"]
            description = before["description"]
            if spec.description is not None and spec.description != before["description"]:
                ctx.warnings.append(
                    f"{address}: description differs from Domo ({before['description']!r}); "
                    "Domo has no API to change a role's description, so it is left as is"
                )
            if spec.name != before["name"]:
                ctx.warnings.append(
                    f"{address}: Domo has no API to rename a role; it stays {before['name']!r}"
                )
        authorities = merged(live_auths, spec.authorities, items(spec.authorities))
        users = merged(live_users, spec.users, items(spec.users))
        if authorities != sorted(live_auths) or (before is None and spec.authorities is not None):
            calls.append(ApiCall("PATCH", authorities_path(rid), body=authorities, confirm=True))
        added = [e for e in users if e not in live_users]
        removed = [e for e in live_users if e not in users]
        me = ctx.email_of(ctx.me_id) if ctx.me_id is not None else None
        if me is not None and (me in removed or me in added):
            raise GuardError(
                f"refusing to move the authenticated user ({me}) out of its role: "
                f"{address} would change the role that gives domogov its rights"
            )
        if added:
            ids = [ctx.user_id(e, spec, ("users",), f"{label}.users") for e in added]
            calls.append(
                ApiCall(
                    "PUT", users_path(rid), body=[i for i in ids if i is not None], confirm=True
                )
            )
        if removed:
            move, move_deps = self._move_out(ctx, spec, removed, claimed)
            calls.extend(move)
            deps |= move_deps
        after = {
            "id": rid if before else None,
            "name": before["name"] if before else spec.name,
            "description": description,
            "authorities": authorities,
            "users": users,
        }
        if before is None:
            after.pop("id")
        destructive = 0
        if before is not None:
            destructive = len(set(live_auths) - set(authorities)) + len(removed)
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=calls,
            depends_on=deps,
            destructive=destructive,
            notes=notes,
        )

    async def confirm_call(self, ctx: LiveContext, change: Change, path: str, body: Any) -> bool:
        """Whether a role write that answered 400 took effect anyway (a known Domo quirk)."""
        answer = await ctx.client.get(path)
        if path.endswith("/authorities"):
            return sorted(str(a) for a in answer or []) == sorted(body)
        rows = answer.get("users", []) if isinstance(answer, dict) else answer or []
        holders = {as_int(r.get("userId", r.get("id"))) for r in rows}
        return set(body) <= holders

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every role with its authorities and users; the built-in ones only when asked for.

        Whatever ``--kinds`` says, the project file protects the built-in roles and names
        the default role: a later export of roles into the same directory keeps that file.
        """
        roles = ctx.roles_by_id
        session.protect(
            self.section,
            [roles[i]["name"] if i in roles else n for i, n in BUILTIN_ROLES.items()],
            "The built-in roles are protected: domogov never changes or deletes them.",
        )
        session.setting(
            "default_role",
            roles[4]["name"] if 4 in roles else BUILTIN_ROLES[4],
            "Users dropped from a role's users list move to default_role.",
        )
        if not session.wants(self.section):
            return
        names = [
            r["name"]
            for rid, r in roles.items()
            if session.include_builtin or rid not in BUILTIN_ROLES
        ]
        names = unique_names(names, "role", session.warnings)
        session.start("Roles", len(names))
        live = await self.fetch(ctx, [{"name": n} for n in names])
        nodes = []
        for name in names:
            role = live.get(f"role.{name}")
            node = None if role is None else _export_node(role, session.warnings)
            if node is not None:
                nodes.append(node)
        session.advance(len(names))
        notes = ["Sorted by name; authorities by name, users by email."]
        if not session.include_builtin:
            notes.append(
                "The built-in roles (Admin, Privileged, Editor, Participant, Social) are left "
                "out and protected in domogov.yaml; `--include-builtin` adds them."
            )
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        oid = str((change.before or change.after or {}).get("id", ""))
        return [("ROLE", oid), ("USER", "*")]  # role assignments are logged on the user

    def own_activity(self, row: Mapping[str, Any]) -> bool:
        return row.get("objectType") != "USER"

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users gaining or losing authorities: role authority edits and users moving roles."""
        role_changes = [c for c in view.changes if c.kind == "role"]
        if not role_changes:
            return []
        auths_before: dict[str, set[str]] = {
            r["name"]: set(r["authorities"]) for r in view.live.values()
        }
        auths_after = dict(auths_before)
        role_after: dict[str, str] = {}  # email -> role name after the plan
        for change in role_changes:
            name = change.key["name"]
            if change.after is None:
                auths_after.pop(name, None)
            else:
                auths_after[name] = set(change.after["authorities"])
            for diff in change.diffs:
                if diff.field == "users":
                    for email in diff.added:
                        role_after[email] = name
                    for email in diff.removed:
                        role_after.setdefault(email, str(ctx.project.default_role or "?"))
            if change.action == Action.DELETE and change.before:
                for email in change.before["users"]:
                    role_after.setdefault(email, str(ctx.project.default_role or "?"))
        affected: dict[str, tuple[str, str]] = {}
        for email, user in ctx.users_by_email.items():
            current = ctx.roles_by_id.get(user.get("roleId") or -1, {}).get("name")
            if current is None:
                continue
            new_role = role_after.get(email, current)
            changed_auths = auths_before.get(current) != auths_after.get(new_role)
            if new_role != current or (current in auths_after and changed_auths):
                affected[email] = (current, new_role)
        needed = {r for pair in affected.values() for r in pair} - set(auths_before)
        for name in sorted(needed):
            role = ctx.roles_by_name.get(name)
            if role is not None:
                auths = set(await self.authorities_of(ctx, role["id"]))  # the shared catalogue
                auths_before[name] = auths
                auths_after.setdefault(name, auths)
        out = []
        for email, (old_role, new_role) in sorted(affected.items()):
            old = auths_before.get(old_role, set())
            new = auths_after.get(new_role, set())
            where = f"role {new_role}" if old_role == new_role else f"role {old_role} -> {new_role}"
            for authority in sorted(new - old):
                out.append(_role_entry("+", email, authority, where, "gains"))
            for authority in sorted(old - new):
                out.append(_role_entry("-", email, authority, where, "loses"))
        return out

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        for row in await ctx.client.get(ROLES_PATH) or []:
            if row.get("name") == change.key["name"]:
                return row.get("id")
        return None


def _role_entry(sign: str, email: str, authority: str, where: str, verb: str) -> dict[str, Any]:
    return {
        "type": "authority",
        "sign": sign,
        "user": email,
        "authority": authority,
        "text": f"{sign} {email}  {verb} {authority} ({where})",
    }


#: Domo's built-in roles by id; they cannot be deleted, and an export protects them.
BUILTIN_ROLES: dict[int, str] = {
    1: "Admin",
    2: "Privileged",
    3: "Editor",
    4: "Participant",
    5: "Social",
}


def _export_node(role: RoleLive, warnings: list[str]) -> CommentedMap | None:
    """A ``roles`` entry from the kind's read (authorities and users, sorted)."""
    what = f"role {role['name']!r}"
    node = CommentedMap(name=role["name"])
    if role.get("description"):
        node["description"] = role["description"]
    node["authorities"] = CommentedSeq(role["authorities"])
    users = emails(role["users"])
    if users is None:
        unwritable("users", what, warnings)
    else:
        node["users"] = users
    return node if valid(RoleSpec, node, what, warnings) else None


KIND = RoleKind()
