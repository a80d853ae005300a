"""Identity entities: users, authorities, roles and groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domogov.sim.entities.base import GROUP_TYPES, Reader


@dataclass
class User:
    """A Domo user; holds exactly one role."""

    id: int
    display_name: str
    email: str
    role_id: int
    title: str = ""
    department: str = ""
    phone: str = ""
    employee_id: str = ""

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> User:
        keys = ("id", "displayName", "emailAddress", "roleId", "title")
        r = Reader(doc, where, (*keys, "department", "phoneNumber", "employeeId"))
        return cls(
            r.int("id"),
            r.str("displayName"),
            r.str("emailAddress"),
            r.int("roleId"),
            r.str("title", ""),
            r.str("department", ""),
            r.str("phoneNumber", ""),
            r.str("employeeId", ""),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "emailAddress": self.email,
            "roleId": self.role_id,
            "title": self.title,
        }
        # Written only when set: state files from before these keys stay byte-identical.
        for key, value in (
            ("department", self.department),
            ("phoneNumber", self.phone),
            ("employeeId", self.employee_id),
        ):
            if value:
                doc[key] = value
        return doc


@dataclass
class Authority:
    """A grant a role can hold, such as ``dataset.manage``."""

    authority: str
    title: str = ""
    description: str = ""
    ui_group: str = ""

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Authority:
        keys = ("authority", "title", "description", "authorityUIGroup")
        r = Reader(doc, where, keys)
        return cls(
            r.str("authority"), r.str("title", ""), r.str("description", ""), r.str(keys[3], "")
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "authority": self.authority,
            "title": self.title,
            "description": self.description,
            "authorityUIGroup": self.ui_group,
        }


@dataclass
class Role:
    """A role: a named set of authorities."""

    id: int
    name: str
    description: str = ""
    authorities: list[str] = field(default_factory=list)
    created: int = 0
    modified: int = 0

    @classmethod
    def from_doc(cls, doc: Any, where: str, now_ms: int) -> Role:
        keys = ("id", "name", "description", "authorities", "created", "modified")
        r = Reader(doc, where, keys)
        created = r.int("created", now_ms)
        return cls(
            r.int("id"),
            r.str("name"),
            r.str("description", ""),
            [str(a) for a in r.list("authorities")],
            created,
            r.int("modified", created),
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "authorities": list(self.authorities),
            "created": self.created,
            "modified": self.modified,
        }


@dataclass
class Group:
    """A group of users (and groups); inactive once deleted."""

    id: int
    name: str
    type: str = "closed"
    description: str = ""
    members: list[int] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    member_groups: list[int] = field(default_factory=list)
    owner_groups: list[int] = field(default_factory=list)
    active: bool = True
    creator_id: int = 0
    created: str = ""
    guid: str = ""

    @classmethod
    def from_doc(cls, doc: Any, where: str, default_created: str) -> Group:
        keys = (
            "id", "name", "type", "description", "members", "owners", "memberGroups",
            "ownerGroups", "active", "creatorId", "created", "guid",
        )  # fmt: skip
        r = Reader(doc, where, keys)
        gid = r.int("id")
        return cls(
            id=gid,
            name=r.str("name"),
            type=r.choice("type", GROUP_TYPES, "closed"),
            description=r.str("description", ""),
            members=r.int_list("members"),
            owners=r.int_list("owners"),
            member_groups=r.int_list("memberGroups"),
            owner_groups=r.int_list("ownerGroups"),
            active=r.bool("active", True),
            creator_id=r.int("creatorId", 0),
            created=r.str("created", default_created),
            guid=r.str("guid", ""),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "members": list(self.members),
            "owners": list(self.owners),
        }
        if self.member_groups:
            doc["memberGroups"] = list(self.member_groups)
        if self.owner_groups:
            doc["ownerGroups"] = list(self.owner_groups)
        doc.update(active=self.active, creatorId=self.creator_id, created=self.created)
        if self.guid:
            doc["guid"] = self.guid
        return doc
