"""Apply semantics end to end: partial failure, lost responses, stale plans, guards, prune."""

from __future__ import annotations

import pytest
from e2ekit import SALES, TRAFFIC, Env

from domogov.config import load_config
from domogov.core.changes import Action, Plan
from domogov.errors import GuardError, StalePlanError
from domogov.reconcile import apply_plan, check_saved_plan, new_context
from domogov.resources.directory import load_directory

TWO_KINDS = f"""
groups:
  - name: Web Analysts
    members: [erin@example.com]
dataset_shares:
  - dataset: {TRAFFIC}
    grants: [{{group: Web Analysts, access: CAN_VIEW}}]
  - dataset: {SALES}
    grants: [{{user: bob@example.com, access: CAN_VIEW}}]
"""


async def fault(env: Env, fault: str, method: str, path: str, count: int = 1) -> None:
    entry = {"fault": fault, "method": method, "path_glob": path, "count": count}
    await env.control("POST", "/_sim/faults", {"seed": 1, "script": [entry]})


async def test_partial_failure_reports_and_a_replan_shows_exactly_the_rest(env: Env) -> None:
    env.write("all.yaml", TWO_KINDS)
    # The group create keeps failing with 500 (a POST is not retried blindly): its share is
    # skipped, the unrelated share is done.
    await fault(env, "500", "POST", "/api/content/v2/groups", count=10)
    _, report = await env.apply()
    status = {o.address: o.status for o in report.outcomes}
    assert status == {
        "group.Web Analysts": "failed",
        f"dataset_share.{TRAFFIC}": "skipped",
        f"dataset_share.{SALES}": "done",
    }
    assert report.exit_code == 3
    failed = next(o for o in report.outcomes if o.status == "failed")
    assert "POST /api/content/v2/groups" in failed.detail
    await env.control("DELETE", "/_sim/faults")
    again = await env.plan()
    assert [c.address for c in again.changes] == ["group.Web Analysts", f"dataset_share.{TRAFFIC}"]
    await env.converge()


async def test_create_whose_response_was_lost_is_not_duplicated(env: Env) -> None:
    env.write("all.yaml", TWO_KINDS)
    await fault(env, "lost_write", "POST", "/api/content/v2/groups")
    _, report = await env.apply()
    assert report.exit_code == 0, report.outcomes
    names = [g["name"] for g in env.doc()["groups"] if g.get("active", True)]
    assert names.count("Web Analysts") == 1
    assert (await env.plan()).changes == []


async def test_already_existing_group_is_adopted(env: Env) -> None:
    env.write("all.yaml", TWO_KINDS)
    plan = await env.plan()
    # Someone creates the group between plan and apply.
    await env.control("POST", "/_sim/faults", {})
    async with env.client() as client:
        await client.post("/api/content/v2/groups", json={"name": "Web Analysts", "type": "closed"})
    async with env.client() as client:
        ctx = new_context(client, load_config(env.dir))
        await load_directory(ctx)
        report = await apply_plan(plan, ctx)
    assert report.exit_code == 0, report.outcomes
    names = [g["name"] for g in env.doc()["groups"] if g.get("active", True)]
    assert names.count("Web Analysts") == 1


async def test_saved_plan_is_refused_when_live_state_moved(env: Env) -> None:
    env.write(
        "groups.yaml", "groups:\n  - name: Finance Analysts\n    members: [bob@example.com]\n"
    )
    saved = Plan.from_json((await env.plan()).to_json())
    async with env.client() as client:
        await check_saved_plan(saved, None, client)  # fresh: accepted
        await client.put("/api/content/v2/groups/501/user/1004")
        with pytest.raises(StalePlanError, match=r"group\.Finance Analysts"):
            await check_saved_plan(saved, None, client)


async def test_max_destructive_guard(env: Env) -> None:
    env.write("domogov.yaml", "max_destructive: 1\n")
    env.write("groups.yaml", "groups:\n  - name: Finance Analysts\n    members: []\n")
    with pytest.raises(GuardError, match="max_destructive"):
        await env.plan()
    assert len((await env.plan(allow_destructive=True)).changes) == 1


async def test_protected_object_is_refused(env: Env) -> None:
    env.write("domogov.yaml", "protect:\n  groups: [Admins]\n")
    env.write("groups.yaml", "groups:\n  - name: Admins\n    description: changed\n")
    with pytest.raises(GuardError, match=r"protected objects: group\.Admins"):
        await env.plan()


async def test_prune_scope_deletes_only_matching_undeclared_groups(env: Env) -> None:
    async with env.client() as client:
        for name in ("gov-old", "gov-keep", "other"):
            await client.post("/api/content/v2/groups", json={"name": name, "type": "closed"})
    env.write(
        "domogov.yaml", 'prune:\n  groups: {match: "gov-*"}\nprotect:\n  groups: [gov-keep]\n'
    )
    env.write("groups.yaml", "groups:\n  - name: Finance Analysts\n")
    plan, _ = await env.converge()
    assert [(c.address, c.action) for c in plan.changes] == [("group.gov-old", Action.DELETE)]
    assert env.group("other") and env.group("gov-keep") and env.group("Sales Team")


async def test_target_keeps_dependencies(env: Env) -> None:
    env.write("all.yaml", TWO_KINDS)
    plan = await env.plan(targets=(f"dataset_share.{TRAFFIC}",))
    assert [c.address for c in plan.changes] == ["group.Web Analysts", f"dataset_share.{TRAFFIC}"]


async def test_deleted_group_loses_its_references_first(env: Env) -> None:
    env.write(
        "all.yaml",
        """
        groups:
          - {name: Finance Analysts, ensure: absent}
        alerts:
          - alert: 359
            subscribers: []
        """,
    )
    plan = await env.plan()
    delete = next(c for c in plan.changes if c.address == "group.Finance Analysts")
    assert delete.depends_on == ["alert.359"]
    assert [c.address for c in plan.changes][-1] == "group.Finance Analysts"
    await env.converge()


async def test_role_write_answering_400_although_applied_is_confirmed_by_reading_back(
    env: Env,
) -> None:
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    authorities: [dataset.manage]\n")
    await fault(env, "applied_400", "PATCH", "/api/authorization/v1/roles/*/authorities")
    _, report = await env.apply()
    assert report.exit_code == 0, report.outcomes
    assert (await env.plan()).changes == []


async def test_a_real_400_on_a_role_write_still_fails(env: Env) -> None:
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    authorities: [no.such.thing]\n")
    _, report = await env.apply()
    assert report.exit_code == 1
    assert "400" in report.outcomes[0].detail
