"""page_shares end to end: plan -> apply -> empty plan on the simulator's demo instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2ekit import Env

from domogov.errors import PlanError
from domogov.sim import write_log
from domogov.sim.state import demo_state


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path, demo_state())


def page_doc(env: Env, page: int) -> dict[str, object]:
    return next(p for p in env.doc()["pages"] if p["id"] == page)


def card_doc(env: Env, card: int) -> dict[str, object]:
    return next(c for c in env.doc()["cards"] if c["id"] == card)


async def test_shares_a_page_and_a_card_and_revokes_a_user_then_converges(env: Env) -> None:
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            name: Sales
            grants: [{group: Sales Team}, {user: bob@example.com}]
          - card: 1234567
            grants: [{group: Finance Analysts}]
        """,
    )
    plan, _ = await env.converge()
    assert sorted(c.address for c in plan.changes) == [
        "page_share.card.1234567",
        "page_share.page.345678",
    ]
    page = next(c for c in plan.changes if c.address == "page_share.page.345678")
    [grants] = page.diffs
    assert (grants.added, grants.removed) == (["user:bob@example.com"], ["user:dave@example.com"])
    assert page.destructive == 1
    assert page_doc(env, 345678)["sharedUsers"] == [1002]
    assert card_doc(env, 1234567)["sharedGroups"] == [501]
    routes = sorted((w["method"], w["route"]) for w in write_log(env.app))
    assert routes == [
        ("DELETE", "/api/content/v1/share/page/{pageId}/user/{personId}"),
        ("POST", "/api/content/v1/share"),
        ("POST", "/api/content/v1/share"),
    ]
    share = next(w for w in write_log(env.app) if w["method"] == "POST")
    assert share["query"] == "sendEmail=false"


async def test_the_owner_is_never_a_grant(env: Env) -> None:
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            grants: [{user: ada@example.com}, {user: dave@example.com}, {group: Sales Team}]
        """,
    )
    plan = await env.plan()
    assert plan.changes == []


async def test_removing_a_group_or_from_a_card_is_refused_not_guessed(env: Env) -> None:
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            grants: [{user: dave@example.com}]
        """,
    )
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = str(caught.value)
    assert "page_share.page.345678" in text and "group:Sales Team" in text
    assert write_log(env.app) == []


async def test_additive_adds_and_never_removes(env: Env) -> None:
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345678
            grants: {mode: additive, items: [{user: erin@example.com}]}
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.destructive == 0
    assert sorted(page_doc(env, 345678)["sharedUsers"]) == [1004, 1005]  # type: ignore[arg-type]


async def test_an_unknown_page_is_a_plan_error(env: Env) -> None:
    env.write("content.yaml", "page_shares:\n  - page: 999\n    grants: []\n")
    with pytest.raises(PlanError, match="unknown page 999"):
        await env.plan()


async def test_impact_names_users_gaining_a_page_through_a_group(env: Env) -> None:
    env.write(
        "content.yaml",
        """
        page_shares:
          - page: 345679
            name: CFO Dashboard
            grants: [{group: Finance Analysts}]
        """,
    )
    from domogov.config import load_config
    from domogov.reconcile import PlanOptions, make_plan

    config = load_config(env.dir)
    async with env.client() as client:
        plan, _ = await make_plan(config, client, PlanOptions(instance="e2e"))
    texts = [e["text"] for e in plan.impact]
    assert '+ bob@example.com can open page "CFO Dashboard" (via group Finance Analysts)' in texts
    assert '+ frank@example.com can open page "CFO Dashboard" (via group Finance Analysts)' in texts
