"""The six kinds of the manifest language as pydantic models, and their addresses.

A scalar key left out (``description``, ``type``, ``view``, ...) is ``None``: "not managed",
domogov leaves the live value alone. An omitted collection (``members``, ``grants``, ...)
is ``None`` too; ``[]`` is an authoritative empty collection. Report schedules' ``enabled``
and ``attachment`` default to ``true`` and ``false``: they are always managed.
With ``ensure: absent`` only the identity keys are required.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from domogov.config.types import (
    Access,
    Collection,
    DatasetId,
    Email,
    EmailCollection,
    Ensure,
    EnsureState,
    Frequency,
    FrequencyName,
    GroupKind,
    Name,
    NameCollection,
    PositiveInt,
    Time,
    Timezone,
    Weekday,
    describe,
    fail,
    managed,
    show,
)

_ENSURE = "present (default) keeps the object as declared; absent deletes it."
_PINNED = "Pinned Domo id: lets a rename be an update instead of delete + create."


def _schema_extra(schema: dict[str, Any], cls: type) -> None:
    # What the validators enforce, told to editors too: "exactly one of", "required unless absent".
    one_of: tuple[str, ...] = getattr(cls, "one_of", ())
    if one_of:
        schema["oneOf"] = [{"required": [k]} for k in one_of]
    required: tuple[str, ...] = getattr(cls, "required_when_present", ())
    if required:
        schema["if"] = {"properties": {"ensure": {"const": "absent"}}, "required": ["ensure"]}
        schema["else"] = {"required": list(required)}


_CONFIG = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_schema_extra)


class Spec(BaseModel):
    """Base of every manifest object: strict keys, immutable, hashable."""

    model_config = _CONFIG

    #: Keys still required unless ``ensure: absent``.
    required_when_present: ClassVar[tuple[str, ...]] = ()
    #: Keys of which exactly one must be given.
    one_of: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_unless_absent(self) -> Any:
        if getattr(self, "ensure", Ensure.PRESENT) is Ensure.PRESENT:
            for key in self.required_when_present:
                if getattr(self, key) is None:
                    fail(f"missing required key '{key}' (only 'ensure: absent' may omit it)")
        return self

    @property
    def present(self) -> bool:
        """False when the manifests ask for this object to be deleted."""
        return getattr(self, "ensure", Ensure.PRESENT) is Ensure.PRESENT

    @property
    def address(self) -> str:
        """The object's address in plans: ``group.Finance Analysts``."""
        return address(self)


def _exactly_one(model: BaseModel, what: str) -> None:
    keys: tuple[str, ...] = getattr(model, "one_of", ())
    given = [k for k in keys if getattr(model, k) is not None]
    names = " or ".join(f"'{k}'" for k in keys)
    if not given:
        fail(f"{what} needs one of {names}")
    if len(given) > 1:
        fail(f"{what} names exactly one of {names}, not {' and '.join(repr(k) for k in given)}")


class Grant(BaseModel):
    """One dataset permission: a user or a group, and an access level."""

    model_config = _CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the user granted access.")
    group: Name | None = Field(None, description="Name of the group granted access.")
    access: Access = Field(description="CO_OWNER, CAN_EDIT, CAN_SHARE or CAN_VIEW.")

    @model_validator(mode="after")
    def _one_principal(self) -> Grant:
        _exactly_one(self, "a grant")
        return self


class Subscriber(BaseModel):
    """A user or a group subscribed to an alert."""

    model_config = _CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the subscribed user.")
    group: Name | None = Field(None, description="Name of the subscribed group.")

    @model_validator(mode="after")
    def _one_principal(self) -> Subscriber:
        _exactly_one(self, "a subscriber")
        return self


class Recipient(BaseModel):
    """Who receives a scheduled report: a user, a group, or an outside email address."""

    model_config = _CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group", "email")

    user: Email | None = Field(None, description="Email of a Domo user.")
    group: Name | None = Field(None, description="Name of a Domo group.")
    email: Email | None = Field(None, description="An email address outside Domo.")

    @model_validator(mode="after")
    def _one_recipient(self) -> Recipient:
        _exactly_one(self, "a recipient")
        return self


class GrantCollection(Collection[Grant]):
    """A list of grants, or ``{mode, items}``."""


class SubscriberCollection(Collection[Subscriber]):
    """A list of subscribers, or ``{mode, items}``."""


class RecipientCollection(Collection[Recipient]):
    """A list of recipients, or ``{mode, items}``."""


class GroupSpec(Spec):
    """A Domo group; identity is ``name`` (or the pinned ``id``)."""

    name: Name = Field(description="Group name; the identity key.")
    id: PositiveInt | None = Field(None, description=_PINNED)
    description: StrictStr | None = Field(
        None, description="Group description; omit to leave it unmanaged."
    )
    type: GroupKind | None = Field(None, description="open or closed; omit to leave it unmanaged.")
    members: managed(EmailCollection) = Field(
        None, description="Member emails. Omitted: unmanaged; a list: exactly these; [] none."
    )
    owners: managed(EmailCollection) = Field(
        None, description="Owner emails. Omitted: unmanaged. A group keeps at least one owner."
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description=_ENSURE)


class RoleSpec(Spec):
    """A Domo role; identity is ``name`` (or the pinned ``id``)."""

    name: Name = Field(description="Role name; the identity key.")
    id: PositiveInt | None = Field(None, description=_PINNED)
    description: StrictStr | None = Field(
        None, description="Role description; omit to leave it unmanaged."
    )
    from_role: Name | None = Field(
        None, description="Role whose authorities a new role starts from; used only at creation."
    )
    authorities: managed(NameCollection) = Field(
        None, description="Authority names (dataset.manage, ...). Omitted: unmanaged."
    )
    users: managed(EmailCollection) = Field(
        None,
        description="Users holding this role (a user holds exactly one role). Omitted: "
        "unmanaged; users dropped from the list move to the project's default_role.",
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description=_ENSURE)


class DatasetShareSpec(Spec):
    """Who may use a dataset; identity is ``dataset``. The owner is never changed."""

    dataset: DatasetId = Field(description="Dataset id (a UUID); the identity key.")
    name: StrictStr | None = Field(
        None, description="Expected dataset name; plan warns when the live name differs."
    )
    grants: managed(GrantCollection) = Field(
        None, description="Grants to users and groups. Omitted: unmanaged. OWNER is not a grant."
    )
    ensure: EnsureState = Field(
        Ensure.PRESENT, description="present (default); absent revokes every listed grant."
    )


class CertificationSpec(Spec):
    """Whether a dataset or a card is certified; identity is ``dataset`` or ``card``."""

    required_when_present = ("certified",)
    one_of = ("dataset", "card")

    dataset: DatasetId | None = Field(None, description="Dataset id (a UUID); give this or 'card'.")
    card: PositiveInt | None = Field(None, description="Card id; give this or 'dataset'.")
    certified: StrictBool | None = Field(None, description="true to certify, false to uncertify.")
    ensure: EnsureState = Field(Ensure.PRESENT, description="present (default); absent removes it.")

    @model_validator(mode="after")
    def _one_target(self) -> CertificationSpec:
        _exactly_one(self, "a certification")
        return self


class AlertSpec(Spec):
    """Who is subscribed to an alert; identity is ``alert``."""

    alert: PositiveInt = Field(description="Alert id; the identity key.")
    subscribers: managed(SubscriberCollection) = Field(
        None, description="Users and groups subscribed. Omitted: unmanaged."
    )
    ensure: EnsureState = Field(
        Ensure.PRESENT, description="present (default); absent deletes the alert."
    )


class Schedule(BaseModel):
    """When a report is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frequency: FrequencyName = Field(description="DAILY, WEEKLY or MONTHLY.")
    days: tuple[Weekday | PositiveInt, ...] = Field(
        (),
        description="WEEKLY: weekday names (MON..SUN). MONTHLY: day numbers 1-31. DAILY: none.",
    )
    at: Time = Field(description='Time of day, "HH:MM" on a 24-hour clock (quote it).')
    timezone: Timezone = Field(description="IANA time zone, like America/New_York.")

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any, info: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            fail(f"expected a list of days, got {describe(value)}")
        frequency = info.data.get("frequency")
        if frequency is None:
            return ()  # the frequency is wrong already; days are checked once it is fixed
        for i, day in enumerate(value):
            if frequency is Frequency.WEEKLY and day not in list(Weekday):
                valid = ", ".join(Weekday)
                fail(f"unknown weekday {show(day)}; valid: {valid}", index=i)
            is_int = isinstance(day, int) and not isinstance(day, bool)
            if frequency is Frequency.MONTHLY and not (is_int and 1 <= day <= 31):
                fail(f"{show(day)} is not a day of the month (1-31)", index=i)
        if frequency is Frequency.DAILY and value:
            fail("DAILY schedules take no days; remove 'days'")
        # Sorted and without repeats, so that equal schedules compare equal.
        order = {d: i for i, d in enumerate(Weekday)}
        return sorted(set(value), key=lambda d: (order.get(d, 99), d if isinstance(d, int) else 0))

    @model_validator(mode="after")
    def _days_needed(self) -> Schedule:
        if self.frequency is not Frequency.DAILY and not self.days:
            fail(f"{self.frequency.value} schedules need at least one day in 'days'")
        return self


class ReportScheduleSpec(Spec):
    """A scheduled report of a page; identity is ``title`` (or the pinned ``id``)."""

    required_when_present = ("page", "schedule")

    title: Name = Field(description="Schedule title; the identity key.")
    id: PositiveInt | None = Field(None, description=_PINNED)
    page: PositiveInt | None = Field(None, description="Id of the page the report shows.")
    view: PositiveInt | None = Field(
        None, description="Id of a saved view of the page; omit for none."
    )
    schedule: Schedule | None = Field(None, description="When the report is sent.")
    enabled: StrictBool = Field(True, description="Whether the schedule runs (default true).")
    attachment: StrictBool = Field(
        False, description="Attach the report as a file (default false)."
    )
    recipients: managed(RecipientCollection) = Field(
        None, description="Users, groups and outside emails. Omitted: unmanaged."
    )
    ensure: EnsureState = Field(Ensure.PRESENT, description="present (default); absent deletes it.")


AnySpec = (
    GroupSpec | RoleSpec | DatasetShareSpec | CertificationSpec | AlertSpec | ReportScheduleSpec
)

#: Section name → model, in the order plans and messages list them.
KINDS: dict[str, type[Spec]] = {
    "groups": GroupSpec,
    "roles": RoleSpec,
    "dataset_shares": DatasetShareSpec,
    "certifications": CertificationSpec,
    "alerts": AlertSpec,
    "report_schedules": ReportScheduleSpec,
}
SECTIONS: tuple[str, ...] = tuple(KINDS)
#: Section name → the singular kind name used in addresses.
KIND_NAMES: dict[str, str] = {
    "groups": "group",
    "roles": "role",
    "dataset_shares": "dataset_share",
    "certifications": "certification",
    "alerts": "alert",
    "report_schedules": "report_schedule",
}


def identity(spec: Spec) -> tuple[str, str]:
    """``(kind, key)`` naming the object: ``("group", "Finance Analysts")``."""
    match spec:
        case GroupSpec():
            return ("group", spec.name)
        case RoleSpec():
            return ("role", spec.name)
        case DatasetShareSpec():
            return ("dataset_share", spec.dataset)
        case CertificationSpec():
            if spec.card is not None:
                return ("certification", f"card.{spec.card}")
            return ("certification", f"dataset.{spec.dataset}")
        case AlertSpec():
            return ("alert", str(spec.alert))
        case ReportScheduleSpec():
            return ("report_schedule", spec.title)
    raise TypeError(f"not a manifest object: {type(spec).__name__}")


def address(spec: Spec) -> str:
    """The address of an object in plans: ``group.<name>``, ``certification.card.<id>``, ..."""
    kind, key = identity(spec)
    return f"{kind}.{key}"


def label(spec: Spec) -> str:
    """How messages name an object: ``group 'Finance Analysts'``, ``alert 358``."""
    match spec:
        case GroupSpec():
            return f"group '{spec.name}'"
        case RoleSpec():
            return f"role '{spec.name}'"
        case DatasetShareSpec():
            return f"dataset share '{spec.dataset}'"
        case CertificationSpec():
            if spec.card is not None:
                return f"certification of card {spec.card}"
            return f"certification of dataset '{spec.dataset}'"
        case AlertSpec():
            return f"alert {spec.alert}"
        case ReportScheduleSpec():
            return f"report schedule '{spec.title}'"
    raise TypeError(f"not a manifest object: {type(spec).__name__}")


class ManifestFile(BaseModel):
    """One manifest file: any of the six kind sections, each a list of objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: list[GroupSpec] | None = Field(
        None, description="Domo groups and their members/owners."
    )
    roles: list[RoleSpec] | None = Field(
        None, description="Roles: authorities and the users holding them."
    )
    dataset_shares: list[DatasetShareSpec] | None = Field(
        None, description="Dataset permissions granted to users and groups."
    )
    certifications: list[CertificationSpec] | None = Field(
        None, description="Certification of datasets and cards."
    )
    alerts: list[AlertSpec] | None = Field(None, description="Alert subscriptions.")
    report_schedules: list[ReportScheduleSpec] | None = Field(
        None, description="Scheduled reports of pages and their recipients."
    )
