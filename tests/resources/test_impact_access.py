"""effective_access: the strongest level wins, the first offer among equals names the route.

The reference below is the straightforward version (one comparison per member) the
implementation replaced for speed; both must agree on every input.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domogov.core.diff import diff_objects
from domogov.resources.impact import LEVELS, effective_access

GROUPS = {
    "Sales": frozenset({"a@x.com", "b@x.com", "c@x.com"}),
    "Finance Team": frozenset({"b@x.com", "d@x.com"}),
    "Empty": frozenset(),
    "All": frozenset({"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"}),
}


def members(name: str) -> frozenset[str]:
    return GROUPS.get(name, frozenset())


def reference(grants: list[str], owner: str | None) -> dict[str, tuple[str, str]]:
    best: dict[str, tuple[str, str]] = {}

    def offer(email: str, level: str, via: str) -> None:
        current = best.get(email)
        if current is None or LEVELS.get(level, 0) > LEVELS.get(current[0], 0):
            best[email] = (level, via)

    if owner and owner.startswith("user:"):
        offer(owner.removeprefix("user:"), "OWNER", "owner")
    for grant in sorted(grants, key=lambda g: not g.startswith("user:")):
        principal, _, level = grant.rpartition(" ")
        kind, _, name = principal.partition(":")
        if kind == "user":
            offer(name, level, "direct")
        elif kind == "group":
            for email in members(name):
                offer(email, level, f"via group {name}")
    return best


emails = st.sampled_from(["a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"])
levels = st.sampled_from([*LEVELS, "WEIRD", ""])
principals = (
    emails.map(lambda e: f"user:{e}")
    | st.sampled_from([*GROUPS, "Unknown"]).map(lambda g: f"group:{g}")
    | st.sampled_from(["email:x@y.com", "user-id:5", "nocolon"])
)
grants = st.lists(st.tuples(principals, levels).map(" ".join), max_size=8) | st.lists(
    st.sampled_from(["", "user:a@x.com", "group:Sales"]), max_size=3
)
owners = st.none() | emails.map(lambda e: f"user:{e}") | st.just("group:Sales")


@pytest.mark.slow  # a thousand examples: about two seconds
@settings(max_examples=1000, deadline=None)
@given(grants, owners)
def test_same_as_one_comparison_per_member(grant_list: list[str], owner: str | None) -> None:
    assert effective_access(grant_list, owner, members) == reference(grant_list, owner)


def test_the_first_route_among_equals_is_kept() -> None:
    got = effective_access(
        ["group:Sales CAN_VIEW", "group:All CAN_VIEW", "user:b@x.com CAN_VIEW"],
        "user:e@x.com",
        members,
    )
    assert got["b@x.com"] == ("CAN_VIEW", "direct")
    assert got["a@x.com"] == ("CAN_VIEW", "via group Sales")
    assert got["d@x.com"] == ("CAN_VIEW", "via group All")
    assert got["e@x.com"] == ("OWNER", "owner")


def test_diff_of_collections_with_mixed_entry_types() -> None:
    # Entries are compared as strings; equal numbers of different types stay distinct.
    diffs = diff_objects({"ids": [1, "2", 1.0]}, {"ids": ["1", True, 3]})
    assert [(d.field, d.added, d.removed) for d in diffs] == [("ids", ["3", "True"], ["1.0", "2"])]
