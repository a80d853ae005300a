"""Users and PDP policies under the simulator's variants: plan -> apply (verified) -> plan.

Each test switches one undocumented answer to its other form and asserts the outcome is
convergence, or a clear refusal naming the object and the field, and that the write log holds
no write the manifests did not ask for (above all: no policy deleted from a list domogov could
not fully read, no user created twice).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2ekit import SALES, STATE_FILE, Env

from domogov.config import load_config
from domogov.core.applier import ApplyReport
from domogov.core.changes import Plan
from domogov.errors import PlanError
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import SimState, load_state_file, set_variants, write_log
from domogov.verify import verify_apply

pytestmark = pytest.mark.asyncio

CONTROL = f"/api/query/v1/data-control/{SALES}"
ADDRESS = f"pdp_policy.{SALES}"
POLICY = """
      - name: EMEA sales
        filters: [{ column: region, operator: EQUALS, values: [EMEA] }]
        users: [dave@example.com]
        groups: [Finance Analysts]
"""


def pdp_manifest(*, enabled: bool | None = True, policies: str | None = POLICY) -> str:
    text = f"pdp_policies:\n  - dataset: {SALES}\n"
    if enabled is not None:
        text += f"    enabled: {str(enabled).lower()}\n"
    if policies is not None:
        text += "    policies:" + (
            f"\n{policies.strip(chr(10))}\n" if policies.strip() else " []\n"
        )
    return text


async def cycle(env: Env) -> tuple[Plan, ApplyReport, Plan]:
    """What ``domogov apply`` then ``domogov plan`` do: plan, apply, verify, plan again."""
    config = load_config(env.dir)
    options = PlanOptions(instance="e2e")
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, options)
        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
        again, _ = await make_plan(config, client, options)
    return plan, report, again


def writes(env: Env, since: int = 0) -> list[tuple[str, str]]:
    return [(w["method"], w["path"]) for w in write_log(env.app)[since:]]


def pdp(env: Env) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in env.doc()["pdp"] if p["dataset"] == SALES)
    return found


def policy_names(env: Env) -> list[str]:
    return [p["name"] for p in pdp(env)["policies"]]


async def refused(env: Env) -> str:
    with pytest.raises(PlanError) as failed:
        await env.plan()
    return "\n".join(map(str, failed.value.issues))


# --- PDP: the list omits users and groups unless asked ------------------------------------


async def test_variant_pdp_associations_unless_asked_converges(env: Env) -> None:
    set_variants(env.app, ["pdp_associations_unless_asked"])
    env.write("pdp.yaml", pdp_manifest())
    plan, report, again = await cycle(env)
    assert report.exit_code == 0 and not report.not_effective
    assert again.changes == [], [c.address for c in again.changes]
    assert writes(env) == [("POST", f"{CONTROL}/filter-groups"), ("PUT", CONTROL)]
    # A change of users is a replace of the one policy, read with its associations.
    env.write("pdp.yaml", pdp_manifest().replace("[dave@example.com]", "[]"))
    before = len(write_log(env.app))
    plan, report, again = await cycle(env)
    (change,) = plan.changes
    (diff,) = change.diffs
    assert (diff.field, diff.removed) == ("policies.EMEA sales.users", ["dave@example.com"])
    assert again.changes == []
    (put,) = writes(env, before)
    assert put[0] == "PUT" and put[1].startswith(f"{CONTROL}/filter-groups/")
    emea = next(p for p in pdp(env)["policies"] if p["name"] == "EMEA sales")
    assert emea.get("users", []) == [] and emea["groups"] == [501]


# --- PDP: Domo's own open policy not flagged --------------------------------------------------


async def test_variant_pdp_open_unflagged_refused(env: Env) -> None:
    env.write("pdp.yaml", pdp_manifest())
    await env.converge()  # EMEA sales exists, created on the documented form
    set_variants(env.app, ["pdp_open_unflagged"])
    before = len(write_log(env.app))
    # Authoritative and empty would delete EMEA sales: the list cannot be read, so refused.
    env.write("pdp.yaml", pdp_manifest(enabled=None, policies=""))
    text = await refused(env)
    assert ADDRESS in text and "policies" in text and "openPolicy" in text, text
    # Additive is refused too: "All Rows" cannot be told from a policy of the manifests.
    env.write(
        "pdp.yaml",
        pdp_manifest(enabled=None, policies="").replace("[]", "{mode: additive, items: []}"),
    )
    text = await refused(env)
    assert ADDRESS in text and "policies" in text, text
    assert writes(env, before) == [], "a refused plan writes nothing"
    assert policy_names(env) == ["All Rows", "EMEA sales"]


async def test_variant_pdp_open_unflagged_enabled_alone_converges(env: Env) -> None:
    set_variants(env.app, ["pdp_open_unflagged"])
    env.write("pdp.yaml", pdp_manifest(enabled=True, policies=None))
    _plan, report, again = await cycle(env)
    assert report.exit_code == 0 and again.changes == []
    assert writes(env) == [("PUT", CONTROL)]  # only PDP on: no policy touched
    assert pdp(env)["enabled"] is True
    assert policy_names(env) == ["All Rows"]


# --- PDP: the data-control read has no enabled ------------------------------------------------


async def test_variant_pdp_enabled_absent_refused(env: Env) -> None:
    env.write("pdp.yaml", pdp_manifest())
    await env.converge()  # PDP on, EMEA sales
    set_variants(env.app, ["pdp_enabled_absent"])
    before = len(write_log(env.app))
    env.write("pdp.yaml", pdp_manifest(enabled=False))
    text = await refused(env)
    assert ADDRESS in text and "enabled" in text, text
    assert writes(env, before) == []
    assert pdp(env)["enabled"] is True, "PDP never turned off from an unreadable read"


async def test_variant_pdp_enabled_absent_policies_alone_converge(env: Env) -> None:
    set_variants(env.app, ["pdp_enabled_absent"])
    env.write("pdp.yaml", pdp_manifest(enabled=None))
    _plan, report, again = await cycle(env)
    assert report.exit_code == 0 and again.changes == []
    assert writes(env) == [("POST", f"{CONTROL}/filter-groups")]  # no data-control write
    assert policy_names(env) == ["All Rows", "EMEA sales"]


# --- users under the directory's variants ------------------------------------------------------

PEOPLE = """
users:
  - email: dana@example.com
    display_name: Dana Lee
    role: Participant
  - email: user59@example.com
    display_name: User Fifty-Nine
    title: Analyst
"""


def crowded(tmp_path: Path) -> Env:
    """The e2e instance with 60 more users, so user59 is past a 50-row list."""
    doc = load_state_file(STATE_FILE).to_document()
    for i in range(60):
        doc["users"].append(
            {
                "id": 3000 + i,
                "displayName": f"User {i}",
                "emailAddress": f"user{i}@example.com",
                "roleId": 4,
                "title": "",
            }
        )
    return Env(tmp_path, SimState.from_document(doc))


@pytest.mark.parametrize("variant", ["users_list_truncated", "users_attributes_only"])
async def test_variant_users_directory_converged(variant: str, tmp_path: Path) -> None:
    """The users kind reads the directory (the users search), not the list's first page nor
    its top-level fields only: a joiner created once, a user past the cut updated."""
    env = crowded(tmp_path)
    set_variants(env.app, [variant])
    env.write("people.yaml", PEOPLE)
    plan, report, again = await cycle(env)
    assert [c.action.value for c in plan.changes] == ["create", "update"]
    assert report.exit_code == 0 and again.changes == []
    creates = [(m, p) for m, p in writes(env) if m == "POST" and p == "/api/identity/v1/users"]
    assert len(creates) == 1, "only the joiner is created; user59 exists past the list's cut"
    emails = [u["emailAddress"] for u in env.doc()["users"]]
    assert emails.count("user59@example.com") == 1
    user59 = next(u for u in env.doc()["users"] if u["emailAddress"] == "user59@example.com")
    assert (user59["displayName"], user59["title"]) == ("User Fifty-Nine", "Analyst")
