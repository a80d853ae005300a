"""A plan is data: actions, API calls, changes and the plan document, with a JSON round trip."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FORMAT_VERSION = "1"


class Action(StrEnum):
    """What a change does to its object; ``symbol`` is what the text view prints."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_SUMMARY_KEYS = {Action.CREATE: "add", Action.UPDATE: "change", Action.DELETE: "destroy"}


@dataclass
class ApiCall:
    """One HTTP call apply will make; ids not yet known appear as ``${address.id}``.

    ``produces`` names the address whose id this call's response carries (a create);
    ``id_key`` is where in the response body that id is.  ``idempotent`` tells the client
    whether a failure with unknown outcome may be retried blindly; ``confirm`` marks a call
    whose 400 answer is checked by reading back (Domo applies some role writes, then says 400).
    """

    method: str
    path: str
    body: Any = None
    params: dict[str, Any] | None = None
    idempotent: bool = True
    produces: str | None = None
    id_key: str = "id"
    note: str = ""
    confirm: bool = False

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.params:
            doc["params"] = self.params
        if self.body is not None:
            doc["body"] = self.body
        if not self.idempotent:
            doc["idempotent"] = False
        if self.produces:
            doc["produces"] = self.produces
            doc["id_key"] = self.id_key
        if self.note:
            doc["note"] = self.note
        if self.confirm:
            doc["confirm"] = True
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ApiCall:
        return cls(
            method=doc["method"],
            path=doc["path"],
            body=doc.get("body"),
            params=doc.get("params"),
            idempotent=doc.get("idempotent", True),
            produces=doc.get("produces"),
            id_key=doc.get("id_key", "id"),
            note=doc.get("note", ""),
            confirm=bool(doc.get("confirm", False)),
        )


@dataclass
class FieldDiff:
    """One field's change: a scalar ``old -> new``, or collection entries added and removed."""

    field: str
    old: Any = None
    new: Any = None
    added: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    changed: list[str] = dataclasses.field(default_factory=list)
    collection: bool = False

    def to_json(self) -> dict[str, Any]:
        if self.collection:
            doc: dict[str, Any] = {
                "field": self.field,
                "added": self.added,
                "removed": self.removed,
            }
            if self.changed:
                doc["changed"] = self.changed
            return doc
        return {"field": self.field, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FieldDiff:
        if "added" in doc or "removed" in doc:
            return cls(
                field=doc["field"],
                added=list(doc.get("added", [])),
                removed=list(doc.get("removed", [])),
                changed=list(doc.get("changed", [])),
                collection=True,
            )
        return cls(field=doc["field"], old=doc.get("old"), new=doc.get("new"))


@dataclass
class Change:
    """A decided change to one address: what it was, what it will be, and the calls to get there.

    ``key`` is the identity (e.g. ``{"name": "Finance Analysts"}``) a saved plan uses to
    re-read the object; ``destructive`` counts the deletes and revokes in it, for the guard.
    """

    address: str
    kind: str
    action: Action
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diffs: list[FieldDiff] = dataclasses.field(default_factory=list)
    calls: list[ApiCall] = dataclasses.field(default_factory=list)
    depends_on: list[str] = dataclasses.field(default_factory=list)
    destructive: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.before)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "action": self.action.value,
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "diffs": [d.to_json() for d in self.diffs],
            "depends_on": sorted(self.depends_on),
            "destructive": self.destructive,
            "notes": self.notes,
            "calls": [c.to_json() for c in self.calls],
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Change:
        return cls(
            address=doc["address"],
            kind=doc["kind"],
            action=Action(doc["action"]),
            key=doc.get("key", {}),
            before=doc.get("before"),
            after=doc.get("after"),
            diffs=[FieldDiff.from_json(d) for d in doc.get("diffs", [])],
            calls=[ApiCall.from_json(c) for c in doc.get("calls", [])],
            depends_on=list(doc.get("depends_on", [])),
            destructive=int(doc.get("destructive", 0)),
            notes=list(doc.get("notes", [])),
            fingerprint=doc.get("fingerprint", ""),
        )


@dataclass(frozen=True)
class Unreadable:
    """A part of a live object domogov could not read: an answer lacked the field, or carried a
    value domogov does not recognise. Unknown is not empty: the part is neither diffed nor
    written; when the manifests manage it, the plan fails naming it (SPEC §5)."""

    address: str
    field: str
    endpoint: str
    reason: str

    @property
    def text(self) -> str:
        return f"unreadable: {self.address}: {self.endpoint} {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {
            "address": self.address,
            "field": self.field,
            "endpoint": self.endpoint,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Unreadable:
        return cls(str(doc["address"]), str(doc["field"]), str(doc["endpoint"]), str(doc["reason"]))


@dataclass
class Plan:
    """Every change for one instance, in dependency order, plus warnings for humans."""

    instance: str
    changes: list[Change]
    warnings: list[str] = dataclasses.field(default_factory=list)
    created_at: str = ""
    domogov_version: str = ""
    config_dir: str = ""
    impact: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    policy: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: Parts of live objects that could not be read, so are not managed (see Unreadable).
    unreadable: list[Unreadable] = dataclasses.field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "destroy": 0}
        for c in self.changes:
            counts[_SUMMARY_KEYS[c.action]] += 1
        return counts

    @property
    def destructive(self) -> int:
        return sum(c.destructive for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "instance": self.instance,
            "created_at": self.created_at,
            "domogov_version": self.domogov_version,
            "config_dir": self.config_dir,
            "summary": self.summary,
            "warnings": self.warnings,
            "changes": [c.to_json() for c in self.changes],
            "impact": self.impact,
            "policy": self.policy,
            "unreadable": [u.to_json() for u in self.unreadable],
        }

    def dumps(self, *, pretty: bool = True) -> str:
        """The plan document; ``pretty=False`` for plan files (much less time and memory on
        large plans: the indenting encoder is pure Python)."""
        if pretty:
            return json.dumps(self.to_json(), indent=2) + "\n"
        return _COMPACT.encode(self.to_json()) + "\n"

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Plan:
        version = str(doc.get("format_version", ""))
        if version != FORMAT_VERSION:
            raise ValueError(
                f"plan format_version {version!r} is not supported (expected {FORMAT_VERSION})"
            )
        return cls(
            instance=doc["instance"],
            changes=[Change.from_json(c) for c in doc.get("changes", [])],
            warnings=list(doc.get("warnings", [])),
            created_at=doc.get("created_at", ""),
            domogov_version=doc.get("domogov_version", ""),
            config_dir=doc.get("config_dir", ""),
            impact=list(doc.get("impact", [])),
            policy=list(doc.get("policy", [])),
            unreadable=[Unreadable.from_json(u) for u in doc.get("unreadable", [])],
        )


# Encoders built once (json.dumps with options builds one per call).  A plan document is
# never circular, so the compact encoder skips the cycle check (a dict entry per container).
_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False)
_FINGERPRINT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(obj: Any) -> str:
    """A stable hash of a normalised live object (``None`` for one that does not exist)."""
    text = _FINGERPRINT.encode(obj)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
