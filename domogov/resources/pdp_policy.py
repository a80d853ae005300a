"""PDP policies: personalized data permissions (row-level security) of a dataset.

```yaml
pdp_policies:
  - dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426
    enabled: true                     # omitted: unmanaged
    policies:                         # authoritative when present; {mode: additive, items}
      - name: EMEA sales              # the policy's identity within the dataset
        filters: [{ column: region, operator: EQUALS, values: [EMEA] }]
        users: [dana@example.com]
        groups: [EMEA Sales]
```
Nothing here is in Domo's documents: the endpoints are the request forms of public clients
(README, "More governance surfaces"), so every answer field is read as possibly absent:

- the policy list (``GET /api/query/v1/data-control/{id}/filter-groups?options=...``) must flag
  Domo's own "All Rows" open policy (``openPolicy``) and carry ``userIds``, ``groupIds`` and
  ``parameters`` on every policy; otherwise the dataset's ``policies`` are *unreadable*: a
  manifest managing them is refused, and no policy is ever deleted from such a list;
- the data-control read (``GET /api/query/v1/data-control/{id}``) must carry ``enabled``;
  otherwise ``enabled`` is unreadable (refused when managed).

The open policy is never compared, written or deleted. A policy is created with ``POST``,
replaced with ``PUT .../filter-groups/{id}`` (starting from the live policy, so what domogov
does not manage, such as ``virtualUserIds``, is kept) and deleted with ``DELETE``. Turning PDP
off is destructive (everyone then sees every row); turning it on with no policy but "All Rows"
is a warning.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypedDict

from pydantic import BaseModel, Field, StrictBool, StrictStr, field_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.client.shapes import Shape
from domogov.core.changes import Action, ApiCall, Change, FieldDiff
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import items, make_change, mode_of
from domogov.resources.context import LiveContext
from domogov.resources.export_api import ExportSession, add_comment, valid
from domogov.resources.impact import ImpactView
from domogov.spec.base import SPEC_CONFIG, Spec
from domogov.spec.types import Collection, DatasetId, Email, Name, managed_input

CONTROL = "/api/query/v1/data-control"
DATASOURCES = "/api/data/v3/datasources"
OPTIONS = "load_associations,load_filters,include_open_policy"
OPEN_POLICY = "All Rows"
OPERATORS = (
    "EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "GREATER_THAN_EQUAL",
    "LESS_THAN_EQUAL", "BETWEEN", "CONTAINS", "NOT_CONTAINS",
)  # fmt: skip


class PdpFilterSpec(BaseModel):
    """One column condition: rows whose ``column`` matches ``values``."""

    model_config = SPEC_CONFIG

    column: Name = Field(description="Column name.")
    operator: StrictStr = Field("EQUALS", description=f"One of {', '.join(OPERATORS)}.")
    values: tuple[StrictStr, ...] = Field(description="Values the column is compared with.")
    ignore_case: StrictBool = Field(True, description="Compare without regard to case.")

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, value: str) -> str:
        if value not in OPERATORS:
            raise ValueError(f"unknown operator {value!r}; valid: {', '.join(OPERATORS)}")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # YAML reads `values: [2024]` as a number; Domo compares column values as text.
        if isinstance(value, list | tuple):
            return tuple(str(v) if isinstance(v, int | float) else v for v in value)
        return value


class PdpPolicySpec(BaseModel):
    """One policy: who (users, groups) sees which rows (filters)."""

    model_config = SPEC_CONFIG

    name: Name = Field(description="Policy name; its identity within the dataset.")
    filters: tuple[PdpFilterSpec, ...] = Field((), description="Row conditions (all must hold).")
    users: tuple[Email, ...] = Field((), description="Users the policy applies to.")
    groups: tuple[Name, ...] = Field((), description="Groups the policy applies to.")


class PdpPolicyCollection(Collection[PdpPolicySpec]):
    """A list of policies, or ``{mode, items}``."""


class PdpSpec(Spec):
    """A dataset's personalized data permissions; identity is ``dataset``."""

    kind: ClassVar[str] = "pdp_policy"

    dataset: DatasetId = Field(description="Dataset id (a UUID); the identity key.")
    name: StrictStr | None = Field(
        None, description="Expected dataset name; plan warns when the live name differs."
    )
    enabled: StrictBool | None = Field(
        None, description="PDP on or off. Off lets everyone see every row. Omitted: unmanaged."
    )
    policies: Annotated[PdpPolicyCollection | None, managed_input(PdpPolicyCollection)] = Field(
        None,
        description="Policies by name. Omitted: unmanaged. Domo's own 'All Rows' policy is "
        "never listed, changed or deleted.",
    )

    def identity_key(self) -> str:
        return self.dataset


class PdpLive(TypedDict):
    """A dataset's PDP as plans compare it; ``id`` (policy ids by name) is not compared."""

    dataset: str
    name: str | None
    enabled: bool | None
    policies: dict[str, dict[str, list[str]]]
    id: dict[str, Any]


def filter_text(column: str, operator: str, values: list[str], ignore_case: bool) -> str:
    """``region EQUALS [EMEA]`` (`` ignore_case`` appended): one filter, comparable as text.

    Values that could be misread (a comma, a bracket, a leading quote, outer spaces, empty)
    are written as a JSON list instead, so ``["Smith, John"]`` never equals ``[Smith, John]``
    (two values) and ``split_filter`` reads every text back exactly."""
    if any(_ambiguous(v) for v in values):
        shown = json.dumps(values, ensure_ascii=False)
    else:
        shown = "[" + ", ".join(values) + "]"
    return f"{column} {operator} {shown}" + (" ignore_case" if ignore_case else "")


def _ambiguous(value: str) -> bool:
    return (
        not value
        or value != value.strip()
        or value.startswith('"')
        or any(c in value for c in ",[]")
    )


def split_filter(text: str) -> tuple[str, str, list[str], bool]:
    """``filter_text`` read back: (column, operator, values, ignore_case). Columns may hold
    spaces (``Sales Region``): the operator is found as `` OPERATOR [``."""
    ignore_case = text.endswith(" ignore_case")
    body = text.removesuffix(" ignore_case")
    found = [(body.find(f" {op} ["), op) for op in OPERATORS if f" {op} [" in body]
    index, operator = min(found)
    column, shown = body[:index], body[index + len(operator) + 2 :]
    if shown.startswith('["'):
        values = [str(v) for v in json.loads(shown)]
    else:
        inner = shown[1:-1]
        values = inner.split(", ") if inner else []
    return column, operator, values, ignore_case


def _readable(text: str) -> str:
    """``region in [EMEA]`` for impact lines."""
    column, operator, _, _ = split_filter(text)
    shown = text.removesuffix(" ignore_case")[len(column) + len(operator) + 2 :]
    return f"{column} in {shown}" if operator == "EQUALS" else f"{column} {operator} {shown}"


class PdpKind(KindBase[PdpSpec, PdpLive]):
    """The ``pdp_policy`` kind."""

    name = "pdp_policy"
    section = "pdp_policies"
    spec_model = PdpSpec
    identity_fields = ("dataset", "name")
    plural = "PDP policies"
    protect_doc = "datasets' PDP policies (dataset ids)"
    plan_order = 35
    section_doc = "Personalized data permissions (row-level security) of datasets."
    activity_types = ("DATA_SOURCE",)
    # Undocumented answers: read defensively (unreadable parts), not refused as a whole.
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {}

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> PdpLive | None:
        dataset = key["dataset"]
        try:
            meta, control, rows = await asyncio.gather(
                ctx.client.get(f"{DATASOURCES}/{dataset}") if key.get("name") else _none(),
                ctx.client.get(f"{CONTROL}/{dataset}"),
                ctx.client.get(f"{CONTROL}/{dataset}/filter-groups", params={"options": OPTIONS}),
            )
        except NotFoundError:
            return None
        await ctx.ready()
        address = f"pdp_policy.{dataset}"
        enabled = control.get("enabled") if isinstance(control, dict) else None
        if not isinstance(enabled, bool):
            enabled = None
            ctx.unreadable(address, "enabled", f"GET {CONTROL}/{dataset}", "has no 'enabled'")
        policies: dict[str, dict[str, list[str]]] = {}
        ids: dict[str, Any] = {}
        unknown: list[str] = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            name = str(row.get("name") or "")
            flag = row.get("openPolicy")
            if not isinstance(flag, bool):
                unknown.append(f"no 'openPolicy' flag on policy {name!r}")
                continue
            if flag or name == OPEN_POLICY:
                continue  # Domo's own: never compared, written or deleted
            missing = [k for k in ("userIds", "groupIds", "parameters") if k not in row]
            if missing:
                unknown.append(f"no {', '.join(missing)} on policy {name!r}")
                continue
            filters = []
            for p in row.get("parameters") or []:
                if not isinstance(p, dict) or not isinstance(p.get("values"), list):
                    unknown.append(f"a parameter of policy {name!r} without values")
                    continue
                filters.append(
                    filter_text(
                        str(p.get("name")),
                        str(p.get("operator") or "EQUALS"),
                        [str(v) for v in p["values"]],
                        p.get("ignoreCase") is True,
                    )
                )
            policies[name] = {
                "filters": sorted(filters),
                "users": sorted(ctx.email_of(u) for u in row.get("userIds") or []),
                "groups": sorted(ctx.group_name(g) for g in row.get("groupIds") or []),
            }
            ids[name] = row
        if not isinstance(rows, list):
            unknown.append("an answer that is not a list")
        if unknown:
            ctx.unreadable(
                address,
                "policies",
                f"GET {CONTROL}/{dataset}/filter-groups",
                f"answers {'; '.join(unknown[:3])}, so the policies are not fully known",
            )
        return {
            "dataset": dataset,
            "name": meta.get("name") if isinstance(meta, dict) else None,
            "enabled": enabled,
            "policies": policies,
            "id": ids,
        }

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, PdpLive]:
        return await self.read_each(
            ctx, keys, lambda k: self._read(ctx, k), lambda k: f"pdp_policy.{k['dataset']}"
        )

    def _wanted(
        self, ctx: LiveContext, spec: PdpSpec, label: str
    ) -> dict[str, tuple[dict[str, list[str]], list[Any], list[Any]]]:
        """Each declared policy: its compared form, and its user and group ids (resolved now,
        so unknown references are reported with their location)."""
        out = {}
        for i, policy in enumerate(items(spec.policies)):
            where = ("policies", i)
            if policy.name == OPEN_POLICY:
                ctx.problem(
                    spec,
                    (*where, "name"),
                    f"{label}.policies[{i}].name",
                    f"'{OPEN_POLICY}' is Domo's own open policy; domogov does not manage it",
                )
                continue
            uids = [
                ctx.user_id(e, spec, (*where, "users", j), f"{label}.policies[{i}].users[{j}]")
                for j, e in enumerate(policy.users)
            ]
            gids = [
                ctx.group_ref(g, spec, (*where, "groups", j), f"{label}.policies[{i}].groups[{j}]")
                for j, g in enumerate(policy.groups)
            ]
            shown = {
                "filters": sorted(
                    filter_text(f.column, f.operator, list(f.values), f.ignore_case)
                    for f in policy.filters
                ),
                "users": sorted(str(e).lower() for e in policy.users),
                "groups": sorted(policy.groups),
            }
            out[policy.name] = (shown, [u for u in uids if u is not None], [g for g in gids if g])
        return out

    def plan_one(
        self, ctx: LiveContext, spec: PdpSpec, before: PdpLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"pdp_policies[{index}]"
        if before is None:
            ctx.problem(
                spec,
                ("dataset",),
                f"{label}.dataset",
                f"unknown dataset {spec.dataset!r}: no such dataset in Domo",
            )
            return None
        if spec.name and before.get("name") and spec.name != before["name"]:
            ctx.warnings.append(
                f"{address}: manifest names it {spec.name!r} but Domo calls it {before['name']!r}"
            )
        refused = False
        if spec.enabled is not None:
            refused |= ctx.refuse_unreadable(spec, address, "enabled", f"{label}.enabled")
        if spec.policies is not None:
            refused |= ctx.refuse_unreadable(spec, address, "policies", f"{label}.policies")
        if refused:
            return None
        dataset = spec.dataset
        calls: list[ApiCall] = []
        destructive = 0
        notes: list[str] = []
        live = before["policies"]
        target = dict(live)
        if spec.policies is not None:
            wanted = self._wanted(ctx, spec, label)
            additive = mode_of(spec.policies) == "additive"
            target = dict(live) if additive else {}
            for name, (shown, uids, gids) in wanted.items():
                target[name] = shown
                if live.get(name) == shown:
                    continue
                row = before["id"].get(name)
                body = {
                    **(row or {}),
                    "name": name,
                    "dataSourceId": dataset,
                    "userIds": uids,
                    "groupIds": gids,
                    "virtualUserIds": list((row or {}).get("virtualUserIds") or []),
                    "dataSourcePermissions": False,
                    "parameters": [
                        {
                            "type": "COLUMN",
                            "name": f.column,
                            "values": list(f.values),
                            "operator": f.operator,
                            "ignoreCase": f.ignore_case,
                        }
                        for p in items(spec.policies)
                        if p.name == name
                        for f in p.filters
                    ],
                }
                body.pop("openPolicy", None)
                if row is None:
                    body.pop("filterGroupId", None)
                    calls.append(ApiCall("POST", f"{CONTROL}/{dataset}/filter-groups", body=body))
                else:
                    pid = row.get("filterGroupId")
                    body["filterGroupId"] = pid
                    path = f"{CONTROL}/{dataset}/filter-groups/{pid}"
                    calls.append(ApiCall("PUT", path, body=body))
                    lost = set(live[name]["users"]) - set(shown["users"])
                    destructive += len(lost) + len(set(live[name]["groups"]) - set(shown["groups"]))
            for name in sorted(set(live) - set(target)):
                pid = before["id"][name].get("filterGroupId")
                calls.append(ApiCall("DELETE", f"{CONTROL}/{dataset}/filter-groups/{pid}"))
                destructive += 1
        enabled = before["enabled"]
        if spec.enabled is not None and spec.enabled != before["enabled"]:
            enabled = spec.enabled
            body = {"enabled": spec.enabled, "external": False}
            if spec.enabled:
                if not target:
                    ctx.warnings.append(
                        f"{address}: PDP turned on with no policy but '{OPEN_POLICY}': only "
                        f"the users and groups of '{OPEN_POLICY}' will see any row"
                    )
                calls.append(ApiCall("PUT", f"{CONTROL}/{dataset}", body=body))
            else:
                # Off last: the policies change first, then every row opens to everyone.
                calls.append(ApiCall("PUT", f"{CONTROL}/{dataset}", body=body))
                destructive += 1
                notes.append("PDP off: everyone who can open the dataset sees every row")
        after = {**before, "enabled": enabled, "policies": target}
        change = make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=calls,
            destructive=destructive,
            notes=notes,
        )
        if change is not None:
            change.diffs = _policy_diffs(before, after)
            if change.action == Action.UPDATE and not change.diffs and not change.calls:
                return None
        return change

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None  # policies are found by name on the next read; nothing waits for their id

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """The PDP of the datasets the run names (or finds): datasets with PDP on or with a
        policy; a dataset whose policies could not be read is left out, with a warning."""
        if not session.wants(self.section):
            return
        found = await session.datasets(self.section)
        if found is None:
            return
        ids = list(found)
        session.start("PDP", len(ids))
        live = await self.fetch(ctx, [{"dataset": d} for d in ids])
        nodes = []
        for dataset in ids:
            pdp = live.get(f"pdp_policy.{dataset}")
            session.advance()
            if pdp is None or (not pdp["enabled"] and not pdp["policies"]):
                continue
            address = f"pdp_policy.{dataset}"
            node = CommentedMap(dataset=dataset)
            add_comment(node, "dataset", found[dataset] or pdp.get("name") or "")
            if pdp["enabled"] is not None:
                node["enabled"] = pdp["enabled"]
            if ctx.is_unreadable(address, "policies"):
                session.warnings.append(
                    f"dataset {dataset}: PDP 'policies' not exported (unreadable)"
                )
            else:
                node["policies"] = CommentedSeq(
                    _policy_node(name, p) for name, p in sorted(pdp["policies"].items())
                )
            if valid(PdpSpec, node, f"PDP of dataset {dataset}", session.warnings):
                nodes.append(node)
        notes = ["Datasets by id; each policies list is authoritative ('All Rows' is Domo's own)."]
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return [("DATA_SOURCE", str((change.before or change.after or {}).get("dataset", "")))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Which users gain or lose which rows (groups expanded to their members)."""
        out: list[dict[str, Any]] = []
        for address, before in sorted(view.live.items()):
            change = view.by_address.get(address)
            after = change.after if change and change.after else before
            groups = {g for p in [*before["policies"].values(), *after["policies"].values()]
                      for g in p["groups"]}  # fmt: skip
            if change is None and not groups & view.moved_groups:
                continue
            label = before.get("name") or before["dataset"]
            old = _rows_seen(before["policies"], view.members_before)
            new = _rows_seen(after["policies"], view.members_after)
            for email, policy, text in sorted(new - old):
                out.append(
                    _row_entry(
                        "+", email, address, f'+ {email} sees {text} on "{label}" (policy {policy})'
                    )
                )
            for email, policy, text in sorted(old - new):
                out.append(
                    _row_entry(
                        "-",
                        email,
                        address,
                        f'- {email} no longer sees {text} on "{label}" (policy {policy})',
                    )
                )
            if before["enabled"] is True and after["enabled"] is False:
                text = f'- PDP off on "{label}": everyone who can open it sees every row'
                out.append(_row_entry("-", "*", address, text))
            elif before["enabled"] is False and after["enabled"] is True:
                text = f'~ PDP on on "{label}": rows limited to its policies'
                out.append(_row_entry("~", "*", address, text))
        return out


async def _none() -> None:
    return None


def _rows_seen(
    policies: Mapping[str, Mapping[str, list[str]]], members: Any
) -> set[tuple[str, str, str]]:
    seen: set[tuple[str, str, str]] = set()
    for name, policy in policies.items():
        text = " and ".join(_readable(f) for f in policy["filters"]) or "every row"
        people = set(policy["users"])
        for group in policy["groups"]:
            people |= set(members(group))
        seen |= {(email, name, text) for email in people}
    return seen


def _row_entry(sign: str, email: str, address: str, text: str) -> dict[str, Any]:
    return {"type": "row_access", "sign": sign, "user": email, "object": address, "text": text}


def _policy_diffs(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldDiff]:
    """``enabled`` old -> new; each policy added or removed whole, or field by field."""
    diffs: list[FieldDiff] = []
    if before["enabled"] != after["enabled"]:
        diffs.append(FieldDiff("enabled", old=before["enabled"], new=after["enabled"]))
    old, new = before["policies"], after["policies"]
    for name in sorted(set(old) | set(new)):
        if name not in old:
            diffs.append(FieldDiff("policies", added=[name], collection=True))
        elif name not in new:
            diffs.append(FieldDiff("policies", removed=[name], collection=True))
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name, {}), new.get(name, {})
        for field in ("filters", "users", "groups"):
            added = sorted(set(b.get(field, [])) - set(a.get(field, [])))
            removed = sorted(set(a.get(field, [])) - set(b.get(field, [])))
            if added or removed:
                diffs.append(
                    FieldDiff(
                        f"policies.{name}.{field}", added=added, removed=removed, collection=True
                    )
                )
    return diffs


def _policy_node(name: str, policy: Mapping[str, list[str]]) -> CommentedMap:
    node = CommentedMap(name=name)
    filters = CommentedSeq()
    for text in policy["filters"]:
        column, operator, values, ignore = split_filter(text)
        entry = CommentedMap(column=column, operator=operator)
        entry["values"] = values
        if not ignore:
            entry["ignore_case"] = False
        filters.append(entry)
    node["filters"] = filters
    if policy["users"]:
        node["users"] = list(policy["users"])
    if policy["groups"]:
        node["groups"] = list(policy["groups"])
    return node


KIND = PdpKind()
