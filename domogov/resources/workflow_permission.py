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
from domogov.core.changes import ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.context import LiveContext
from domogov.resources.export_api import ExportSession, add_comment, valid
from domogov.resources.grant_list import (
    export_grants,
    grant_change,
    granted_groups,
    live_grants,
    opener_changes,
    replacement,
    target_grants,
    unrecognised,
    wanted_grants,
)
from domogov.resources.impact import ImpactView, affected
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
        unrecognised(ctx, address, path, unknown)
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
        wanted = wanted_grants(ctx, spec, label, lambda grant: _perms(grant.permissions))
        live = live_grants(before["grants"])
        target = target_grants(spec.grants, live, wanted)
        after_grants = sorted(f"{p} {v}" for p, v in target.items())
        if after_grants == before["grants"]:
            return None
        # The whole list, built from the live rows: unmanaged rows go back as read.
        body = replacement(
            ctx,
            before["rows"],
            live,
            target,
            lambda row: ctx.principal_label(row["type"], row["id"]),
            lambda row, perms: {**row, "permissions": perms.split(",")},
            lambda ptype, pid, who, perms: {
                "id": pid,
                "type": ptype,
                "name": who.partition(":")[2],
                "permissions": perms.split(","),
            },
        )
        after = {**before, "grants": after_grants}
        change = grant_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            raw="rows",
            call=ApiCall("POST", f"{MODELS}/{spec.workflow}/permissions", body=body),
            destructive=len(set(live) - set(target)),
        )
        if change is not None:
            _show_changes(change)
        return change

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("WORKFLOW", str((change.before or change.after or {}).get("workflow", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users who gain or lose a workflow, groups expanded."""
        out: list[dict[str, Any]] = []
        for address, before, after in affected(view, granted_groups):
            title = before.get("name") or before["workflow"]
            out += opener_changes(view, address, before, after, f'workflow "{title}"')
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


def _show_changes(change: Change) -> None:
    """Show an entry whose permissions change as ``~ group:X READ -> EXECUTE,READ``."""
    for diff in change.diffs:
        old = dict(e.rsplit(" ", 1) for e in diff.removed)
        new = dict(e.rsplit(" ", 1) for e in diff.added)
        both = sorted(set(old) & set(new))
        diff.changed = [f"{p} {old[p]} -> {new[p]}" for p in both]
        diff.added = [e for e in diff.added if e.rsplit(" ", 1)[0] not in both]
        diff.removed = [e for e in diff.removed if e.rsplit(" ", 1)[0] not in both]


def _export_node(
    ctx: LiveContext, perms: WorkflowPermissionLive, warnings: list[str]
) -> CommentedMap | None:
    what = f"workflow {perms['workflow']}"
    node = CommentedMap(workflow=perms["workflow"])
    add_comment(node, "workflow", perms.get("name") or "")
    address = f"workflow_permission.{perms['workflow']}"
    export_grants(ctx, node, address, what, perms["grants"], warnings, _put_permissions)
    return node if valid(WorkflowPermissionSpec, node, what, warnings) else None


def _put_permissions(principal: CommentedMap, values: str) -> None:
    principal["permissions"] = CommentedSeq(values.split(","))
    principal["permissions"].fa.set_flow_style()


KIND = WorkflowPermissionKind()
