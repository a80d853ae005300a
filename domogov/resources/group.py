"""Groups: name, description, type, members and owners.

```yaml
groups:
  - name: Finance Analysts
    description: Analysts with access to finance data
    type: closed                  # open | closed
    members: [alice@example.com]  # authoritative; { mode: additive, items: [...] } only adds
    owners: [carol@example.com]
```
Live state comes from one paged grouplist read (members and owners included), so groups cost
no per-object requests.  Membership and ownership changes of one group are one
``PUT /api/content/v2/groups/access`` call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import Field, StrictStr
from ruamel.yaml.comments import CommentedMap

from domogov.core.address import placeholder
from domogov.core.changes import ApiCall, Change
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import (
    delete_change,
    ensure_absent,
    enum_value,
    in_prune_scope,
    is_protected,
    items,
    make_change,
    merged,
)
from domogov.resources.context import UNMANAGEABLE_GROUP_TYPES, LiveContext, email_lookup
from domogov.resources.directory import grouplist
from domogov.resources.export_api import (
    ExportSession,
    add_comment,
    emails,
    unique_names,
    unwritable,
    valid,
)
from domogov.spec.base import ENSURE_DOC, PINNED_DOC, Spec
from domogov.spec.types import (
    EmailCollection,
    Ensure,
    EnsureState,
    GroupType,
    Name,
    PositiveInt,
    managed_input,
)
from domogov.spec.types import GroupKind as GroupTypeName

GROUPS_PATH = "/api/content/v2/groups"
ACCESS_PATH = "/api/content/v2/groups/access"


class GroupSpec(Spec):
    """A Domo group; identity is ``name`` (or the pinned ``id``)."""

    kind: ClassVar[str] = "group"
    names_fold_case: ClassVar[bool] = True

    name: Name = Field(description="Group name; the identity key.")
    id: PositiveInt | None = Field(None, description=PINNED_DOC)
    description: StrictStr | None = Field(
        None, description="Group description; omit to leave it unmanaged."
    )
    type: GroupTypeName | None = Field(
        None, description="open or closed; omit to leave it unmanaged."
    )
    members: Annotated[EmailCollection | None, managed_input(EmailCollection)] = Field(
        None, description="Member emails. Omitted: unmanaged; a list: exactly these; [] none."
    )
    owners: Annotated[EmailCollection | None, managed_input(EmailCollection)] = Field(
        None, description="Owner emails. Omitted: unmanaged. A group keeps at least one owner."
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description=ENSURE_DOC)

    def identity_key(self) -> str:
        return self.name


class GroupLive(TypedDict):
    """A live group as plans compare it: members and owners as sorted emails."""

    id: int
    name: str
    description: str
    type: str | None
    members: list[str]
    owners: list[str]


class GroupKind(KindBase[GroupSpec, GroupLive]):
    """The ``group`` kind."""

    name = "group"
    section = "groups"
    spec_model = GroupSpec
    identity_fields = ("name", "id")
    plural = "groups"
    prunable = True
    prune_doc = "groups"
    protect_doc = "groups"
    plan_order = 10
    section_doc = "Domo groups and their members/owners."
    activity_types = ("GROUP",)

    def _live(self, ctx: LiveContext, key: dict[str, Any]) -> dict[str, Any] | None:
        if key.get("id") is not None:
            return ctx.groups_by_id.get(int(key["id"]))
        return ctx.groups_by_name.get(key["name"])

    def normalise(self, ctx: LiveContext, group: dict[str, Any]) -> GroupLive:
        email_of = email_lookup(ctx)
        return {
            "id": group["id"],
            "name": group["name"],
            "description": group.get("description") or "",
            "type": group.get("type"),
            "members": sorted(map(email_of, group["members"])),
            "owners": sorted(map(email_of, group["owners"])),
        }

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, GroupLive]:
        await ctx.ready()
        out: dict[str, GroupLive] = {}
        for key in keys:
            group = self._live(ctx, key)
            if group is not None:
                out[f"group.{key['name']}"] = self.normalise(ctx, group)
        return out

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, GroupLive]:
        await ctx.ready()
        out: dict[str, GroupLive] = {}
        for name, group in ctx.groups_by_name.items():
            if group.get("type") in UNMANAGEABLE_GROUP_TYPES:
                continue
            if in_prune_scope(ctx.project, self.section, name) and not is_protected(
                ctx.project, self.section, name, group["id"]
            ):
                out[f"group.{name}"] = self.normalise(ctx, group)
        return out

    def declares(self, before: GroupLive | None) -> list[str]:
        # A group found by its pinned id under another live name is declared under both.
        return [f"group.{before['name']}"] if before is not None else []

    def prune(self, ctx: LiveContext, address: str, before: GroupLive) -> Change:
        return self._delete(before, address, {"name": before["name"]}, pruned=True)

    def _delete(
        self, before: GroupLive, address: str, key: dict[str, Any], pruned: bool = False
    ) -> Change:
        call = ApiCall("DELETE", GROUPS_PATH, body=[before["id"]])
        return delete_change(self.name, address, key, before, [call], pruned=pruned)

    def plan_one(
        self, ctx: LiveContext, spec: GroupSpec, before: GroupLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"groups[{index}]"
        if spec.id is None and spec.name in ctx.duplicate_groups:
            ctx.problem(spec, ("name",), f"{label}.name", ctx.ambiguous_group(spec.name))
            return None
        if ensure_absent(spec):
            return self._delete(before, address, key) if before else None
        unmanageable = before is not None and before.get("type") in UNMANAGEABLE_GROUP_TYPES
        if (
            before is not None
            and unmanageable
            and (spec.members is not None or spec.owners is not None)
        ):
            ctx.problem(
                spec,
                ("members",),
                f"{label}.members",
                f"group {spec.name!r} is a {before['type']} group; Domo manages its "
                "members, so domogov cannot",
            )
            return None
        live_members = before["members"] if before else []
        live_owners = before["owners"] if before else []
        members = merged(live_members, spec.members, items(spec.members))
        owners = merged(live_owners, spec.owners, items(spec.owners))
        after = {
            "id": before["id"] if before else None,
            "name": spec.name,
            "description": _pick(spec.description, before, "description", ""),
            "type": _pick(enum_value(spec.type), before, "type", "closed"),
            "members": members,
            "owners": owners,
        }
        if spec.owners is not None and not owners and (before is None or live_owners):
            ctx.problem(
                spec,
                ("owners",),
                f"{label}.owners",
                f"group {spec.name!r} would have no owner; a group keeps at least one",
            )
        gid: Any = before["id"] if before else placeholder(address)
        calls: list[ApiCall] = []
        if before is None:
            calls.append(
                ApiCall(
                    "POST",
                    GROUPS_PATH,
                    body={
                        "name": after["name"],
                        "description": after["description"],
                        "type": after["type"],
                    },
                    idempotent=False,
                    produces=address,
                )
            )
            # Domo makes the creator an owner (not a member) of a new group: when the manifest
            # lists owners authoritatively without the token's user, the same access call
            # takes it off again (after adding the others), so the next plan is empty.
            me = ctx.email_of(ctx.me_id) if ctx.me_id is not None else None
            live_members, live_owners = [], [me] if me else []
            members = merged(live_members, spec.members, items(spec.members))
            owners = merged(live_owners, spec.owners, items(spec.owners))
            after["members"], after["owners"] = members, owners
        elif (after["name"], after["description"], after["type"]) != (
            before["name"],
            before["description"],
            before["type"],
        ):
            calls.append(
                ApiCall(
                    "PUT",
                    GROUPS_PATH,
                    body=[
                        {
                            "groupId": gid,
                            "name": after["name"],
                            "description": after["description"],
                            "type": after["type"],
                        }
                    ],
                )
            )
        access: dict[str, Any] = {"groupId": gid}
        for field, live_list, new in (
            ("Members", live_members, members),
            ("Owners", live_owners, owners),
        ):
            # Sets for membership tests (lists would make this quadratic in group size);
            # the lists keep their order for the call bodies.
            live_set, new_set = set(live_list), set(new)
            add = [e for e in new if e not in live_set]
            remove = [e for e in live_list if e not in new_set]
            path = (field.lower(),)
            if add:
                access[f"add{field}"] = self._principals(ctx, spec, path, label, add)
            if remove:
                access[f"remove{field}"] = self._principals(ctx, spec, path, label, remove)
        if len(access) > 1:
            calls.append(ApiCall("PUT", ACCESS_PATH, body=[access]))
        removed = 0
        if before is not None:
            removed = len(set(before["members"]) - set(members))
            removed += len(set(before["owners"]) - set(owners))
        if before is None:
            after.pop("id")
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=calls,
            destructive=removed,
        )

    def _principals(
        self, ctx: LiveContext, spec: Any, path: tuple[Any, ...], label: str, emails: list[str]
    ) -> list[dict[str, Any]]:
        out = []
        for email in emails:
            if email.startswith("user-id:"):
                out.append({"type": "USER", "id": email.split(":", 1)[1]})
                continue
            uid = ctx.user_id(email, spec, path, f"{label}.{path[0]}")
            if uid is not None:
                out.append({"type": "USER", "id": str(uid)})
        return out

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every active group, from the grouplist read up front, normalised as plan sees it."""
        if not session.wants(self.section):
            return
        session.start("Groups", len(ctx.groups_by_name))
        nodes = []
        for name in unique_names(list(ctx.groups_by_name), "group", session.warnings):
            group = self.normalise(ctx, ctx.groups_by_name[name])
            node = _export_node(group, session.include_builtin, session.warnings)
            if node is not None:
                nodes.append(node)
            session.advance()
        notes = ["Sorted by name; members and owners by email."]
        if not session.include_builtin:
            notes.append(
                "Dynamic, directory and system groups are left out (Domo manages their "
                "members); `--include-builtin` adds them."
            )
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("GROUP", str((change.before or change.after or {}).get("id", "")))]

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        name = change.key["name"]
        for row in await grouplist(ctx):
            if row.get("name") == name and row.get("active") is not False:
                return row.get("groupId", row.get("id"))
        return None


def _pick(value: Any, before: Mapping[str, Any] | None, field: str, default: Any) -> Any:
    """A scalar the manifest omits is unmanaged: keep the live value (or the default on create)."""
    if value is not None:
        return value
    if before is not None:
        return before.get(field)
    return default


def _export_node(
    group: GroupLive, include_builtin: bool, warnings: list[str]
) -> CommentedMap | None:
    """A ``groups`` entry; None for dynamic/directory/system groups unless asked for."""
    what = f"group {group['name']!r}"
    unmanageable = group.get("type") in UNMANAGEABLE_GROUP_TYPES
    if unmanageable and not include_builtin:
        return None
    node = CommentedMap(name=group["name"])
    if group.get("description"):
        node["description"] = group["description"]
    if group.get("type") in list(GroupType):
        node["type"] = group["type"]
    if unmanageable:
        # Domo manages the members of these groups: listing them would fail the plan.
        add_comment(node, "name", f"{group['type']} group: Domo manages its members")
    else:
        for key in ("members", "owners"):
            values = emails(group["members"] if key == "members" else group["owners"])
            if values is None:
                unwritable(key, what, warnings)
            elif values or key == "members":
                node[key] = values  # owners: [] is refused offline: a group keeps an owner
    return node if valid(GroupSpec, node, what, warnings) else None


KIND = GroupKind()
