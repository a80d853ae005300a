"""Users end to end: joiners, movers and leavers through the simulator, then an empty plan."""

from __future__ import annotations

import pytest
from e2ekit import Env

from domogov.core.changes import Action
from domogov.errors import PlanError

pytestmark = pytest.mark.asyncio


def _user(env: Env, email: str) -> dict[str, object] | None:
    return next((u for u in env.doc()["users"] if u["emailAddress"] == email), None)


async def test_joiner_created_with_role_and_profile_and_joins_a_group(env: Env) -> None:
    env.write(
        "people.yaml",
        """
        users:
          - email: Dana@Example.com
            display_name: Dana Lee
            role: Data Steward
            title: Analyst
            department: Finance
        groups:
          - name: EMEA Sales
            members: [dana@example.com, bob@example.com]
        """,
    )
    plan, _ = await env.converge()
    create = next(c for c in plan.changes if c.address == "user.dana@example.com")
    assert create.action == Action.CREATE
    group = next(c for c in plan.changes if c.address == "group.EMEA Sales")
    assert "user.dana@example.com" in group.depends_on  # the placeholder waits for the user
    dana = _user(env, "dana@example.com")
    assert dana is not None
    assert (dana["displayName"], dana["roleId"], dana["title"]) == ("Dana Lee", 6, "Analyst")
    assert dana["department"] == "Finance"
    emea = env.group("EMEA Sales")
    assert emea is not None and dana["id"] in emea["members"]
    joins = [i["text"] for i in plan.impact if i.get("type") == "user"]
    assert any("+ dana@example.com  joins: role Data Steward" in t for t in joins), joins
    assert any("members of group.EMEA Sales" in t for t in joins), joins


async def test_declared_users_are_planned_from_the_directory_read_and_only_new_ones_searched(
    env: Env,
) -> None:
    env.write(
        "people.yaml",
        """
        users:
          - { email: heidi@example.com, title: Operations }
          - { email: bob@example.com }
          - { email: new.hire@example.com, display_name: New Hire, role: Participant }
        """,
    )
    await env.control("POST", "/_sim/stats/reset")
    plan = await env.plan()
    assert [c.address for c in plan.changes] == ["user.new.hire@example.com"]
    by_endpoint = (await env.stats())["by_endpoint"]
    # One users list read (the directory's), one search: for the user the list lacks.
    assert by_endpoint.get("GET /api/identity/v1/users") == 1
    assert by_endpoint.get("POST /api/identity/v1/users/search") == 1


async def test_mover_patch_only_the_managed_keys(env: Env) -> None:
    env.write(
        "people.yaml",
        """
        users:
          - { email: heidi@example.com, role: Editor, phone: "+1 555 0100" }
        """,
    )
    plan, _ = await env.converge()
    (change,) = plan.changes
    (call,) = change.calls
    assert (call.method, call.path) == ("PATCH", "/api/identity/v1/users/1008")
    assert call.body == {"roleId": 3, "phoneNumber": "+1 555 0100"}
    heidi = _user(env, "heidi@example.com")
    assert heidi is not None and heidi["title"] == "Operations"  # unmanaged: untouched
    assert [i["text"] for i in plan.impact if i.get("type") == "user"] == [
        "~ heidi@example.com  role Participant -> Editor (authorities: buzz.use, "
        "content.edit, content.export, dataflow.create, dataset.create, dataset.export)"
    ]


async def test_leaver_deleted_destructive_and_warned(env: Env) -> None:
    env.write("people.yaml", "users:\n  - { email: heidi@example.com, ensure: absent }\n")
    plan = await env.plan()
    (change,) = plan.changes
    assert change.action == Action.DELETE and change.destructive == 1
    assert any("reassigned" in w for w in plan.warnings)
    (entry,) = [i for i in plan.impact if i.get("type") == "user"]
    assert entry["text"].startswith("- heidi@example.com  leaves, losing: role Participant")
    assert "member of group Sales Team" in entry["text"]
    await env.converge()
    assert _user(env, "heidi@example.com") is None


async def test_prune_by_email_glob_never_the_token_user(env: Env) -> None:
    env.write("domogov.yaml", 'prune:\n  users: { match: "*@example.com" }\nmax_destructive: 99\n')
    env.write("people.yaml", "users:\n  - { email: bob@example.com }\n")
    plan = await env.plan(allow_destructive=True)
    pruned = sorted(c.address for c in plan.changes if c.action == Action.DELETE)
    assert "user.ada@example.com" not in pruned  # the token's own user
    assert "user.bob@example.com" not in pruned  # declared
    assert "user.grace@example.com" in pruned


async def test_token_user_never_deleted_or_demoted(env: Env) -> None:
    env.write("people.yaml", "users:\n  - { email: ada@example.com, ensure: absent }\n")
    with pytest.raises(PlanError) as deleted:
        await env.plan()
    assert "never deletes it" in str(deleted.value.issues)
    env.write("people.yaml", "users:\n  - { email: ada@example.com, role: Editor }\n")
    with pytest.raises(PlanError) as demoted:
        await env.plan()
    assert "never changes its role" in str(demoted.value.issues)


async def test_create_needs_display_name_and_role(env: Env) -> None:
    env.write("people.yaml", "users:\n  - { email: new@example.com, title: Intern }\n")
    with pytest.raises(PlanError) as failed:
        await env.plan()
    assert "creating it needs display_name and role" in str(failed.value.issues)


async def test_protected_user_refused(env: Env) -> None:
    env.write("domogov.yaml", "protect:\n  users: [heidi@example.com]\n")
    env.write("people.yaml", "users:\n  - { email: heidi@example.com, title: Boss }\n")
    with pytest.raises(Exception, match="protected"):
        await env.plan()
