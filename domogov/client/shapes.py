"""The documented shape of each read domogov relies on; a 2xx of another shape is refused.

Live state decides what apply changes, so a read that answers 200 with the wrong shape (a
grouplist object instead of an array, a role without a name, permissions without ``list``)
must stop the run, not be read as "nothing there": an empty roles list turns every declared
role into a create, and a group without a name into a duplicate. Checking at the client, where
the answer enters, keeps the kinds' parsing simple and gives one clear error naming the
endpoint and the offending element (``[3].groupMembers[0].id``).

Only what the kinds read is checked; extra keys are ignored, and an endpoint not listed here
passes unchecked. Add a read's shape here when a kind starts using a new endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_DIGITS = re.compile(r"\d{1,19}\Z")


class ShapeError(ValueError):
    """An answer is not the documented shape; the message says where and what."""


def _describe(value: Any) -> str:
    if value is None:
        return "null (or an empty body)"
    for kind, word in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "an object"),
    ):
        if isinstance(value, kind):
            return word
    return type(value).__name__


def _at(where: str) -> str:
    return f"{where.removeprefix('.')}: " if where else ""


class Shape:
    """Base of the shape combinators.

    ``ok`` answers whether a value fits, building no text: it runs on every answer, and a
    grouplist page has thousands of elements. ``check`` raises ShapeError naming the
    offending element; it runs only for an answer ``ok`` refused, to word the error.
    """

    def ok(self, value: Any) -> bool:
        raise NotImplementedError

    def check(self, value: Any, where: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Shape):
    """A leaf value: ``test`` says whether it fits, ``what`` names the expected kind."""

    what: str
    test: Callable[[Any], bool]
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        return (value is None and self.nullable) or self.test(value)

    def check(self, value: Any, where: str) -> None:
        if value is None and self.nullable:
            return
        if not self.test(value):
            raise ShapeError(f"{_at(where)}expected {self.what}, got {_describe(value)}")

    def or_null(self) -> Scalar:
        return Scalar(self.what, self.test, nullable=True)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**63
    return isinstance(value, str) and bool(_DIGITS.match(value)) and int(value) < 2**63


#: A Domo id: a non-negative 64-bit integer, sent as a number by some endpoints, a string by others.
ID = Scalar("an id (an integer)", _is_id)
INT = Scalar("an integer", _is_id)
STR = Scalar("a string", lambda v: isinstance(v, str))
NAME = Scalar("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
BOOL = Scalar("true or false", lambda v: isinstance(v, bool))


@dataclass(frozen=True)
class Array(Shape):
    """A JSON array whose every element has the ``item`` shape.

    ``unique`` names a key no two elements may share (compared case-insensitively): two
    users with one email would make a reference to that email pick one of them at random.
    """

    item: Shape
    nullable: bool = False
    unique: tuple[str, ...] = ()

    def ok(self, value: Any) -> bool:
        if value is None and self.nullable:
            return True
        if not isinstance(value, list):
            return False
        item_ok = self.item.ok
        if not all(item_ok(element) for element in value):
            return False
        for key in self.unique:
            seen: set[str] = set()
            for element in value:
                found = element.get(key) if isinstance(element, dict) else None
                if not isinstance(found, str) or not found.strip():
                    continue
                folded = found.strip().casefold()
                if folded in seen:
                    return False
                seen.add(folded)
        return True

    def check(self, value: Any, where: str) -> None:
        if value is None and self.nullable:
            return
        if not isinstance(value, list):
            raise ShapeError(f"{_at(where)}expected an array, got {_describe(value)}")
        for i, element in enumerate(value):
            self.item.check(element, f"{where}[{i}]")
        for key in self.unique:
            first: dict[str, int] = {}
            for i, element in enumerate(value):
                seen = element.get(key) if isinstance(element, dict) else None
                if not isinstance(seen, str) or not seen.strip():
                    continue
                j = first.setdefault(seen.strip().casefold(), i)
                if j != i:
                    raise ShapeError(
                        f"{_at(f'{where}[{i}].{key}')}the same {key} as {where.lstrip('.')}[{j}]; "
                        "refusing to guess which one is meant"
                    )


@dataclass(frozen=True)
class Object(Shape):
    """A JSON object: ``required`` keys present (not null), ``optional`` ones checked if set.

    ``one_of`` lists key groups of which at least one must be present (``groupId`` or ``id``).
    """

    required: dict[str, Shape] = field(default_factory=dict)
    optional: dict[str, Shape] = field(default_factory=dict)
    one_of: tuple[tuple[str, ...], ...] = ()

    def ok(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for key, shape in self.required.items():
            found = value.get(key)
            if found is None or not shape.ok(found):
                return False
        for keys in self.one_of:
            if all(value.get(k) is None for k in keys):
                return False
        for key, shape in self.optional.items():
            found = value.get(key)
            if found is not None and not shape.ok(found):
                return False
        return True

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ShapeError(f"{_at(where)}expected an object, got {_describe(value)}")
        for key, shape in self.required.items():
            if value.get(key) is None:
                raise ShapeError(f"{_at(where)}missing {key!r}")
            shape.check(value[key], f"{where}.{key}")
        for keys in self.one_of:
            if all(value.get(k) is None for k in keys):
                names = " or ".join(repr(k) for k in keys)
                raise ShapeError(f"{_at(where)}missing {names}")
        for key, shape in self.optional.items():
            if value.get(key) is not None:
                shape.check(value[key], f"{where}.{key}")


@dataclass(frozen=True)
class Either(Shape):
    """The first of ``shapes`` the value fits; the error is that of the first one."""

    shapes: tuple[Shape, ...]

    def ok(self, value: Any) -> bool:
        return any(shape.ok(value) for shape in self.shapes)

    def check(self, value: Any, where: str) -> None:
        first: ShapeError | None = None
        for shape in self.shapes:
            try:
                shape.check(value, where)
                return
            except ShapeError as exc:
                first = first or exc
        assert first is not None
        raise first


PRINCIPAL = Object(required={"id": ID}, optional={"type": STR})
USER = Object(
    required={"id": ID},
    optional={"emailAddress": STR, "email": STR, "displayName": STR, "roleId": ID},
)
GROUP_ROW = Object(
    required={"name": NAME},
    optional={
        "groupId": ID,
        "id": ID,
        "groupType": STR,
        "type": STR,
        "description": STR,
        "groupMembers": Array(PRINCIPAL),
        "owners": Array(PRINCIPAL),
        "active": BOOL,
    },
    one_of=(("groupId", "id"),),
)
#: (method, path template) -> the shape of a 2xx answer. ``{x}`` matches one path segment.
#: The directory reads are here; each kind registers the reads it relies on (its
#: ``answer_shapes``) when ``domogov.resources`` is imported.
READS: dict[tuple[str, str], Shape] = {
    ("GET", "/api/identity/v1/users"): Either(
        (
            Object(required={"users": Array(USER, unique=("emailAddress", "email"))}),
            Array(USER, unique=("emailAddress", "email")),
        )
    ),
    ("GET", "/api/content/v2/groups/grouplist"): Array(GROUP_ROW),
    ("GET", "/api/authorization/v1/roles"): Array(
        Object(required={"id": ID, "name": NAME}, optional={"description": STR}),
        unique=("name",),
    ),
}
_COMPILED: list[tuple[str, re.Pattern[str], Shape]] = []


def register(reads: Mapping[tuple[str, str], Shape]) -> None:
    """Add documented answer shapes (a kind's ``answer_shapes``) to the table checked."""
    for (method, template), shape in reads.items():
        READS[(method, template)] = shape
        _COMPILED.append((method, _compile(template), shape))


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex + r"/?\Z")


_COMPILED.extend((method, _compile(path), shape) for (method, path), shape in READS.items())


def shape_of(method: str, path: str) -> Shape | None:
    """The documented shape of a 2xx answer to ``method path``, if domogov relies on one."""
    for verb, pattern, shape in _COMPILED:
        if verb == method and pattern.match(path):
            return shape
    return None


def check_answer(method: str, path: str, answer: Any) -> None:
    """Raise ShapeError when ``answer`` does not fit the documented shape of ``method path``."""
    shape = shape_of(method, path)
    if shape is None or shape.ok(answer):
        return
    shape.check(answer, "")  # raises, naming the element
    raise ShapeError("the answer does not fit its documented shape")  # ok and check disagree
