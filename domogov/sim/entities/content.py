"""Content entities: datasets and grants, cards, certifications, alerts, pages, report schedules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domogov.sim.entities.base import (
    ACCESS_LEVELS,
    CERT_ENTITY_TYPES,
    CERT_STATES,
    FREQUENCIES,
    PRINCIPAL_TYPES,
    RECIPIENT_TYPES,
    WEEKDAYS,
    Reader,
    StateFileError,
)


@dataclass
class Grant:
    """One dataset permission given to a user or a group (the owner is not a grant)."""

    type: str
    id: int
    access_level: str

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Grant:
        r = Reader(doc, where, ("type", "id", "accessLevel"))
        return cls(
            r.choice("type", PRINCIPAL_TYPES), r.int("id"), r.choice("accessLevel", ACCESS_LEVELS)
        )

    def to_doc(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "accessLevel": self.access_level}


@dataclass
class Dataset:
    """A dataset (Domo: DataSource) with its owner and grants."""

    id: str
    name: str
    owner: int
    permissions: list[Grant] = field(default_factory=list)
    description: str = ""
    row_count: int = 0
    column_count: int = 0
    created: int = 0

    @classmethod
    def from_doc(cls, doc: Any, where: str, now_ms: int) -> Dataset:
        keys = ("id", "name", "owner", "permissions", "description", "rowCount", "columnCount")
        r = Reader(doc, where, (*keys, "created"))
        grants = r.list("permissions")
        return cls(
            id=r.str("id"),
            name=r.str("name"),
            owner=r.int("owner"),
            permissions=[
                Grant.from_doc(g, f"{where}.permissions[{i}]") for i, g in enumerate(grants)
            ],
            description=r.str("description", ""),
            row_count=r.int("rowCount", 0),
            column_count=r.int("columnCount", 0),
            created=r.int("created", now_ms),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "permissions": [g.to_doc() for g in self.permissions],
        }
        if self.description:
            doc["description"] = self.description
        doc.update(rowCount=self.row_count, columnCount=self.column_count, created=self.created)
        return doc


#: State-file keys of a page's or card's sharing (all optional).
SHARE_KEYS = ("owner", "sharedUsers", "sharedGroups")


@dataclass
class ContentShares:
    """Who a page or card is shared with: an owner (not a share), users and groups by id."""

    owner: int | None = None
    users: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)

    @classmethod
    def from_reader(cls, r: Reader) -> ContentShares:
        return cls(r.int("owner", None), r.int_list("sharedUsers"), r.int_list("sharedGroups"))

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.owner is not None:
            doc["owner"] = self.owner
        if self.users:
            doc["sharedUsers"] = list(self.users)
        if self.groups:
            doc["sharedGroups"] = list(self.groups)
        return doc


@dataclass
class Card:
    """A card; optionally built on a dataset."""

    id: int
    title: str
    dataset_id: str | None = None
    #: Who the card is shared with (page_shares); the owner is apart, never a share.
    shares: ContentShares = field(default_factory=lambda: ContentShares())

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Card:
        r = Reader(doc, where, ("id", "title", "datasetId", *SHARE_KEYS))
        return cls(
            r.int("id"), r.str("title"), r.str("datasetId", None), ContentShares.from_reader(r)
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.dataset_id:
            doc["datasetId"] = self.dataset_id
        doc.update(self.shares.to_doc())
        return doc


@dataclass
class Certification:
    """The CERTIFIED tag of a card or dataset; only certified entities have one."""

    entity_type: str
    entity_id: str
    state: str = "ACTIVE"
    updated: int | None = None

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Certification:
        r = Reader(doc, where, ("entityType", "entityId", "state", "updated"))
        return cls(
            r.choice("entityType", CERT_ENTITY_TYPES),
            r.str("entityId"),
            r.choice("state", CERT_STATES, "ACTIVE"),
            r.int("updated", None),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"entityType": self.entity_type, "state": self.state}
        doc["entityId"] = int(self.entity_id) if self.entity_type == "CARD" else self.entity_id
        if self.updated is not None:
            doc["updated"] = self.updated
        return doc


@dataclass
class Subscription:
    """A user or group subscribed to an alert."""

    id: int
    subscriber_id: int
    type: str
    subscribed_by: int

    @classmethod
    def from_doc(cls, doc: Any, where: str, default_id: int, default_by: int) -> Subscription:
        r = Reader(doc, where, ("id", "subscriberId", "type", "subscribedBy"))
        return cls(
            r.int("id", default_id),
            r.int("subscriberId"),
            r.choice("type", PRINCIPAL_TYPES),
            r.int("subscribedBy", default_by),
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscriberId": self.subscriber_id,
            "type": self.type,
            "subscribedBy": self.subscribed_by,
        }


@dataclass
class Alert:
    """An alert on a dataset or card, with its subscriptions (alerts are managed, not created)."""

    id: int
    name: str
    type: str
    resource_type: str
    resource_id: str
    owner: int
    created_at: str
    subscriptions: list[Subscription] = field(default_factory=list)
    description: str = ""
    category: str = "DATA"
    enabled: bool = True
    modified_at: str = ""
    modified_by: int = 0

    @classmethod
    def from_doc(cls, doc: Any, where: str, next_sub_id: int) -> Alert:
        keys = (
            "id", "name", "type", "resourceType", "resourceId", "owner", "createdAt",
            "subscriptions", "description", "category", "enabled", "modifiedAt", "modifiedBy",
        )  # fmt: skip
        r = Reader(doc, where, keys)
        owner = r.int("owner")
        created_at = r.str("createdAt", "2024-01-01 00:00:00")
        subs = []
        for i, sub in enumerate(r.list("subscriptions")):
            subs.append(
                Subscription.from_doc(sub, f"{where}.subscriptions[{i}]", next_sub_id, owner)
            )
            next_sub_id = max(next_sub_id, subs[-1].id) + 1
        return cls(
            id=r.int("id"),
            name=r.str("name"),
            type=r.str("type", "ANY_ROW"),
            resource_type=r.choice("resourceType", ("DATASET", "CARD"), "DATASET"),
            resource_id=r.str("resourceId"),
            owner=owner,
            created_at=created_at,
            subscriptions=subs,
            description=r.str("description", ""),
            category=r.str("category", "DATA"),
            enabled=r.bool("enabled", True),
            modified_at=r.str("modifiedAt", created_at),
            modified_by=r.int("modifiedBy", owner),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "resourceType": self.resource_type,
            "resourceId": self.resource_id,
            "owner": self.owner,
            "createdAt": self.created_at,
            "subscriptions": [s.to_doc() for s in self.subscriptions],
        }
        if self.description:
            doc["description"] = self.description
        doc.update(category=self.category, enabled=self.enabled, modifiedAt=self.modified_at)
        doc["modifiedBy"] = self.modified_by
        return doc


@dataclass
class Page:
    """A page; report schedules send a view of one."""

    id: int
    title: str
    #: Who the page is shared with (page_shares); the owner is apart, never a share.
    shares: ContentShares = field(default_factory=lambda: ContentShares())

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> Page:
        r = Reader(doc, where, ("id", "title", *SHARE_KEYS))
        return cls(r.int("id"), r.str("title", ""), ContentShares.from_reader(r))

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, **self.shares.to_doc()}


@dataclass
class Recipient:
    """An additional recipient of a report: a user id, a group id or an e-mail address."""

    type: str
    value: str

    def to_doc(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}


def schedule_problem(
    frequency: Any, days: Any, hour: Any, minute: Any, timezone: Any
) -> str | None:
    """Why this schedule timing is invalid, or None when it is valid."""
    if frequency not in FREQUENCIES:
        return f"frequency must be one of {list(FREQUENCIES)}, got {frequency!r}"
    day_list = [d.strip() for d in str(days or "").split(",") if d.strip()]
    if frequency == "WEEKLY" and (not day_list or any(d not in WEEKDAYS for d in day_list)):
        return f"daysToRun for WEEKLY must be a comma list of {','.join(WEEKDAYS)}, got {days!r}"
    if frequency == "MONTHLY" and (
        not day_list or any(not d.isdigit() or not 1 <= int(d) <= 31 for d in day_list)
    ):
        return f"daysToRun for MONTHLY must be a comma list of day numbers 1-31, got {days!r}"
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        return f"hourOfDay must be an integer 0-23, got {hour!r}"
    if isinstance(minute, bool) or not isinstance(minute, int) or not 0 <= minute <= 59:
        return f"minOfHour must be an integer 0-59, got {minute!r}"
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone {timezone!r}"
    return None


@dataclass
class ScheduleSpec:
    """When a report runs and who receives it besides the owner."""

    frequency: str
    days_to_run: str
    hour_of_day: int
    min_of_hour: int
    timezone: str
    enabled: bool = True
    recipients: list[Recipient] = field(default_factory=list)

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> ScheduleSpec:
        keys = (
            "frequency", "daysToRun", "hourOfDay", "minOfHour", "timezone", "enabled",
            "additionalRecipients",
        )  # fmt: skip
        r = Reader(doc, where, keys)
        spec = cls(
            r.str("frequency"),
            r.str("daysToRun", ""),
            r.int("hourOfDay", 0),
            r.int("minOfHour", 0),
            r.str("timezone", "UTC"),
            r.bool("enabled", True),
        )
        problem = schedule_problem(
            spec.frequency, spec.days_to_run, spec.hour_of_day, spec.min_of_hour, spec.timezone
        )
        if problem:
            raise StateFileError(f"{where}: {problem}")
        for i, rec in enumerate(r.list("additionalRecipients")):
            rr = Reader(rec, f"{where}.additionalRecipients[{i}]", ("type", "value"))
            spec.recipients.append(Recipient(rr.choice("type", RECIPIENT_TYPES), rr.str("value")))
        return spec

    def to_doc(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "daysToRun": self.days_to_run,
            "hourOfDay": self.hour_of_day,
            "minOfHour": self.min_of_hour,
            "timezone": self.timezone,
            "enabled": self.enabled,
            "additionalRecipients": [r.to_doc() for r in self.recipients],
        }


@dataclass
class ReportSchedule:
    """A scheduled report: a page view sent on a schedule."""

    id: int
    title: str
    page_id: int
    view_id: int
    owner_id: int
    schedule: ScheduleSpec
    attachment_include: bool = False
    start_date: int = 0
    view_name: str = ""

    @classmethod
    def from_doc(cls, doc: Any, where: str, default_owner: int, now_ms: int) -> ReportSchedule:
        keys = (
            "id", "title", "pageId", "viewId", "ownerId", "attachmentInclude", "schedule",
            "startDate", "viewName",
        )  # fmt: skip
        r = Reader(doc, where, keys)
        return cls(
            id=r.int("id"),
            title=r.str("title"),
            page_id=r.int("pageId"),
            view_id=r.int("viewId", 0),
            owner_id=r.int("ownerId", default_owner),
            schedule=ScheduleSpec.from_doc(r.doc.get("schedule"), f"{where}.schedule"),
            attachment_include=r.bool("attachmentInclude", False),
            start_date=r.int("startDate", now_ms),
            view_name=r.str("viewName", ""),
        )

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "pageId": self.page_id,
            "viewId": self.view_id,
            "ownerId": self.owner_id,
            "attachmentInclude": self.attachment_include,
            "schedule": self.schedule.to_doc(),
            "startDate": self.start_date,
        }
        if self.view_name:
            doc["viewName"] = self.view_name
        return doc
