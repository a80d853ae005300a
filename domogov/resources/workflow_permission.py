"""Workflow permissions: which users and groups hold which permissions on a workflow model.

```yaml
workflow_permissions:
  - workflow: 7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44
    name: Close Books                 # optional; for plan texts and export comments
    grants: [{ group: Automation Owners, permissions: [READ, EXECUTE] }]
```
The write is documented (001, "Changing a Workflow's Permissions"): one
``POST /api/workflow/v1/models/{modelId}/permissions`` whose body is the list
``[{id, type, name, permissions}]``. The read is not: domogov reads
``GET`` on the same path, answered in the shape the ``POST`` takes. The body is built from that
live list, so entries the manifest does not manage go back exactly as read.

Whether the ``POST`` replaces the list or merges into it is not documented either: a removal
(an entry left out) is checked by verify after apply, which reports it ``not effective`` when
Domo kept the entry (simulator variant ``workflow_permissions_merge``).

Unknown is not empty: a read that is not a list, or an entry without its ``type``, ``id`` or
``permissions`` list, or with a permission string 001 does not show, makes the grants of that
workflow unreadable; a manifest managing them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import BaseModel, BeforeValidator, Field, StrictStr, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.client.shapes import STR, Array, Object, Shape
from domogov.core.address import placeholders_in
from domogov.core.changes import ApiCall, Change, fingerprint
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import items, make_change, mode_of
from domogov.resources.context import LiveContext
from domogov.resources.export_api import ExportSession, add_comment, unwritable, valid
from domogov.resources.export_api import principal as principal_node
from domogov.resources.impact import ImpactView, affected, effective_access
from domogov.spec.base import SPEC_CONFIG, Spec, exactly_one
from domogov.spec.types import Collection, Email, Name, _enum_checker, check_name, managed_input

MODELS = "/api/workflow/v1/models"
LIST_PAGE = 100


class WorkflowPermission(StrEnum):
    """Every permission 001's example shows."""

    ADMIN = "ADMIN"
    SHARE = "SHARE"
    DELETE = "DELETE"
    WRITE = "WRITE"
    READ = "READ"
    EXPORT = "EXPORT"
    EXECUTE = "EXECUTE"
    UPDATE_CONTENT = "UPDATE_CONTENT"


KNOWN = frozenset(p.value for p in WorkflowPermission)
Permission = Annotated[
    WorkflowPermission, BeforeValidator(_enum_checker(WorkflowPermission, "workflow permission"))
]
WorkflowId = Annotated[str, BeforeValidator(check_name)]


class WorkflowGrant(BaseModel):
    """One workflow permission entry: a user or a group and its permissions."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the user.")
    group: Name | None = Field(None, description="Name of the group.")
    permissions: tuple[Permission, ...] = Field(
        min_length=1, description="ADMIN, SHARE, DELETE, WRITE, READ, EXPORT, EXECUTE, ..."
    )

    @model_validator(mode="after")
    def _one_principal(self) -> WorkflowGrant:
        exactly_one(self, "a grant")
        return self


class WorkflowGrantCollection(Collection[WorkflowGrant]):
    """A list of workflow grants, or ``{mode, items}``."""


class WorkflowPermissionSpec(Spec):
    """Who may do what with a workflow; identity is ``workflow`` (the model id)."""

    kind: ClassVar[str] = "workflow_permission"

    workflow: WorkflowId = Field(description="Workflow model id; the identity key.")
    name: StrictStr | None = Field(None, description="The workflow's name, for plan texts only.")
    grants: Annotated[WorkflowGrantCollection | None, managed_input(WorkflowGrantCollection)] = (
        Field(None, description="Entries of users and groups. Omitted: unmanaged.")
    )

    def identity_key(self) -> str:
        return self.workflow


class WorkflowPermissionLive(TypedDict):
    """A workflow's permissions: ``principal P1,P2`` labels, sorted; raw rows for the write."""

    workflow: str
    name: str | None
    grants: list[str]
    rows: list[dict[str, Any]]


def _perms(values: Any) -> str:
    return ",".join(sorted(str(getattr(v, "value", v)) for v in values))


class WorkflowPermissionKind(KindBase[WorkflowPermissionSpec, WorkflowPermissionLive]):
    """The ``workflow_permission`` kind."""

    name = "workflow_permission"
    section = "workflow_permissions"
    spec_model = WorkflowPermissionSpec
    identity_fields = ("workflow", "name")
    plural = "workflow permissions"
    protect_doc = "workflows (model ids)"
    plan_order = 36
    section_doc = "Workflow models: which users and groups hold which permissions."
    activity_types = ("WORKFLOW",)
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", f"{MODELS}/{{id}}/permissions"): Array(Object(optional={"type": STR})),
    }

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> WorkflowPermissionLive | None:
        ident = str(key["workflow"])
        path = f"{MODELS}/{ident}/permissions"
        try:
            answer = await ctx.client.get(path)
        except NotFoundError:
            return None
        await ctx.ready()
        address = f"workflow_permission.{ident}"
        grants: list[str] = []
        rows: list[dict[str, Any]] = []
        unknown: list[str] = []
        for row in answer if isinstance(answer, list) else []:
            perms = row.get("permissions") if isinstance(row, dict) else None
            if (
                not isinstance(row, dict)
                or row.get("type") not in ("USER", "GROUP")
                or row.get("id") in (None, "")
                or not isinstance(perms, list)
                or not set(map(str, perms)) <= KNOWN
            ):
                unknown.append(repr(row))
                continue
            rows.append(dict(row))
            grants.append(f"{ctx.principal_label(row['type'], row['id'])} {_perms(perms)}")
        if not isinstance(answer, list):
            unknown.append("an answer that is not a list")
        if unknown:
            ctx.unreadable(
                address,
                "grants",
                f"GET {path}",
                f"answers entries domogov does not recognise: {'; '.join(unknown[:3])}",
            )
        return {"workflow": ident, "name": key.get("name"), "grants": sorted(grants), "rows": rows}

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, WorkflowPermissionLive]:
        return await self.read_each(
            ctx,
            keys,
            lambda k: self._read(ctx, k),
            lambda k: f"workflow_permission.{k['workflow']}",
        )

    def plan_one(
        self,
        ctx: LiveContext,
        spec: WorkflowPermissionSpec,
        before: WorkflowPermissionLive | None,
        index: int,
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"workflow_permissions[{index}]"
        if before is None:
            ctx.problem(
                spec,
                ("workflow",),
                f"{label}.workflow",
                f"unknown workflow {spec.workflow!r}: no such workflow model in Domo",
            )
            return None
        if spec.grants is None:
            return None
        if ctx.is_unreadable(address, "grants"):
            ctx.refuse_unreadable(spec, address, "grants", f"{label}.grants")
            return None
        wanted: dict[str, str] = {}
        for i, grant in enumerate(items(spec.grants)):
            who = f"group:{grant.group}" if grant.group else f"user:{str(grant.user).lower()}"
            ctx.principal_id(who, spec, ("grants", i), f"{label}.grants[{i}]")
            wanted[who] = _perms(grant.permissions)
        live = dict(g.rsplit(" ", 1) for g in before["grants"])
        additive = mode_of(spec.grants) == "additive"
        target = {**live, **wanted} if additive else dict(wanted)
        after_grants = sorted(f"{p} {v}" for p, v in target.items())
        if after_grants == before["grants"]:
            return None
        # The whole list, built from the live rows: unmanaged rows go back as read.
        body: list[dict[str, Any]] = []
        for row in before["rows"]:
            who = ctx.principal_label(row["type"], row["id"])
            if who in target:
                body.append({**row, "permissions": target[who].split(",")})
        for who in sorted(set(target) - set(live)):
            ptype, pid = ctx.principal_id(who)
            if pid is not None:
                name = who.partition(":")[2]
                body.append(
                    {
                        "id": pid if isinstance(pid, str) else str(pid),
                        "type": ptype,
                        "name": name,
                        "permissions": target[who].split(","),
                    }
                )
        after = {**before, "grants": after_grants}
        change = make_change(
            kind=self.name,
            address=address,
            key=key,
            before=_shown(before),
            after=_shown(after),
            calls=[ApiCall("POST", f"{MODELS}/{spec.workflow}/permissions", body=body)],
            depends_on=placeholders_in(body),
            destructive=len(set(live) - set(target)),
        )
        if change is not None:
            _show_changes(change)
            change.before, change.after = dict(before), dict(after)
            # The stale check re-reads the raw rows: fingerprint what it will compare.
            change.fingerprint = fingerprint(change.before)
        return change

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("WORKFLOW", str((change.before or change.after or {}).get("workflow", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users who gain or lose a workflow, groups expanded."""
        out: list[dict[str, Any]] = []
        for address, before, after in affected(view, _granted_groups):
            old = _openers(before["grants"], view.members_before)
            new = _openers(after["grants"], view.members_after)
            title = before.get("name") or before["workflow"]
            for email in sorted(set(old) ^ set(new)):
                sign = "+" if email in new else "-"
                verb = "can open" if sign == "+" else "can no longer open"
                via = (new.get(email) or old[email])[1]
                how = "direct grant" if via == "direct" else via
                out.append(
                    {
                        "type": "content_access",
                        "sign": sign,
                        "user": email,
                        "object": address,
                        "text": f'{sign} {email} {verb} workflow "{title}" ({how})',
                    }
                )
        return out

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every workflow model the model list shows (undocumented: paged to an empty page)."""
        if not session.wants(self.section):
            return
        found: dict[str, str] = {}
        offset = 0
        while True:
            rows = await ctx.client.get(MODELS, params={"offset": offset, "limit": LIST_PAGE})
            rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
            if not rows:
                break
            for row in rows:
                if isinstance(row.get("id"), str) and row["id"]:
                    found.setdefault(row["id"], str(row.get("name") or ""))
            offset += len(rows)
        keys = [{"workflow": w, "name": n or None} for w, n in sorted(found.items())]
        session.start("Workflows", len(keys))
        live = await self.fetch(ctx, keys)
        nodes = []
        for key in keys:
            perms = live.get(f"workflow_permission.{key['workflow']}")
            if perms is None:
                session.warnings.append(f"workflow {key['workflow']}: not found; not exported")
                continue
            node = _export_node(ctx, perms, session.warnings)
            if node is not None:
                nodes.append(node)
            session.advance()
        notes = ["Each grants list is authoritative."]
        session.write(self.section, nodes, notes, self.plural)


def _shown(live: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in live.items() if k != "rows"}


def _show_changes(change: Change) -> None:
    """Show an entry whose permissions change as ``~ group:X READ -> EXECUTE,READ``."""
    for diff in change.diffs:
        old = dict(e.rsplit(" ", 1) for e in diff.removed)
        new = dict(e.rsplit(" ", 1) for e in diff.added)
        both = sorted(set(old) & set(new))
        diff.changed = [f"{p} {old[p]} -> {new[p]}" for p in both]
        diff.added = [e for e in diff.added if e.rsplit(" ", 1)[0] not in both]
        diff.removed = [e for e in diff.removed if e.rsplit(" ", 1)[0] not in both]


def _openers(grants: list[str], members: Any) -> dict[str, tuple[str, str]]:
    return effective_access([f"{g.rsplit(' ', 1)[0]} CAN_VIEW" for g in grants], None, members)


def _export_node(
    ctx: LiveContext, perms: WorkflowPermissionLive, warnings: list[str]
) -> CommentedMap | None:
    what = f"workflow {perms['workflow']}"
    node = CommentedMap(workflow=perms["workflow"])
    add_comment(node, "workflow", perms.get("name") or "")
    if ctx.is_unreadable(f"workflow_permission.{perms['workflow']}", "grants"):
        warnings.append(f"{what}: 'grants' not exported (unreadable); it stays unmanaged")
        return node if valid(WorkflowPermissionSpec, node, what, warnings) else None
    grants = CommentedSeq()
    for entry in perms["grants"]:
        who, _, values = entry.rpartition(" ")
        principal = principal_node(who)
        if principal is None:
            unwritable("grants", what, warnings)
            break
        principal["permissions"] = CommentedSeq(values.split(","))
        principal["permissions"].fa.set_flow_style()
        grants.append(principal)
    else:
        node["grants"] = grants
    return node if valid(WorkflowPermissionSpec, node, what, warnings) else None


def _granted_groups(grants: Mapping[str, Any]) -> set[str]:
    # Grants read "group:<name> <ACCESS>".
    who = {g.rsplit(" ", 1)[0] for g in grants["grants"]}
    return {g.removeprefix("group:") for g in who if g.startswith("group:")}


KIND = WorkflowPermissionKind()
