"""Groups end to end: plan shows the change, apply makes it, a fresh plan is empty."""

from __future__ import annotations

import pytest
from e2ekit import Env

from domogov.core.changes import Action
from domogov.errors import PlanError


async def test_new_group_with_members_and_owners_converges(env: Env) -> None:
    env.write(
        "groups.yaml",
        """
        groups:
          - name: Data Platform
            description: Platform engineers
            type: open
            members: [erin@example.com, heidi@example.com]
            owners: [frank@example.com]
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.action == Action.CREATE
    assert [c.method for c in change.calls] == ["POST", "PUT"]
    group = env.group("Data Platform")
    assert group is not None
    assert sorted(group["members"]) == [env.user_id("erin@example.com"), 1008]
    # The creator (the token's user) was owner by Domo's rule; the authoritative list removed it.
    assert group["owners"] == [env.user_id("frank@example.com")]
    assert group["type"] == "open" and group["description"] == "Platform engineers"


async def test_authoritative_members_remove_unlisted_and_omitted_owners_stay(env: Env) -> None:
    env.write(
        "groups.yaml",
        """
        groups:
          - name: Finance Analysts
            members: [bob@example.com, carol@example.com]
        """,
    )
    plan = await env.plan()
    [change] = plan.changes
    [diff] = change.diffs
    assert (diff.field, diff.added, diff.removed) == (
        "members",
        ["carol@example.com"],
        ["frank@example.com"],
    )
    assert change.destructive == 1
    # One call for all membership changes of the group.
    assert [(c.method, c.path) for c in change.calls] == [("PUT", "/api/content/v2/groups/access")]
    await env.converge()
    assert env.group("Finance Analysts")["owners"] == [1006]


async def test_additive_members_only_add(env: Env) -> None:
    env.write(
        "groups.yaml",
        """
        groups:
          - name: Finance Analysts
            members: { mode: additive, items: [carol@example.com] }
        """,
    )
    plan, _ = await env.converge()
    assert plan.changes[0].diffs[0].removed == []
    assert sorted(env.group("Finance Analysts")["members"]) == [1002, 1003, 1006]


async def test_omitted_collections_and_scalars_are_unmanaged(env: Env) -> None:
    env.write("groups.yaml", "groups:\n  - name: Finance Analysts\n")
    assert (await env.plan()).changes == []


async def test_description_update_is_one_put(env: Env) -> None:
    env.write(
        "groups.yaml",
        """
        groups:
          - name: Sales Team
            description: Everyone who sells, worldwide
        """,
    )
    plan, _ = await env.converge()
    [diff] = plan.changes[0].diffs
    assert (diff.old, diff.new) == ("Everyone who sells", "Everyone who sells, worldwide")


async def test_pinned_id_makes_a_rename_an_update(env: Env) -> None:
    env.write("groups.yaml", "groups:\n  - {name: Sellers, id: 502}\n")
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.action == Action.UPDATE
    assert (change.diffs[0].old, change.diffs[0].new) == ("Sales Team", "Sellers")
    assert env.group("Sellers") is not None and env.group("Sales Team") is None


async def test_ensure_absent_deletes_the_group(env: Env) -> None:
    env.write("groups.yaml", "groups:\n  - {name: Sales Team, ensure: absent}\n")
    plan, _ = await env.converge()
    assert plan.changes[0].action == Action.DELETE
    assert env.group("Sales Team") is None


async def test_dynamic_group_members_are_refused_with_location(env: Env) -> None:
    env.write("groups.yaml", "groups:\n  - name: All Employees\n    members: [bob@example.com]\n")
    with pytest.raises(
        PlanError, match=r"groups\.yaml:3:14: group\.All Employees: members: .*dynamic"
    ):
        await env.plan()


async def test_a_nested_group_member_is_never_taken_for_a_user(env: Env) -> None:
    # Group 501 also holds group 502 as a member; user 502 does not exist. Authoritative
    # members must not try to remove "user 502", nor list the nested group as a user.
    env.state.groups[501].member_groups.append(502)
    env.write("groups.yaml", "groups:\n  - name: Finance Analysts\n    members: [bob@example.com]")
    plan = await env.plan()
    [change] = plan.changes
    assert change.diffs[0].removed == ["frank@example.com"]
    await env.converge()
    assert env.state.groups[501].member_groups == [502]
