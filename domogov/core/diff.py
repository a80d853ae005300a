"""Field-level comparison of two normalised objects: scalars as old -> new, collections as +/-."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domogov.core.changes import FieldDiff


def diff_objects(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    ignore: frozenset[str] = frozenset({"id"}),
) -> list[FieldDiff]:
    """Compare ``before`` and ``after`` field by field; list-valued fields diff as sets.

    Both sides are already normalised by their kind (sorted lists of display strings, lower-case
    emails, ints for ids), so plain equality is the right test and never yields a perpetual diff.
    """
    old = before or {}
    new = after or {}
    diffs: list[FieldDiff] = []
    for name in _ordered_keys(old, new):
        if name in ignore:
            continue
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if isinstance(a, list) or isinstance(b, list):
            a_set, b_set = _entries(a), _entries(b)
            added, removed = sorted(b_set - a_set), sorted(a_set - b_set)
            if added or removed:
                diffs.append(FieldDiff(name, added=added, removed=removed, collection=True))
        elif isinstance(a, dict) and isinstance(b, dict):
            for sub in diff_objects(a, b, ignore=frozenset()):
                sub.field = f"{name}.{sub.field}"
                diffs.append(sub)
        else:
            diffs.append(FieldDiff(name, old=a, new=b))
    return diffs


def _entries(values: list[Any] | None) -> set[str]:
    """A collection's entries as strings."""
    values = values or []
    if set(map(type, values)) <= {str}:  # normalised lists hold only strings: no per-entry work
        return set(values)
    return {x if isinstance(x, str) else str(x) for x in values}


def _ordered_keys(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    keys = list(a)
    keys += [k for k in b if k not in a]
    return keys
