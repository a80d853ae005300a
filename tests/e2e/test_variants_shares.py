"""Dataset shares under the simulator's variants: plan -> apply (verified) -> plan.

Each test switches one undocumented behaviour of Domo to its other form and asserts the outcome
is convergence or a clear refusal / ``not effective`` naming the object, and that the write log
shows no write the manifests did not ask for.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2ekit import LEDGER, SALES, Env

from domogov.config import load_config
from domogov.core.applier import ApplyReport
from domogov.core.changes import Plan
from domogov.errors import PlanError
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.resources.dataset_share import live_level
from domogov.sim import set_variants, write_log
from domogov.verify import verify_apply

SALES_SHARE = f"dataset_share.{SALES}"
LEDGER_SHARE = f"dataset_share.{LEDGER}"


async def apply_verified(env: Env) -> tuple[Plan, ApplyReport]:
    """What ``domogov apply`` does: plan, apply, then verify by re-reading (exit 3 when not
    effective)."""
    config = load_config(env.dir)
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e"))
        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
    return plan, report


def writes(env: Env) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, route, effect) of every write the simulator received."""
    return [(w["method"], w["route"], w["effect"]) for w in write_log(env.app)]


def permissions(env: Env, dataset: str) -> dict[tuple[str, int], str]:
    ds = next(d for d in env.doc()["datasets"] if d["id"] == dataset)
    return {(p["type"], p["id"]): p["accessLevel"] for p in ds["permissions"]}


async def test_variant_access_levels_read_write_converges(env: Env) -> None:
    set_variants(env.app, ["access_levels_read_write"])
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants:
              - {{user: dave@example.com, access: CAN_VIEW}}
              - {{group: Sales Team, access: CAN_VIEW}}
              - {{group: Finance Analysts, access: CAN_EDIT}}
          - dataset: {LEDGER}
            grants:
              - {{group: Finance Analysts, access: CAN_EDIT}}
              - {{user: carol@example.com, access: CO_OWNER}}
        """,
    )
    plan, report = await apply_verified(env)
    # READ is CAN_VIEW, WRITE CAN_EDIT, READ_WRITE_DELETE_SHARE_ADMIN CO_OWNER: only the new
    # grant is a change; the levels Domo spells the other way are not re-shared.
    assert [c.address for c in plan.changes] == [SALES_SHARE]
    [grants] = plan.changes[0].diffs
    assert (grants.added, grants.removed, grants.changed) == (
        ["group:Finance Analysts CAN_EDIT"],
        [],
        [],
    )
    assert report.exit_code == 0 and report.not_effective == []
    assert (await env.plan()).changes == []
    [(method, route, effect)] = writes(env)
    assert (method, route) == ("POST", "/api/data/v3/datasources/{id}/share")
    assert effect == {"granted": [{"type": "GROUP", "id": 501, "accessLevel": "CAN_EDIT"}]}


async def test_an_unknown_access_level_makes_the_grants_unreadable_and_managing_them_refused(
    env: Env,
) -> None:
    env.state.datasets[SALES].permissions[0].access_level = "SUPER_VIEWER"
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants: [{{group: Finance Analysts, access: CAN_VIEW}}]
        """,
    )
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = str(caught.value)
    assert SALES_SHARE in text
    assert f"GET /api/data/v3/datasources/{SALES}/permissions" in text
    assert "'SUPER_VIEWER'" in text and "grants" in text
    with pytest.raises(PlanError):
        await apply_verified(env)
    assert writes(env) == []


async def test_unreadable_grants_are_listed_and_left_alone_when_not_managed(env: Env) -> None:
    env.state.datasets[SALES].permissions[0].access_level = "SUPER_VIEWER"
    env.write("shares.yaml", f"dataset_shares:\n  - dataset: {SALES}\n    name: Sales Pipeline\n")
    plan = await env.plan()
    assert plan.changes == []
    [part] = plan.unreadable
    assert (part.address, part.field) == (SALES_SHARE, "grants")
    assert "SUPER_VIEWER" in part.text


async def test_variant_group_revoke_ignored_not_effective(env: Env) -> None:
    set_variants(env.app, ["group_revoke_ignored"])
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants: [{{user: dave@example.com, access: CAN_VIEW}}]
        """,
    )
    plan, report = await apply_verified(env)
    assert [c.address for c in plan.changes] == [SALES_SHARE]
    assert report.exit_code == 3
    [problem] = report.not_effective
    assert problem["address"] == SALES_SHARE and problem["field"] == "grants"
    assert "- group:Sales Team CAN_VIEW" in problem["text"] and "still there" in problem["text"]
    # The one write is the revoke the manifests asked for; Domo ignored it, nothing else moved.
    [(method, route, effect)] = writes(env)
    assert (method, route) == ("DELETE", "/api/data/v3/datasources/{id}/users")
    assert effect == {"ignored": [{"type": "GROUP", "id": 502}]}
    assert permissions(env, SALES) == {("USER", 1004): "CAN_VIEW", ("GROUP", 502): "CAN_VIEW"}


async def test_variant_share_does_not_lower_not_effective(env: Env) -> None:
    set_variants(env.app, ["share_does_not_lower"])
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {LEDGER}
            grants:
              - {{group: Finance Analysts, access: CAN_EDIT}}
              - {{user: carol@example.com, access: CAN_VIEW}}
        """,
    )
    plan, report = await apply_verified(env)
    [change] = plan.changes
    assert change.diffs[0].changed == ["user:carol@example.com CO_OWNER -> CAN_VIEW"]
    # No revoke is planned to lower a level: one share call.
    assert [c.method for c in change.calls] == ["POST"]
    [(method, _, effect)] = writes(env)
    assert method == "POST" and "granted" not in effect
    assert effect["kept"] == [{"type": "USER", "id": 1003, "accessLevel": "CO_OWNER"}]
    assert report.exit_code == 3
    [problem] = report.not_effective
    assert problem["address"] == LEDGER_SHARE and "CO_OWNER" in problem["text"]


@pytest.mark.parametrize(
    ("answered", "has_owner_row", "level"),
    [
        ("CAN_VIEW", True, "CAN_VIEW"),
        ("READ", True, "CAN_VIEW"),
        ("WRITE", True, "CAN_EDIT"),
        ("READ_WRITE", True, "CAN_EDIT"),
        ("READ_SHARE", True, "CAN_SHARE"),
        ("READ_WRITE_DELETE_SHARE_ADMIN", True, "CO_OWNER"),
        # Without an OWNER row, this string may be the owner's own: not a co-owner to revoke.
        ("READ_WRITE_DELETE_SHARE_ADMIN", False, None),
        ("can_view", True, None),
        ("ADMIN", True, None),
        ("", True, None),
    ],
)
def test_access_levels_read_in_both_vocabularies(
    answered: str, has_owner_row: bool, level: str | None
) -> None:
    assert live_level(answered, owner_listed=has_owner_row) == level
