"""Value types of the manifest language: enums, emails, names, ids, times and collections."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Generic, NoReturn, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

#: The error type every domogov validator raises; its message is shown as written.
ERROR_TYPE = "domogov"


def fail(message: str, index: int | None = None) -> NoReturn:
    """Reject a value with a message for people; ``index`` points into the list being checked."""
    ctx: dict[str, Any] = {"message": message}
    if index is not None:
        ctx["index"] = index
    raise PydanticCustomError(ERROR_TYPE, "{message}", ctx)


def describe(value: Any) -> str:
    """A YAML reader's word for the type of ``value``: 'a list', 'an integer', 'null'."""
    if value is None:
        return "null"
    for kind, word in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
        (tuple, "a list"),
        (dict, "a mapping"),
    ):
        if isinstance(value, kind):
            return word
    return f"a {type(value).__name__}"


def show(value: Any) -> str:
    """A short quotation of a user's value for a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool | int | float) or value is None:
        return (
            "null"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    return describe(value)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word`` (case-insensitive), or None."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


class AccessLevel(StrEnum):
    """What a grant lets a user or group do with a dataset. OWNER is not a grant."""

    CO_OWNER = "CO_OWNER"
    CAN_EDIT = "CAN_EDIT"
    CAN_SHARE = "CAN_SHARE"
    CAN_VIEW = "CAN_VIEW"


class GroupType(StrEnum):
    """Who may join a group: anyone (open) or only those its owners add (closed)."""

    OPEN = "open"
    CLOSED = "closed"


class Frequency(StrEnum):
    """How often a report schedule runs."""

    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class Weekday(StrEnum):
    """A day of the week, for WEEKLY schedules."""

    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


class Ensure(StrEnum):
    """Whether the object should exist (present) or be deleted (absent)."""

    PRESENT = "present"
    ABSENT = "absent"


class CollectionMode(StrEnum):
    """authoritative: live entries not listed are removed; additive: only add."""

    AUTHORITATIVE = "authoritative"
    ADDITIVE = "additive"


def _enum_checker(
    enum: type[StrEnum], label: str, special: Callable[[Any], None] | None = None
) -> Callable[[Any], Any]:
    values = [m.value for m in enum]

    def check(value: Any) -> Any:
        if isinstance(value, enum):
            return value
        if special is not None:
            special(value)
        if isinstance(value, str) and value in values:
            return value
        valid = ", ".join(values)
        if not isinstance(value, str):
            fail(f"expected one of {valid}, got {describe(value)}")
        close = suggest(value, values)
        hint = f"; did you mean '{close}'?" if close else ""
        fail(f"unknown {label} {show(value)}; valid: {valid}{hint}")

    return check


def _refuse_owner(value: Any) -> None:
    if isinstance(value, str) and value.upper() == "OWNER":
        fail(
            "OWNER cannot be granted: ownership is not a grant and domogov never changes a "
            "dataset's owner; use CO_OWNER for full rights"
        )


Access = Annotated[
    AccessLevel, BeforeValidator(_enum_checker(AccessLevel, "access level", _refuse_owner))
]
GroupKind = Annotated[GroupType, BeforeValidator(_enum_checker(GroupType, "group type"))]
FrequencyName = Annotated[Frequency, BeforeValidator(_enum_checker(Frequency, "frequency"))]
EnsureState = Annotated[Ensure, BeforeValidator(_enum_checker(Ensure, "ensure value"))]
Mode = Annotated[CollectionMode, BeforeValidator(_enum_checker(CollectionMode, "collection mode"))]

_SPACE = re.compile(r"\s")
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\Z")


def normalise_email(value: Any) -> str:
    """Lower-case and check an email address; users are matched case-insensitively."""
    if not isinstance(value, str):
        fail(f"expected an email address, got {describe(value)}")
    text = value.lower()
    problem = None
    if not text:
        problem = "it is empty"
    elif _SPACE.search(text):
        problem = "it contains a space"
    elif text.count("@") != 1:
        problem = "it needs exactly one '@'"
    elif "." not in text.split("@")[1]:
        problem = "the domain needs a dot"
    else:
        local, domain = text.split("@")
        if not (0 < len(local) <= 64 and len(text) <= 254 and _LOCAL.match(local)):
            problem = "the part before '@' is not valid"
        elif not _DOMAIN.match(domain):
            problem = "the domain is not valid"
    if problem:
        fail(f"invalid email {show(value)}: {problem}")
    return text


def check_name(value: Any) -> str:
    """A name as Domo shows it: a non-empty string without surrounding spaces."""
    if isinstance(value, bool) or not isinstance(value, str):
        hint = f' (quote it: "{show(value)}")' if isinstance(value, int | float) else ""
        fail(f"expected a string, got {describe(value)}{hint}")
    if not value.strip():
        fail("must not be empty")
    hidden = _hidden_character(value)
    if hidden is not None:
        fail(f"{show(value)} contains {hidden}; a name is one line of visible text")
    if value != value.strip():
        fail(f"{show(value)} has leading or trailing spaces")
    return value


#: Unicode categories that have no place in a name: controls (newline, tab, NUL), format
#: characters (zero-width space, bidi overrides), line and paragraph separators, surrogates,
#: private-use and unassigned code points. Ordinary spaces, letters, quotes are all fine.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _hidden_character(value: str) -> str | None:
    """How a message names the first control or invisible character of ``value``, if any."""
    for char in value:
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            if char == "\n":
                return "a line break"
            return f"the invisible character U+{ord(char):04X}"
    return None


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def check_dataset_id(value: Any) -> str:
    """A dataset id: a UUID, lower-cased."""
    if not isinstance(value, str):
        fail(f"expected a dataset id (a UUID), got {describe(value)}")
    if not _UUID.match(value.lower()):
        fail(
            f"invalid dataset id {show(value)}: "
            "expected a UUID like 58b3775b-ab03-4f54-9052-a3c5f7cbf426"
        )
    return value.lower()


_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])\Z")


def check_time(value: Any) -> str:
    """A 24-hour time "HH:MM"; "8:00" is accepted and written back as "08:00"."""
    if not isinstance(value, str):
        fail(f'expected a time "HH:MM" (24-hour, quoted), got {describe(value)}')
    match = _TIME.match(value)
    if not match:
        fail(f'invalid time {show(value)}: expected "HH:MM" on a 24-hour clock, like "08:00"')
    return f"{int(match[1]):02d}:{match[2]}"


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: Any) -> str:
    """An IANA time zone name that this system's zoneinfo knows."""
    if not isinstance(value, str):
        fail(f"expected a time zone name, got {describe(value)}")
    try:
        ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, or ValueError for malformed keys
        close = suggest(value, _timezones())
        hint = f"; did you mean '{close}'?" if close else ""
        fail(f"unknown time zone {show(value)}; use an IANA name like America/New_York{hint}")
    return value


Email = Annotated[
    str,
    BeforeValidator(normalise_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]
Name = Annotated[
    str, BeforeValidator(check_name), WithJsonSchema({"type": "string", "minLength": 1})
]
DatasetId = Annotated[
    str,
    BeforeValidator(check_dataset_id),
    WithJsonSchema({"type": "string", "format": "uuid"}),
]
Time = Annotated[
    str,
    BeforeValidator(check_time),
    WithJsonSchema({"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$"}),
]
Timezone = Annotated[str, BeforeValidator(check_timezone), WithJsonSchema({"type": "string"})]
#: The largest Domo id: ids are 64-bit integers (Java longs) in Domo's API.
MAX_ID = 2**63 - 1


def _id_in_range(value: int) -> int:
    if value > MAX_ID:
        fail(f"{value} is too large for a Domo id (at most {MAX_ID}, a 64-bit integer)")
    return value


# The upper bound is an AfterValidator, not Field(le=...): the published JSON Schema
# (schemas/domogov.schema.json) stays as generated.
PositiveInt = Annotated[StrictInt, Field(gt=0), AfterValidator(_id_in_range)]

T = TypeVar("T")


class Collection(BaseModel, Generic[T]):
    """A managed list: written as a list (authoritative) or as ``{mode, items}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = Field(
        CollectionMode.AUTHORITATIVE,
        description="authoritative (default): live entries not listed are removed. "
        "additive: listed entries are added, nothing is removed.",
    )
    items: tuple[T, ...] = Field(description="The entries; duplicates are dropped, order kept.")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return {"items": list(value)}
        if isinstance(value, dict | Collection):
            return value
        fail(f"expected a list, or a mapping with 'mode' and 'items', got {describe(value)}")

    @field_validator("items", mode="before")
    @classmethod
    def _items_list(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return value
        fail(f"expected a list, got {describe(value)}")

    @field_validator("items")
    @classmethod
    def _dedupe(cls, value: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(dict.fromkeys(value))

    @property
    def additive(self) -> bool:
        """True when entries are only added, never removed."""
        return self.mode is CollectionMode.ADDITIVE

    @property
    def authoritative(self) -> bool:
        """True when live entries not listed are removed."""
        return self.mode is CollectionMode.AUTHORITATIVE

    @property
    def sorted_items(self) -> tuple[T, ...]:
        """The entries in a stable order (for diffs and rendering), whatever the file's order."""
        return tuple(sorted(self.items, key=_sort_key))

    @classmethod
    def item_type(cls) -> Any:
        """The type of one entry (``Email``, ``Grant``, ...)."""
        annotation: Any = cls.model_fields["items"].annotation
        return annotation.__args__[0]


def _sort_key(item: Any) -> tuple[str, ...]:
    if isinstance(item, BaseModel):
        return tuple("" if v is None else str(v) for v in item.model_dump().values())
    return (str(item),)


def _unchanged(value: Any) -> Any:
    return value


def managed_input(collection: type[Collection[Any]]) -> BeforeValidator:
    """Metadata of an optional collection field, ``Annotated[X | None, managed_input(X)]``:
    the field's schema shows both spellings (a list, or ``{mode, items}``)."""
    item = collection.item_type()
    return BeforeValidator(_unchanged, json_schema_input_type=list[item] | collection | None)  # type: ignore[valid-type]


class EmailCollection(Collection[Email]):
    """A list of users by email, or ``{mode, items}``."""


class NameCollection(Collection[Name]):
    """A list of names, or ``{mode, items}``."""
