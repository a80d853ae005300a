"""Shared pieces of the entity modules: enumerations, the state-file error and a typed reader."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

ACCESS_LEVELS = ("CO_OWNER", "CAN_EDIT", "CAN_SHARE", "CAN_VIEW")
GROUP_TYPES = ("open", "closed", "dynamic", "adHoc", "directory", "system")
# Domo computes membership of these from rules or a directory: no manual member changes.
UNMANAGED_GROUP_TYPES = ("dynamic", "directory", "system")
PRINCIPAL_TYPES = ("USER", "GROUP")
RECIPIENT_TYPES = ("USER", "GROUP", "EMAIL")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
CERT_ENTITY_TYPES = ("CARD", "DATA_SOURCE")
# ACTIVE is what PUT .../state/ACTIVE sets; PENDING (awaiting approval) and EXPIRED can be seeded.
CERT_STATES = ("ACTIVE", "PENDING", "EXPIRED")
# Dataset grants from the highest level down (Domo's share dialog lists them in this order).
ACCESS_RANK = {"CO_OWNER": 4, "CAN_EDIT": 3, "CAN_SHARE": 2, "CAN_VIEW": 1}


class StateFileError(ValueError):
    """A state document that does not follow the documented format."""


_MISSING: Any = object()


class Reader:
    """Typed access to one mapping of a state document, naming the entry in every error."""

    def __init__(self, doc: Any, where: builtins.str, allowed: tuple[str, ...]) -> None:
        if not isinstance(doc, Mapping):
            raise StateFileError(f"{where}: expected a mapping, got {type(doc).__name__}")
        unknown = sorted(set(doc) - set(allowed))
        if unknown:
            raise StateFileError(f"{where}: unknown key(s) {unknown}; allowed: {list(allowed)}")
        self.doc = doc
        self.where = where

    def _get(self, key: builtins.str, default: Any) -> Any:
        if key in self.doc and self.doc[key] is not None:
            return self.doc[key]
        if default is _MISSING:
            raise StateFileError(f"{self.where}: missing required key '{key}'")
        return default

    def int(self, key: builtins.str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise StateFileError(f"{self.where}.{key}: expected an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise StateFileError(
                f"{self.where}.{key}: expected an integer, got {value!r}"
            ) from None

    def str(self, key: builtins.str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise StateFileError(f"{self.where}.{key}: expected a string, got {value!r}")
        return str(value)

    def bool(self, key: builtins.str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise StateFileError(f"{self.where}.{key}: expected true or false, got {value!r}")
        return value

    def list(self, key: builtins.str) -> builtins.list[Any]:
        value = self._get(key, [])
        if not isinstance(value, list):
            raise StateFileError(f"{self.where}.{key}: expected a list, got {value!r}")
        return value

    def int_list(self, key: builtins.str) -> builtins.list[builtins.int]:
        items = self.list(key)
        try:
            return [int(i) for i in items if not isinstance(i, bool)]
        except (TypeError, ValueError):
            raise StateFileError(
                f"{self.where}.{key}: expected a list of ids, got {items!r}"
            ) from None

    def choice(
        self, key: builtins.str, choices: tuple[builtins.str, ...], default: Any = _MISSING
    ) -> Any:
        value = self.str(key, default)
        if value not in choices:
            raise StateFileError(f"{self.where}.{key}: {value!r} is not one of {list(choices)}")
        return value
