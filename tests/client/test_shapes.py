"""The fast ``ok`` test of every documented shape agrees with ``check``, its worded twin."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import domogov.resources  # noqa: F401  (importing the kinds registers their answer shapes)
from domogov.client.shapes import READS, Shape, ShapeError, check_answer

KEYS = st.sampled_from(
    [
        "id", "name", "users", "emailAddress", "email", "roleId", "groupId", "groupMembers",
        "owners", "list", "accessLevel", "type", "subscriptions", "subscriberId", "authority",
        "roleIds", "title", "schedule", "enabled", "hourOfDay", "additionalRecipients",
        "value", "state", "userId", "description", "active",
    ]
)  # fmt: skip
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**64),
    st.sampled_from(["", " ", "7", "12345678901234567890", "a@x.com", "A@X.COM", "Finance"]),
)
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=25,
)


def _checks(shape: Shape, value: Any) -> bool:
    try:
        shape.check(value, "")
    except ShapeError:
        return False
    return True


@pytest.mark.slow  # 120 examples for each of ~30 endpoints
@pytest.mark.parametrize("endpoint", sorted(READS), ids=lambda e: f"{e[0]} {e[1]}")
@settings(max_examples=120, deadline=None)
@given(value=JSON)
def test_ok_agrees_with_check(endpoint: tuple[str, str], value: Any) -> None:
    shape = READS[endpoint]
    assert shape.ok(value) is _checks(shape, value)


def test_valid_answers_pass_and_bad_ones_name_the_element() -> None:
    users = [{"id": 1, "emailAddress": "a@x.com"}, {"id": "2", "emailAddress": "b@x.com"}]
    check_answer("GET", "/api/identity/v1/users", users)
    check_answer("GET", "/api/identity/v1/users", {"users": users})
    duplicate = [*users, {"id": 3, "emailAddress": " A@X.com "}]
    with pytest.raises(ShapeError, match=r"^users\[2\]\.emailAddress: the same emailAddress as"):
        check_answer("GET", "/api/identity/v1/users", {"users": duplicate})
    rows = [{"name": "G", "groupId": 5, "groupMembers": [{"id": 1}, {"id": "x"}]}]
    with pytest.raises(ShapeError, match=r"^\[0\]\.groupMembers\[1\]\.id: expected an id"):
        check_answer("GET", "/api/content/v2/groups/grouplist", rows)
    with pytest.raises(ShapeError, match=r"^\[0\]: missing 'groupId' or 'id'"):
        check_answer("GET", "/api/content/v2/groups/grouplist", [{"name": "G"}])
    check_answer("GET", "/api/content/v2/unknown/endpoint", "anything")
