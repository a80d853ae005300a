"""PDP policies end to end: create, change field by field, delete, PDP on and off."""

from __future__ import annotations

import pytest
from e2ekit import SALES, Env

from domogov.errors import PlanError

pytestmark = pytest.mark.asyncio

MANIFEST = f"""
pdp_policies:
  - dataset: {SALES}
    name: Sales Pipeline
    enabled: true
    policies:
      - name: EMEA sales
        filters: [{{ column: region, operator: EQUALS, values: [EMEA] }}]
        users: [dave@example.com]
        groups: [Finance Analysts]
"""


def _pdp(env: Env) -> dict[str, object]:
    return next(p for p in env.doc()["pdp"] if p["dataset"] == SALES)


async def test_policy_created_then_no_changes(env: Env) -> None:
    env.write("pdp.yaml", MANIFEST)
    plan, _ = await env.converge()
    (change,) = plan.changes
    methods = [(c.method, c.path) for c in change.calls]
    assert methods == [
        ("POST", f"/api/query/v1/data-control/{SALES}/filter-groups"),
        ("PUT", f"/api/query/v1/data-control/{SALES}"),
    ]
    pdp = _pdp(env)
    assert pdp["enabled"] is True
    names = [p["name"] for p in pdp["policies"]]  # type: ignore[index]
    assert names == ["All Rows", "EMEA sales"]  # Domo's own open policy is kept
    texts = [i["text"] for i in plan.impact if i.get("type") == "row_access"]
    assert '+ dave@example.com sees region in [EMEA] on "Sales Pipeline" (policy EMEA sales)' in (
        texts
    )
    # Finance Analysts' members are expanded
    assert any(t.startswith("+ bob@example.com sees region in [EMEA]") for t in texts), texts


async def test_filter_change_shown_field_by_field_and_delete(env: Env) -> None:
    env.write("pdp.yaml", MANIFEST)
    await env.converge()
    env.write("pdp.yaml", MANIFEST.replace("[EMEA]", "[EMEA, APAC]"))
    plan, _ = await env.converge()
    (change,) = plan.changes
    (diff,) = change.diffs
    assert diff.field == "policies.EMEA sales.filters"
    assert diff.added == ["region EQUALS [EMEA, APAC] ignore_case"]
    assert diff.removed == ["region EQUALS [EMEA] ignore_case"]
    assert [c.method for c in change.calls] == ["PUT"]
    env.write(
        "pdp.yaml", f"pdp_policies:\n  - dataset: {SALES}\n    enabled: false\n    policies: []\n"
    )
    plan = await env.plan()
    (change,) = plan.changes
    assert change.destructive == 2  # the policy deleted, PDP off
    assert [c.method for c in change.calls] == ["DELETE", "PUT"]
    assert any("everyone" in i["text"] for i in plan.impact if i.get("type") == "row_access")
    await env.converge()
    names = [p["name"] for p in _pdp(env)["policies"]]  # type: ignore[index]
    assert names == ["All Rows"]  # never deleted


async def test_all_rows_is_not_managed_and_unknown_dataset_refused(env: Env) -> None:
    env.write(
        "pdp.yaml",
        f"pdp_policies:\n  - dataset: {SALES}\n    policies: [{{name: All Rows}}]\n"
        "  - dataset: 11111111-2222-4333-8444-555555555555\n    enabled: true\n",
    )
    with pytest.raises(PlanError) as failed:
        await env.plan()
    text = str(failed.value.issues)
    assert "Domo's own open policy" in text
    assert "unknown dataset" in text


async def test_pdp_on_without_policies_warns(env: Env) -> None:
    env.write("pdp.yaml", f"pdp_policies:\n  - dataset: {SALES}\n    enabled: true\n")
    plan = await env.plan()
    assert any("no policy but 'All Rows'" in w for w in plan.warnings)
