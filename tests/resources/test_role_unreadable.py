"""A role whose holders could not be read is neither diffed on users nor pruned."""

from __future__ import annotations

from domogov.config import ProjectSpec
from domogov.resources.context import LiveContext
from domogov.resources.role import KIND, RoleLive, RoleSpec

LIVE: RoleLive = {
    "id": 7,
    "name": "Stewards",
    "description": "",
    "authorities": ["a.b"],
    "users": ["a@x.io"],
}


def context() -> LiveContext:
    ctx = LiveContext(client=None, project=ProjectSpec(default_role="Participant"))
    ctx.unreadable(
        "role.Stewards", "users", "GET /api/identity/v1/users", "has a user without roleId"
    )
    return ctx


def test_managing_the_users_of_a_role_with_unreadable_holders_is_refused() -> None:
    ctx = context()
    spec = RoleSpec(name="Stewards", users=["b@x.io"])
    assert KIND.plan_one(ctx, spec, LIVE, 0) is None
    [issue] = ctx.issues
    assert issue.address == "role.Stewards"
    assert "has a user without roleId, so the live 'users' is unknown" in issue.message


def test_a_role_with_unreadable_holders_still_plans_its_authorities() -> None:
    ctx = context()
    change = KIND.plan_one(ctx, RoleSpec(name="Stewards", authorities=["c.d"]), LIVE, 0)
    assert change is not None and not ctx.issues
    assert [d.field for d in change.diffs] == ["authorities"]


def test_a_role_with_unreadable_holders_is_not_pruned() -> None:
    ctx = context()
    assert KIND.prune(ctx, "role.Stewards", LIVE) is None
    assert ctx.warnings == [
        "role.Stewards: not pruned: who holds it could not be read (see unreadable)"
    ]
