"""Planner: dependency order, --target selection, and the plan-wide guards."""

from __future__ import annotations

import pytest

from domogov.core.changes import Action, ApiCall, Change, Plan
from domogov.core.planner import (
    check_destructive,
    check_protected,
    order_changes,
    select_targets,
)
from domogov.errors import GuardError, PlanError


def change(
    address: str, *deps: str, action: Action = Action.UPDATE, destructive: int = 0
) -> Change:
    kind, _, name = address.partition(".")
    return Change(
        address=address,
        kind=kind,
        action=action,
        key={"name": name},
        before=None if action == Action.CREATE else {"name": name},
        after=None if action == Action.DELETE else {"name": name},
        calls=[ApiCall("PUT", f"/x/{name}")],
        depends_on=list(deps),
        destructive=destructive,
    )


def test_creates_come_before_what_references_them() -> None:
    share = change("dataset_share.d1", "group.Finance")
    group = change("group.Finance", action=Action.CREATE)
    ordered = order_changes([share, group])
    assert [c.address for c in ordered] == ["group.Finance", "dataset_share.d1"]


def test_dependencies_outside_the_plan_are_dropped() -> None:
    share = change("dataset_share.d1", "group.Unchanged")
    assert order_changes([share])[0].depends_on == []


def test_cycle_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="cycle"):
        order_changes([change("group.a", "group.b"), change("group.b", "group.a")])


def test_target_keeps_what_the_target_depends_on() -> None:
    group = change("group.Finance", action=Action.CREATE)
    share = change("dataset_share.d1", "group.Finance")
    other = change("role.Steward")
    kept = select_targets(order_changes([group, share, other]), ["dataset_share.*"])
    assert [c.address for c in kept] == ["group.Finance", "dataset_share.d1"]


def test_target_prefix_selects_sub_addresses() -> None:
    kept = select_targets([change("group.Finance"), change("group.Sales")], ["group.Finance"])
    assert [c.address for c in kept] == ["group.Finance"]


def test_protected_object_is_refused() -> None:
    with pytest.raises(GuardError, match=r"protected objects: group\.Admins"):
        check_protected([change("group.Admins")], {"group": {"Admins"}})


def test_unprotected_object_passes() -> None:
    check_protected([change("group.Sales")], {"group": {"Admins"}})


def test_max_destructive_refuses_without_flag_and_allows_with_it() -> None:
    changes = [change("group.a", destructive=3), change("group.b", destructive=3)]
    with pytest.raises(GuardError, match=r"deletes or revokes 6 things.*max_destructive \(5\)"):
        check_destructive(changes, 5, allowed=False)
    check_destructive(changes, 5, allowed=True)
    check_destructive(changes, 6, allowed=False)


def test_plan_json_round_trip_keeps_every_field() -> None:
    plan = Plan(instance="acme", changes=[change("group.a", "group.b", destructive=2)])
    again = Plan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json()
    assert again.summary == {"add": 0, "change": 1, "destroy": 0}


def test_unknown_plan_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format_version"):
        Plan.from_json({"format_version": "99", "instance": "x", "changes": []})
