"""Content permissions under the simulator's variants: plan -> apply (verified) -> plan.

Each test switches one undocumented behaviour of Domo's content routes to its other form and
asserts the outcome (converged, refused or not effective, naming the object) and that the
simulator's write log shows no write the manifests did not ask for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2ekit import Env

from domogov.config import load_config
from domogov.core.applier import ApplyReport
from domogov.core.changes import Plan
from domogov.errors import PlanError
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import set_variants, write_log
from domogov.sim.state import demo_state
from domogov.verify import verify_apply

FLOW = "7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44"
SHARE = "/api/content/v1/share"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path, demo_state())


async def apply_verified(env: Env) -> tuple[Plan, ApplyReport]:
    """What ``domogov apply`` does: plan, apply, verify by re-reading (exit 3: not effective)."""
    config = load_config(env.dir)
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e"))
        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
    return plan, report


def writes(env: Env) -> list[tuple[str, str, dict[str, Any]]]:
    return [(w["method"], w["route"], w["effect"]) for w in write_log(env.app)]


def shares(env: Env, section: str, ident: int) -> tuple[list[int], list[int]]:
    obj = next(o for o in env.doc()[section] if o["id"] == ident)
    return list(obj.get("sharedUsers", [])), list(obj.get("sharedGroups", []))


def flow_grants(env: Env) -> dict[tuple[str, int], list[str]]:
    flow = next(w for w in env.doc()["workflows"] if w["id"] == FLOW)
    return {(g["type"], g["id"]): list(g["permissions"]) for g in flow["permissions"]}


async def test_variant_content_accesslist_users_only_refused(env: Env) -> None:
    set_variants(env.app, ["content_accesslist_users_only"])
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            grants: {mode: additive, items: [{user: bob@example.com}]}
        """,
    )
    before = shares(env, "pages", 345678)
    # Without the groups key "shared with no group" and "groups not shown" look alike:
    # the grants are unreadable, so even an additive list is refused, never written.
    with pytest.raises(PlanError, match=r"page_share\.page\.345678") as caught:
        await apply_verified(env)
    assert "groups" in str(caught.value)
    assert write_log(env.app) == []
    assert shares(env, "pages", 345678) == before


async def test_variant_content_accesslist_users_only_leaves_unmanaged_grants_alone(
    env: Env,
) -> None:
    set_variants(env.app, ["content_accesslist_users_only"])
    env.write("content.yaml", "page_shares:\n  - page: 345678\n    name: Sales\n")
    plan, report = await apply_verified(env)
    assert plan.changes == [] and report.exit_code == 0
    assert write_log(env.app) == []


async def test_variant_content_card_share_ignored_not_effective(env: Env) -> None:
    set_variants(env.app, ["content_card_share_ignored"])
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            grants: [{group: Sales Team}, {user: dave@example.com}, {user: bob@example.com}]
          - card: 1234567
            grants: [{group: Finance Analysts}]
        """,
    )
    plan, report = await apply_verified(env)
    assert sorted(c.address for c in plan.changes) == [
        "page_share.card.1234567",
        "page_share.page.345678",
    ]
    # Domo answered 200 to the card's share but shared nothing: verify says so (exit 3).
    assert report.exit_code == 3
    assert [p["address"] for p in report.not_effective] == ["page_share.card.1234567"]
    assert shares(env, "cards", 1234567) == ([], [])
    assert shares(env, "pages", 345678) == ([1004, 1002], [502])
    again = await env.plan()
    # The next plan asks for the card's share again and nothing else: no removal, no guess.
    assert [c.address for c in again.changes] == ["page_share.card.1234567"]
    [diff] = again.changes[0].diffs
    assert (diff.added, diff.removed) == (["group:Finance Analysts"], [])
    effects = writes(env)
    assert [(m, r) for m, r, _ in effects] == [("POST", SHARE), ("POST", SHARE)]
    # Only the page's share took effect; the card's POST left no trace.
    assert [e for _, _, e in effects if e] == [
        {"shared": [{"type": "page", "id": 345678, "recipients": [{"type": "USER", "id": 1002}]}]}
    ]


async def test_variant_workflow_permissions_merge_not_effective(env: Env) -> None:
    set_variants(env.app, ["workflow_permissions_merge"])
    env.write(
        "flows.yaml",
        f"""
        workflow_permissions:
          - workflow: {FLOW}
            grants:
              - {{user: ada@example.com, permissions: [ADMIN, EXECUTE, READ]}}
              - {{group: Sales Team, permissions: [READ]}}
        """,
    )
    plan, report = await apply_verified(env)
    [change] = plan.changes
    assert change.destructive == 1
    # The POST added Sales Team but kept Finance Analysts (merge): the removal is reported
    # not effective by verify, never retried by a guessed call.
    assert report.exit_code == 3
    assert [p["address"] for p in report.not_effective] == [f"workflow_permission.{FLOW}"]
    assert flow_grants(env) == {
        ("USER", 1001): ["ADMIN", "EXECUTE", "READ"],
        ("GROUP", 501): ["EXECUTE", "READ"],
        ("GROUP", 502): ["READ"],
    }
    [(method, route, effect)] = writes(env)
    assert (method, route) == ("POST", "/api/workflow/v1/models/{id}/permissions")
    assert effect == {"granted": [{"type": "GROUP", "id": 502, "permissions": ["READ"]}]}
    again = await env.plan()
    [diff] = again.changes[0].diffs
    assert (diff.added, diff.removed) == ([], ["group:Finance Analysts EXECUTE,READ"])


async def test_variant_workflow_permissions_merge_converged_without_removals(env: Env) -> None:
    set_variants(env.app, ["workflow_permissions_merge"])
    env.write(
        "flows.yaml",
        f"""
        workflow_permissions:
          - workflow: {FLOW}
            grants:
              mode: additive
              items: [{{group: Finance Analysts, permissions: [READ]}}, {{user: bob@example.com,
                       permissions: [READ]}}]
        """,
    )
    plan, report = await apply_verified(env)
    assert [c.address for c in plan.changes] == [f"workflow_permission.{FLOW}"]
    assert report.exit_code == 0 and report.not_effective == []
    assert (await env.plan()).changes == []
    assert flow_grants(env)[("GROUP", 501)] == ["READ"]
    assert flow_grants(env)[("USER", 1002)] == ["READ"]
    assert len(writes(env)) == 1


async def test_a_saved_plan_of_files_and_workflows_is_not_stale(env: Env) -> None:
    """The stale check re-reads the raw entries: the plan's fingerprint must be of those."""
    from domogov.reconcile import stale_changes

    env.write(
        "content.yaml",
        f"""
        file_permissions:
          - file: 4711
            public: true
        workflow_permissions:
          - workflow: {FLOW}
            grants: {{mode: additive, items: [{{group: Sales Team, permissions: [READ]}}]}}
        """,
    )
    config = load_config(env.dir)
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e"))
        assert len(plan.changes) == 2
        assert await stale_changes(plan, ctx.project, client) == []
        env.state.files[4711].entries[0].grant = "READ"  # someone changes it in Domo
        assert await stale_changes(plan, ctx.project, client) == ["file_permission.4711"]
