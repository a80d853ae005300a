"""Field diffs: scalars old -> new, lists as set differences, nested dicts by path."""

from __future__ import annotations

from domogov.core.diff import diff_objects


def test_list_order_is_not_a_change() -> None:
    assert diff_objects({"members": ["a", "b"]}, {"members": ["b", "a"]}) == []


def test_collection_entries_added_and_removed() -> None:
    [d] = diff_objects({"members": ["a", "b"]}, {"members": ["b", "c"]})
    assert (d.field, d.added, d.removed) == ("members", ["c"], ["a"])


def test_nested_scalar_change_names_its_path() -> None:
    [d] = diff_objects({"schedule": {"at": "08:00"}}, {"schedule": {"at": "09:00"}})
    assert (d.field, d.old, d.new) == ("schedule.at", "08:00", "09:00")


def test_id_is_ignored() -> None:
    assert diff_objects({"id": 1, "name": "x"}, {"id": "1", "name": "x"}) == []
