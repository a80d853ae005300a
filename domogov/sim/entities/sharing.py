"""Files and workflows, with their permission lists (file and workflow permissions).

A page's or card's sharing lives on ``Page`` / ``Card`` (``ContentShares``, in content.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domogov.sim.entities.base import PRINCIPAL_TYPES, Reader, StateFileError

#: The grant strings of a file entry: 001 shows READ_WRITE_DELETE_SHARE_ADMIN; the others are
#: the same words 004 uses for dataset permissions strings.
FILE_GRANTS = (
    "READ", "READ_WRITE", "READ_SHARE", "READ_WRITE_SHARE", "READ_WRITE_DELETE",
    "READ_WRITE_DELETE_SHARE", "READ_WRITE_DELETE_SHARE_ADMIN",
)  # fmt: skip
#: 001 "Changing a Workflow's Permissions": every permission string its example shows.
WORKFLOW_PERMISSIONS = (
    "ADMIN", "SHARE", "DELETE", "WRITE", "READ", "EXPORT", "EXECUTE", "UPDATE_CONTENT",
)  # fmt: skip


@dataclass
class FileEntry:
    """One entry of a file's permissions: a user or group, a grant string and ``pass``."""

    entity_type: str
    entity_id: int
    grant: str
    pass_: str = "NONE"

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> FileEntry:
        r = Reader(doc, where, ("entityType", "entityId", "grant", "pass"))
        return cls(
            r.choice("entityType", PRINCIPAL_TYPES),
            r.int("entityId"),
            r.choice("grant", FILE_GRANTS),
            r.str("pass", "NONE"),
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "grant": self.grant,
            "pass": self.pass_,
        }


@dataclass
class DataFile:
    """A file of the Data File Service: its owner (responsibleUserId) and permissions."""

    id: int
    name: str
    owner: int
    public: bool = False
    entries: list[FileEntry] = field(default_factory=list)
    created: int = 0

    @classmethod
    def from_doc(cls, doc: Any, where: str, now_ms: int) -> DataFile:
        r = Reader(doc, where, ("id", "name", "owner", "public", "entries", "created"))
        return cls(
            id=r.int("id"),
            name=r.str("name"),
            owner=r.int("owner"),
            public=r.bool("public", False),
            entries=[
                FileEntry.from_doc(e, f"{where}.entries[{i}]")
                for i, e in enumerate(r.list("entries"))
            ],
            created=r.int("created", now_ms),
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "public": self.public,
            "entries": [e.to_doc() for e in self.entries],
            "created": self.created,
        }


@dataclass
class WorkflowGrant:
    """One entry of a workflow model's permissions: a user or group and its permissions."""

    type: str
    id: int
    permissions: list[str]

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> WorkflowGrant:
        r = Reader(doc, where, ("type", "id", "permissions"))
        perms = [str(p) for p in r.list("permissions")]
        bad = [p for p in perms if p not in WORKFLOW_PERMISSIONS]
        if bad:
            raise StateFileError(f"{where}.permissions: {bad} not in {list(WORKFLOW_PERMISSIONS)}")
        return cls(r.choice("type", PRINCIPAL_TYPES), r.int("id"), perms)

    def to_doc(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "permissions": list(self.permissions)}


@dataclass
class Workflow:
    """A workflow model (id a UUID string), its owner and its permission list."""

    id: str
    name: str
    owner: int
    permissions: list[WorkflowGrant] = field(default_factory=list)

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Workflow:
        r = Reader(doc, where, ("id", "name", "owner", "permissions"))
        return cls(
            id=r.str("id"),
            name=r.str("name"),
            owner=r.int("owner"),
            permissions=[
                WorkflowGrant.from_doc(g, f"{where}.permissions[{i}]")
                for i, g in enumerate(r.list("permissions"))
            ],
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "permissions": [g.to_doc() for g in self.permissions],
        }
