"""Personalized data permissions (PDP, row-level security): a dataset's policies.

State file section ``pdp``::

    pdp:
      - dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426
        enabled: true
        policies:
          - {id: 11, name: All Rows, open: true, users: [1001]}
          - {id: 12, name: EMEA sales, users: [1004], groups: [502],
             parameters: [{column: region, operator: EQUALS, values: [EMEA], ignoreCase: true}]}

Every dataset has Domo's own "All Rows" open policy (added when the state lacks it); it can be
given users and groups but never deleted. A dataset with no entry has PDP off and only that
policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domogov.sim.entities.base import Reader, StateFileError

OPEN_POLICY = "All Rows"
#: Operators Domo's PDP editor offers (public clients send EQUALS; the rest are in the UI).
OPERATORS = (
    "EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "GREATER_THAN_EQUAL",
    "LESS_THAN_EQUAL", "BETWEEN", "CONTAINS", "NOT_CONTAINS",
)  # fmt: skip


@dataclass
class PdpFilter:
    """One column condition of a policy."""

    column: str
    values: list[str]
    operator: str = "EQUALS"
    ignore_case: bool = True

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> PdpFilter:
        r = Reader(doc, where, ("column", "values", "operator", "ignoreCase"))
        operator = r.choice("operator", OPERATORS, "EQUALS")
        return cls(
            r.str("column"),
            [str(v) for v in r.list("values")],
            operator,
            r.bool("ignoreCase", True),
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "operator": self.operator,
            "values": list(self.values),
            "ignoreCase": self.ignore_case,
        }

    def to_api(self) -> dict[str, Any]:
        """The ``parameters`` entry of the filter-groups API."""
        return {
            "type": "COLUMN",
            "name": self.column,
            "values": list(self.values),
            "operator": self.operator,
            "ignoreCase": self.ignore_case,
        }


@dataclass
class PdpPolicy:
    """A PDP policy: who (users, groups) sees which rows (filters)."""

    id: int
    name: str
    users: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    virtual_users: list[int] = field(default_factory=list)
    filters: list[PdpFilter] = field(default_factory=list)
    open: bool = False

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> PdpPolicy:
        keys = ("id", "name", "users", "groups", "virtualUsers", "parameters", "open")
        r = Reader(doc, where, keys)
        return cls(
            r.int("id"),
            r.str("name"),
            r.int_list("users"),
            r.int_list("groups"),
            r.int_list("virtualUsers"),
            [
                PdpFilter.from_doc(f, f"{where}.parameters[{i}]")
                for i, f in enumerate(r.list("parameters"))
            ],
            r.bool("open", False),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.open:
            doc["open"] = True
        doc.update(users=list(self.users), groups=list(self.groups))
        if self.virtual_users:
            doc["virtualUsers"] = list(self.virtual_users)
        doc["parameters"] = [f.to_doc() for f in self.filters]
        return doc


@dataclass
class PdpDataset:
    """A dataset's PDP: on or off, and its policies (the open one first)."""

    dataset: str
    enabled: bool = False
    policies: list[PdpPolicy] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.dataset

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> PdpDataset:
        r = Reader(doc, where, ("dataset", "enabled", "policies"))
        policies = [
            PdpPolicy.from_doc(p, f"{where}.policies[{i}]")
            for i, p in enumerate(r.list("policies"))
        ]
        names = [p.name.lower() for p in policies]
        if len(set(names)) != len(names):
            raise StateFileError(f"{where}: two policies share a name")
        return cls(r.str("dataset"), r.bool("enabled", False), policies)

    def to_doc(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "enabled": self.enabled,
            "policies": [p.to_doc() for p in self.policies],
        }

    def policy(self, pid: int) -> PdpPolicy | None:
        return next((p for p in self.policies if p.id == pid), None)

    def add_to(self, state: Any, where: str) -> None:
        """Add to a state being loaded, refusing a second entry for the dataset and dangling
        references (the dataset, each user and group a policy names)."""
        if self.dataset in state.pdp:
            raise StateFileError(f"{where}: dataset {self.dataset} has two pdp entries")
        state.pdp[self.dataset] = self
        if self.dataset not in state.datasets:
            raise StateFileError(f"{where}: dataset {self.dataset} not found")
        for policy in self.policies:
            for uid in policy.users:
                if uid not in state.users:
                    raise StateFileError(f"{where}: policy {policy.name!r}: user {uid} not found")
            for gid in policy.groups:
                if gid not in state.groups:
                    raise StateFileError(f"{where}: policy {policy.name!r}: group {gid} not found")

    def forget_user(self, uid: int) -> None:
        for policy in self.policies:
            policy.users = [u for u in policy.users if u != uid]
