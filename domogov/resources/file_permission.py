"""File permissions: whether a file of the Data File Service is public, and who holds which grant.

```yaml
file_permissions:
  - file: 4711
    name: Board Pack.pdf              # optional; for plan texts and export comments
    public: false
    grants: [{ user: dana@example.com, access: READ_WRITE_DELETE_SHARE_ADMIN }]
```
Both calls are documented (001, Files API): one read, ``GET /api/data/v1/data-files/{id}/
permissions`` (``{publicAccess, entries: [{entityType, entityId, grant, pass}]}``), and one
``PUT`` of the same document, which *replaces* the whole list. So the ``PUT`` is built from the
live document as read: entries the manifest does not manage (additive mode, or ``grants``
omitted) go back exactly as Domo gave them, ``pass`` included.

Unknown is not empty: an answer without ``entries``, or with an entry whose ``entityType`` or
``grant`` domogov does not know, makes the grants unreadable; without ``publicAccess`` the
public flag is. Since the only write replaces both, nothing of that file is written then: a
manifest managing either is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictStr, model_validator
from ruamel.yaml.comments import CommentedMap

from domogov.client.shapes import BOOL, STR, Array, Object, Shape
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
from domogov.spec.types import Collection, Email, Name, PositiveInt, _enum_checker, managed_input

FILES = "/api/data/v1/data-files"


class FileGrant(StrEnum):
    """A file entry's grant: 001 shows READ_WRITE_DELETE_SHARE_ADMIN; the others are the
    permission words of 004's dataset permissions strings."""

    READ = "READ"
    READ_SHARE = "READ_SHARE"
    READ_WRITE = "READ_WRITE"
    READ_WRITE_SHARE = "READ_WRITE_SHARE"
    READ_WRITE_DELETE = "READ_WRITE_DELETE"
    READ_WRITE_DELETE_SHARE = "READ_WRITE_DELETE_SHARE"
    READ_WRITE_DELETE_SHARE_ADMIN = "READ_WRITE_DELETE_SHARE_ADMIN"


GRANTS = frozenset(g.value for g in FileGrant)
FileAccess = Annotated[FileGrant, BeforeValidator(_enum_checker(FileGrant, "file grant"))]


class FileGrantSpec(BaseModel):
    """One file permission: a user or a group, and a grant string."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the user granted access.")
    group: Name | None = Field(None, description="Name of the group granted access.")
    access: FileAccess = Field(description="A Domo file grant, e.g. READ or READ_WRITE.")

    @model_validator(mode="after")
    def _one_principal(self) -> FileGrantSpec:
        exactly_one(self, "a grant")
        return self


class FileGrantCollection(Collection[FileGrantSpec]):
    """A list of file grants, or ``{mode, items}``."""


class FilePermissionSpec(Spec):
    """Who may open a file; identity is ``file``."""

    kind: ClassVar[str] = "file_permission"

    file: PositiveInt = Field(description="File id (dataFileId); the identity key.")
    name: StrictStr | None = Field(None, description="The file's name, for plan texts only.")
    public: StrictBool | None = Field(
        None, description="true: every user of the instance may open it. Omitted: unmanaged."
    )
    grants: Annotated[FileGrantCollection | None, managed_input(FileGrantCollection)] = Field(
        None, description="Grants to users and groups. Omitted: unmanaged."
    )

    def identity_key(self) -> str:
        return str(self.file)


class FilePermissionLive(TypedDict):
    """A file's permissions: ``principal GRANT`` labels, sorted; the raw entries kept for the
    replace-style write."""

    file: int
    name: str | None
    public: bool | None
    grants: list[str]
    entries: list[dict[str, Any]]


def _label(ctx: LiveContext, entry: Mapping[str, Any]) -> str:
    return ctx.principal_label(str(entry["entityType"]), entry["entityId"])


class FilePermissionKind(KindBase[FilePermissionSpec, FilePermissionLive]):
    """The ``file_permission`` kind."""

    name = "file_permission"
    section = "file_permissions"
    spec_model = FilePermissionSpec
    identity_fields = ("file", "name")
    plural = "file permissions"
    protect_doc = "files (ids)"
    plan_order = 34
    section_doc = "Files of the Data File Service: public or not, and grants."
    activity_types = ("DATA_FILE",)
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", f"{FILES}/{{id}}/permissions"): Object(
            optional={"publicAccess": BOOL, "entries": Array(Object(optional={"grant": STR}))}
        ),
    }

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> FilePermissionLive | None:
        ident = int(key["file"])
        path = f"{FILES}/{ident}/permissions"
        try:
            answer = await ctx.client.get(path)
        except NotFoundError:
            return None
        await ctx.ready()
        address = f"file_permission.{ident}"
        doc = answer if isinstance(answer, dict) else {}
        public = doc.get("publicAccess")
        if not isinstance(public, bool):
            ctx.unreadable(address, "public", f"GET {path}", "has no publicAccess")
            public = None
        raw = doc.get("entries")
        grants: list[str] = []
        entries: list[dict[str, Any]] = []
        if not isinstance(raw, list):
            ctx.unreadable(address, "grants", f"GET {path}", "has no entries list")
        else:
            unknown = []
            for entry in raw:
                if (
                    not isinstance(entry, dict)
                    or entry.get("entityType") not in ("USER", "GROUP")
                    or entry.get("entityId") in (None, "")
                    or entry.get("grant") not in GRANTS
                ):
                    unknown.append(repr(entry))
                    continue
                entries.append(dict(entry))
                grants.append(f"{_label(ctx, entry)} {entry['grant']}")
            unrecognised(ctx, address, path, unknown)
        return {
            "file": ident,
            "name": key.get("name"),
            "public": public,
            "grants": sorted(grants),
            "entries": entries,
        }

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, FilePermissionLive]:
        return await self.read_each(
            ctx, keys, lambda k: self._read(ctx, k), lambda k: f"file_permission.{k['file']}"
        )

    def plan_one(
        self,
        ctx: LiveContext,
        spec: FilePermissionSpec,
        before: FilePermissionLive | None,
        index: int,
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"file_permissions[{index}]"
        if before is None:
            ctx.problem(spec, ("file",), f"{label}.file", f"unknown file {spec.file}: not in Domo")
            return None
        managed = spec.public is not None or spec.grants is not None
        if not managed:
            return None
        # The only write replaces both parts: either unreadable stops every write of the file.
        refused = False
        for field in ("public", "grants"):
            if ctx.is_unreadable(address, field):
                ctx.refuse_unreadable(spec, address, field, f"{label}.{field}")
                refused = True
        if refused:
            return None
        wanted = wanted_grants(
            ctx, spec, label, lambda grant: str(getattr(grant.access, "value", grant.access))
        )
        live = live_grants(before["grants"])
        target = target_grants(spec.grants, live, wanted)
        public = before["public"] if spec.public is None else spec.public
        after_grants = sorted(f"{p} {g}" for p, g in target.items())
        if after_grants == before["grants"] and public == before["public"]:
            return None
        # The replace-style body: live entries kept as read (pass included), managed ones
        # changed, removed or added.
        entries = replacement(
            ctx,
            before["entries"],
            live,
            target,
            lambda entry: _label(ctx, entry),
            lambda entry, grant: {**entry, "grant": grant},
            lambda ptype, pid, _, grant: {
                "entityType": ptype,
                "entityId": pid,
                "grant": grant,
                "pass": "NONE",
            },
        )
        body = {"publicAccess": public, "entries": entries}
        after = {**before, "public": public, "grants": after_grants}
        removed = len(set(live) - set(target)) + (1 if before["public"] and not public else 0)
        return grant_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            raw="entries",
            call=ApiCall("PUT", f"{FILES}/{spec.file}/permissions", body=body),
            destructive=removed,
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("DATA_FILE", str((change.before or change.after or {}).get("file", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users who gain or lose a file, groups expanded (public files: everyone)."""
        out: list[dict[str, Any]] = []
        for address, before, after in affected(view, granted_groups):
            title = before.get("name") or str(before["file"])
            out += opener_changes(view, address, before, after, f'file "{title}"')
            if before.get("public") != after.get("public"):
                sign = "+" if after.get("public") else "-"
                verb = "every user can open" if sign == "+" else "no longer open to every user:"
                out.append(
                    {
                        "type": "content_access",
                        "sign": sign,
                        "user": "*",
                        "object": address,
                        "text": f'{sign} {verb} file "{title}" (public)',
                    }
                )
        return out

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every file the documented file list shows, with its permissions."""
        if not session.wants(self.section):
            return
        rows = await ctx.client.get(f"{FILES}/details")
        files: dict[int, str] = {}
        for row in rows if isinstance(rows, list) else []:
            ident = row.get("dataFileId") if isinstance(row, dict) else None
            if isinstance(ident, int) and not isinstance(ident, bool) and ident > 0:
                files[ident] = str(row.get("name") or "")
        keys = [{"file": f, "name": n or None} for f, n in sorted(files.items())]
        session.start("Files", len(keys))
        live = await self.fetch(ctx, keys)
        nodes = []
        for key in keys:
            address = f"file_permission.{key['file']}"
            perms = live.get(address)
            if perms is None:
                session.warnings.append(f"file {key['file']}: not found in Domo; not exported")
                continue
            node = _export_node(ctx, perms, session.warnings)
            if node is not None:
                nodes.append(node)
            session.advance()
        notes = ["Each grants list is authoritative; public says whether everyone may open it."]
        session.write(self.section, nodes, notes, self.plural)


def _export_node(
    ctx: LiveContext, perms: FilePermissionLive, warnings: list[str]
) -> CommentedMap | None:
    what = f"file {perms['file']}"
    node = CommentedMap(file=perms["file"])
    add_comment(node, "file", perms.get("name") or "")
    if not ctx.is_unreadable(f"file_permission.{perms['file']}", "public"):
        node["public"] = perms["public"]
    address = f"file_permission.{perms['file']}"
    export_grants(ctx, node, address, what, perms["grants"], warnings, _put_access)
    return node if valid(FilePermissionSpec, node, what, warnings) else None


def _put_access(principal: CommentedMap, grant: str) -> None:
    principal["access"] = grant


KIND = FilePermissionKind()
