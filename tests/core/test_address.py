"""Placeholders for ids known only after apply."""

from __future__ import annotations

from domogov.core.address import placeholder, placeholders_in, substitute


def test_placeholder_is_found_anywhere_in_a_body() -> None:
    body = [{"groupId": placeholder("group.Finance Analysts"), "add": [{"id": "1"}]}]
    assert placeholders_in(body) == {"group.Finance Analysts"}


def test_whole_placeholder_keeps_the_id_type_and_partial_one_becomes_text() -> None:
    ids = {"role.Steward": 42}
    assert substitute(placeholder("role.Steward"), ids) == 42
    assert substitute("/roles/" + placeholder("role.Steward") + "/users", ids) == "/roles/42/users"


def test_unknown_placeholders_are_left_for_the_applier_to_report() -> None:
    assert substitute(placeholder("group.X"), {}) == "${group.X.id}"
