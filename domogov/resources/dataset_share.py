"""Dataset shares: which users and groups hold which access level on a dataset.

```yaml
dataset_shares:
  - dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426
    name: Sales Pipeline            # optional; the plan warns when Domo's name differs
    grants:
      - { group: Finance Analysts, access: CAN_VIEW }
      - { user: bob@example.com, access: CAN_EDIT }
```
One permissions read per declared dataset (plus a metadata read when ``name`` is given).  All
grants and level changes of one dataset are one ``share`` call; all revokes one bulk revoke.
The owner (``OWNER``) is never a grant: it is neither compared nor revoked.

Access levels are read in both vocabularies Domo's documents show (README, "Undocumented
answers"); grants are always written in the share document's ``CAN_*`` one:

=================================  =============
read (002 / 004 style)             means
=================================  =============
``CAN_VIEW``, ``READ``             ``CAN_VIEW``
``CAN_EDIT``, ``WRITE``,           ``CAN_EDIT``
``READ_WRITE``
``CAN_SHARE``, ``READ_SHARE``      ``CAN_SHARE``
``CO_OWNER``,                      ``CO_OWNER`` (only when the list names its ``OWNER`` apart:
``READ_WRITE_DELETE_SHARE_ADMIN``  004 gives the owner that same string)
``OWNER``                          the owner, never a grant
=================================  =============

Unknown is not empty: a row with any other level, or without its ``type``, makes the grants of
that dataset *unreadable*. They are then neither compared nor written: a manifest managing them
is refused (a plan error naming the dataset, the endpoint and the level), and no revoke is ever
planned from them. Two writes are undocumented: lowering a level through ``share`` and revoking
a group through the bulk ``DELETE .../users``; verify after apply re-reads the grants and
reports either as ``not effective`` when Domo ignored it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import BaseModel, Field, StrictStr, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.client.shapes import ID, NAME, STR, Array, Object, Shape
from domogov.core.address import placeholders_in
from domogov.core.changes import Action, ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import (
    ensure_absent,
    enum_value,
    items,
    make_change,
    mode_of,
)
from domogov.resources.context import LiveContext
from domogov.resources.export_api import (
    ExportSession,
    add_comment,
    unwritable,
    valid,
)
from domogov.resources.export_api import principal as principal_node
from domogov.resources.impact import ImpactView, affected, effective_access
from domogov.spec.base import SPEC_CONFIG, Spec, exactly_one
from domogov.spec.types import (
    Access,
    AccessLevel,
    Collection,
    DatasetId,
    Email,
    Ensure,
    EnsureState,
    Name,
    managed_input,
)

DATASOURCES = "/api/data/v3/datasources"
#: Every access level Domo's documents show, to the share vocabulary (see the module docstring).
#: READ_WRITE_DELETE_SHARE_ADMIN is handled apart: it may be the owner's own row.
LEVELS: Mapping[str, str] = {
    "CO_OWNER": "CO_OWNER",
    "CAN_EDIT": "CAN_EDIT",
    "CAN_SHARE": "CAN_SHARE",
    "CAN_VIEW": "CAN_VIEW",
    "READ": "CAN_VIEW",  # 002 Dataset Access List
    "WRITE": "CAN_EDIT",  # 002 Dataset Access List
    "READ_WRITE": "CAN_EDIT",  # 004 metadata permissions string of an editor
    "READ_SHARE": "CAN_SHARE",  # 004 metadata permissions string of a sharer
}
FULL_ACCESS = "READ_WRITE_DELETE_SHARE_ADMIN"


def live_level(answered: str, *, owner_listed: bool) -> str | None:
    """The ``CAN_*`` level an answered ``accessLevel`` means; None when domogov cannot tell.

    ``owner_listed``: the same list names its owner with ``OWNER``. Only then is the full-access
    string a co-owner's: 004 shows it as the owner's own permissions, and a co-owner read where
    the owner is meant would be revoked by an authoritative grants list.
    """
    if answered == FULL_ACCESS:
        return "CO_OWNER" if owner_listed else None
    return LEVELS.get(answered)


def grant_label(principal: str, level: str) -> str:
    return f"{principal} {level}"


class Grant(BaseModel):
    """One dataset permission: a user or a group, and an access level."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the user granted access.")
    group: Name | None = Field(None, description="Name of the group granted access.")
    access: Access = Field(description="CO_OWNER, CAN_EDIT, CAN_SHARE or CAN_VIEW.")

    @model_validator(mode="after")
    def _one_principal(self) -> Grant:
        exactly_one(self, "a grant")
        return self


class GrantCollection(Collection[Grant]):
    """A list of grants, or ``{mode, items}``."""


class DatasetShareSpec(Spec):
    """Who may use a dataset; identity is ``dataset``. The owner is never changed."""

    kind: ClassVar[str] = "dataset_share"

    dataset: DatasetId = Field(description="Dataset id (a UUID); the identity key.")
    name: StrictStr | None = Field(
        None, description="Expected dataset name; plan warns when the live name differs."
    )
    grants: Annotated[GrantCollection | None, managed_input(GrantCollection)] = Field(
        None, description="Grants to users and groups. Omitted: unmanaged. OWNER is not a grant."
    )
    ensure: EnsureState = Field(
        Ensure.PRESENT, description="present (default); absent revokes every listed grant."
    )

    def identity_key(self) -> str:
        return self.dataset


class DatasetShareLive(TypedDict):
    """A live dataset's permissions: ``principal LEVEL`` grants, sorted; the owner apart."""

    dataset: str
    name: str | None
    owner: str | None
    grants: list[str]


class DatasetShareKind(KindBase[DatasetShareSpec, DatasetShareLive]):
    """The ``dataset_share`` kind."""

    name = "dataset_share"
    section = "dataset_shares"
    spec_model = DatasetShareSpec
    identity_fields = ("dataset", "name")
    plural = "dataset shares"
    prunable = True
    prune_doc = "dataset grants"
    protect_doc = "datasets (ids)"
    plan_order = 30
    section_doc = "Dataset permissions granted to users and groups."
    activity_types = ("DATA_SOURCE",)
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", "/api/data/v3/datasources/{id}/permissions"): Object(
            required={
                "list": Array(
                    Object(required={"id": ID, "accessLevel": NAME}, optional={"type": STR})
                )
            }
        ),
        ("GET", "/api/data/v3/datasources/{id}"): Object(optional={"name": STR}),
    }

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> DatasetShareLive | None:
        dataset = key["dataset"]
        try:
            perms, meta = await asyncio.gather(
                ctx.client.get(f"{DATASOURCES}/{dataset}/permissions"),
                ctx.client.get(f"{DATASOURCES}/{dataset}") if key.get("name") else _none(),
            )
        except NotFoundError:
            return None
        await ctx.ready()
        rows = [r for r in (perms or {}).get("list", []) if isinstance(r, dict)]
        owner_listed = any(r.get("accessLevel") == "OWNER" for r in rows)
        owner = None
        grants: dict[str, str] = {}
        unknown: list[str] = []
        for row in rows:
            answered = str(row.get("accessLevel", ""))
            ptype = str(row.get("type") or "").upper()
            if answered == "OWNER":
                # Every document shows the owner as a user; the owner is never compared or
                # revoked, so reading a typeless owner row as a user risks no write.
                owner = ctx.principal_label(ptype or "USER", row.get("id"))
                continue
            if ptype not in ("USER", "GROUP"):
                # A typeless id could be a user's or a group's: never guess which to revoke.
                unknown.append(f"a grant of id {row.get('id')} with type {row.get('type')!r}")
                continue
            principal = ctx.principal_label(ptype, row.get("id"))
            level = live_level(answered, owner_listed=owner_listed)
            if level is None:
                unknown.append(f"accessLevel {answered!r} for {principal}")
            else:
                grants[principal] = level
        if unknown:
            ctx.unreadable(
                f"dataset_share.{dataset}",
                "grants",
                f"GET {DATASOURCES}/{dataset}/permissions",
                f"answers {'; '.join(unknown)}, which domogov does not recognise",
            )
        return {
            "dataset": dataset,
            "name": (meta or {}).get("name") if key.get("name") else None,
            "owner": owner,
            "grants": sorted(grant_label(p, lv) for p, lv in grants.items()),
        }

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, DatasetShareLive]:
        return await self.read_each(
            ctx, keys, lambda k: self._read(ctx, k), lambda k: f"dataset_share.{k['dataset']}"
        )

    # No fetch_prunable: datasets are never deleted by domogov; undeclared ones are unmanaged.

    def _desired_grants(self, ctx: LiveContext, spec: Any, label: str) -> dict[str, str]:
        wanted: dict[str, str] = {}
        for i, grant in enumerate(items(spec.grants)):
            if getattr(grant, "group", None):
                principal = f"group:{grant.group}"
            else:
                principal = f"user:{str(grant.user).lower()}"
            wanted[principal] = str(enum_value(grant.access))
            # Resolve now so unknown references are reported with their location.
            ctx.principal_id(principal, spec, ("grants", i), f"{label}.grants[{i}]")
        return wanted

    def plan_one(
        self, ctx: LiveContext, spec: DatasetShareSpec, before: DatasetShareLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"dataset_shares[{index}]"
        if before is None:
            ctx.problem(
                spec,
                ("dataset",),
                f"{label}.dataset",
                f"unknown dataset {spec.dataset!r}: no such dataset in Domo "
                "(domogov shares datasets; it does not create them)",
            )
            return None
        if spec.name and before.get("name") and spec.name != before["name"]:
            ctx.warnings.append(
                f"{address}: manifest names it {spec.name!r} but Domo calls it {before['name']!r}"
            )
        if ctx.is_unreadable(address, "grants"):
            # Unknown is not empty: never diff, share or revoke from grants not fully read.
            if spec.grants is not None:
                ctx.refuse_unreadable(spec, address, "grants", f"{label}.grants")
            return None
        live_grants = dict(g.rsplit(" ", 1) for g in before["grants"])
        wanted = self._desired_grants(ctx, spec, label)
        owner = before.get("owner")
        notes = []
        if owner in wanted:
            notes.append(f"{owner} owns the dataset; ownership is not a grant, left as is")
            wanted.pop(owner)
        absent = ensure_absent(spec)
        if absent:
            target = {p: lv for p, lv in live_grants.items() if p not in wanted}
        elif spec.grants is None or mode_of(spec.grants) == "additive":
            target = {**live_grants, **wanted}
        else:
            target = dict(wanted)
        share = [p for p, lv in target.items() if live_grants.get(p) != lv]
        revoke = [p for p in live_grants if p not in target]
        calls: list[ApiCall] = []
        deps: set[str] = set()
        dataset = spec.dataset
        perms = []
        for principal in sorted(share):
            ptype, pid = ctx.principal_id(principal)
            if pid is not None:
                perms.append({"id": _str_id(pid), "type": ptype, "accessLevel": target[principal]})
        shared = {(p["type"], p["id"]) for p in perms}
        revokes = []
        for principal in sorted(revoke):
            ptype, pid = ctx.principal_id(principal)
            # Never revoke a principal this change also shares to: the revoke, made second,
            # would undo the grant (two labels can name one principal, e.g. during a rename).
            if pid is not None and (ptype, _str_id(pid)) not in shared:
                revokes.append({"id": _str_id(pid), "type": ptype})
        if perms:
            body = {"permissions": perms, "sendEmail": False}
            deps |= placeholders_in(body)
            calls.append(ApiCall("POST", f"{DATASOURCES}/{dataset}/share", body=body))
        if revokes:
            calls.append(ApiCall("DELETE", f"{DATASOURCES}/{dataset}/users", body=revokes))
        after = {**before, "grants": sorted(grant_label(p, lv) for p, lv in target.items())}
        if spec.name:
            after["name"] = before.get("name")
        change = make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=calls,
            depends_on=deps,
            destructive=len(revokes),
            notes=notes,
            action=Action.DELETE if absent and calls else None,
        )
        if change is not None:
            _show_level_changes(change)
        return change

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """The grants of the datasets the run names (or finds), one part file at a time."""
        if not session.wants(self.section):
            return
        found = await session.datasets(self.section)
        if found is None:
            return
        ids = list(found)
        session.start("Datasets", len(ids))
        parts = 0
        size = session.part_size
        # One part at a time: at most part_size datasets' permissions are held at once.
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            # A name the search API gave is the comment; otherwise read the metadata for it.
            keys = [{"dataset": d} if found[d] else {"dataset": d, "name": "(read)"} for d in chunk]
            live = {v["dataset"]: v for v in (await self.fetch(ctx, keys)).values()}
            nodes = []
            for dataset in chunk:
                share = live.get(dataset)
                if share is None:
                    session.warnings.append(f"dataset {dataset}: not found in Domo; not exported")
                    continue
                share["name"] = found[dataset] or share["name"]
                part = ctx.unreadable_parts.get((f"dataset_share.{dataset}", "grants"))
                node = _export_node(share, session.warnings, None if part is None else part.text)
                if node is not None:
                    nodes.append(node)
            if live:
                parts += 1
                notes = [
                    f"Datasets {start + 1}-{start + len(chunk)} of {len(ids)}, by id; each "
                    "grants list is authoritative (the owner is not a grant)."
                ]
                session.write_part(self.section, parts, nodes, notes, self.plural)
            session.advance(len(chunk))
        session.end_parts(self.section, parts)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("DATA_SOURCE", str((change.before or change.after or {}).get("dataset", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users gaining or losing access to declared datasets, groups expanded."""
        out: list[dict[str, Any]] = []
        for address, before, after in affected(view, _granted_groups):
            after_grants = after["grants"]
            old = effective_access(before["grants"], before.get("owner"), view.members_before)
            new = effective_access(after_grants, before.get("owner"), view.members_after)
            label = before.get("name") or before["dataset"]
            # Only users whose (level, via) differs can have an entry: compare items in C.
            for email in sorted({e for e, _ in old.items() ^ new.items()}):
                was, now = old.get(email), new.get(email)
                if (was and was[0]) == (now and now[0]):
                    continue
                sign = "+" if was is None else "-" if now is None else "~"
                via = (now or was)[1]  # type: ignore[index]
                out.append(
                    {
                        "type": "dataset_access",
                        "sign": sign,
                        "user": email,
                        "object": address,
                        "before": was[0] if was else None,
                        "after": now[0] if now else None,
                        "text": _access_text(sign, email, was, now, label, via),
                    }
                )
        return out

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None  # shares are never created by a single non-idempotent call


def _show_level_changes(change: Change) -> None:
    """Show a grant whose level changes as ``~ user:x CAN_VIEW -> CAN_EDIT``, not as - and +."""
    for diff in change.diffs:
        if diff.field != "grants":
            continue
        old = dict(e.rsplit(" ", 1) for e in diff.removed)
        new = dict(e.rsplit(" ", 1) for e in diff.added)
        both = sorted(set(old) & set(new))
        diff.changed = [f"{p} {old[p]} -> {new[p]}" for p in both]
        diff.added = [e for e in diff.added if e.rsplit(" ", 1)[0] not in both]
        diff.removed = [e for e in diff.removed if e.rsplit(" ", 1)[0] not in both]


def _str_id(value: Any) -> Any:
    # Permission principal ids are strings in Domo's share API; placeholders stay as they are.
    return value if isinstance(value, str) else str(value)


async def _none() -> None:
    return None


def _access_text(
    sign: str,
    email: str,
    was: tuple[str, str] | None,
    now: tuple[str, str] | None,
    label: str,
    via: str,
) -> str:
    how = f"({via})" if via != "direct" else "(direct grant)"
    if sign == "+":
        return f'+ {email}  {now[0]} on "{label}" {how}'  # type: ignore[index]
    if sign == "-":
        return f'- {email}  loses {was[0]} on "{label}" {how}'  # type: ignore[index]
    return f'~ {email}  {was[0]} -> {now[0]} on "{label}" {how}'  # type: ignore[index]


def _export_node(
    share: DatasetShareLive, warnings: list[str], unreadable: str | None = None
) -> CommentedMap | None:
    """A ``dataset_shares`` entry; the owner is not a grant. The name is a comment only.

    ``unreadable``: why the grants could not be read; they are then left out (unmanaged), never
    exported as an authoritative list missing the grants not understood."""
    what = f"dataset {share['dataset']}"
    node = CommentedMap(dataset=share["dataset"])
    add_comment(node, "dataset", share.get("name") or "")
    if unreadable is not None:
        warnings.append(f"{what}: 'grants' not exported ({unreadable}); it stays unmanaged")
        return node if valid(DatasetShareSpec, node, what, warnings) else None
    levels = {a.value for a in AccessLevel}
    grants = CommentedSeq()
    for entry in share["grants"]:
        who, _, level = entry.rpartition(" ")
        grant = principal_node(who)
        if grant is None or level not in levels:
            unwritable("grants", what, warnings)
            break
        grant["access"] = level
        grants.append(grant)
    else:
        node["grants"] = grants
    return node if valid(DatasetShareSpec, node, what, warnings) else None


def _granted_groups(share: Mapping[str, Any]) -> set[str]:
    # Grants read "group:<name> <LEVEL>".
    return {
        g.removeprefix("group:").rsplit(" ", 1)[0]
        for g in share["grants"]
        if g.startswith("group:")
    }


KIND = DatasetShareKind()
