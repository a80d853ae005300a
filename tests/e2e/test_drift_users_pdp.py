"""Drift of users and PDP policies: a change made outside domogov is found and its author named
from the activity log (users by USER rows, PDP by the dataset's DATA_SOURCE rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from e2ekit import SALES, Env

from domogov.drift import attribute, parse_since, read_activity

pytestmark = pytest.mark.asyncio

CONTROL = f"/api/query/v1/data-control/{SALES}"
CONFIG = f"""
users:
  - email: carol@example.com
    title: Data Steward
  - email: nina@example.com
    display_name: Nina New
    role: Participant
pdp_policies:
  - dataset: {SALES}
    name: Sales Pipeline
    enabled: true
    policies:
      - name: EMEA sales
        filters: [{{ column: region, operator: EQUALS, values: [EMEA] }}]
        users: [dave@example.com]
"""


async def drift(env: Env) -> list[str]:
    plan = await env.plan()
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    async with env.client() as client:
        activity = await read_activity(client, end - parse_since("1d"), end)
    return [e.text for e in attribute(plan, activity)]


async def test_user_and_pdp_changes_by_someone_else_are_attributed(env: Env) -> None:
    env.write("all.yaml", CONFIG)
    await env.converge()
    assert await drift(env) == []
    nina = env.user_id("nina@example.com")
    async with env.client() as client:
        rows = await client.get(
            f"{CONTROL}/filter-groups",
            params={"options": "load_associations,load_filters,include_open_policy"},
        )
    emea = next(r for r in rows if r["name"] == "EMEA sales")
    # Heidi (1008), by hand: Carol's title, Nina deleted, Erin added to the EMEA policy.
    await env.control("POST", "/_sim/act-as", {"userId": 1008})
    async with env.client() as client:
        await client.request("PATCH", "/api/identity/v1/users/1003", json={"title": "Boss"})
        await client.delete(f"/api/identity/v1/users/{nina}")
        body = {**emea, "userIds": [*emea["userIds"], 1005]}
        body.pop("openPolicy", None)
        await client.put(f"{CONTROL}/filter-groups/{emea['filterGroupId']}", json=body)
    texts = await drift(env)
    assert len(texts) == 3, texts
    by_address = {t.split(": ", 2)[1]: t for t in texts}
    carol = by_address["user.carol@example.com"]
    assert carol.startswith(
        "drift: user.carol@example.com: title changed outside domogov to 'Boss' (declared "
        "'Data Steward') by Heidi Ops at "
    ), carol
    gone = by_address["user.nina@example.com"]
    assert gone.startswith(
        "drift: user.nina@example.com: missing in Domo: deleted outside domogov, or never created"
    ), gone
    pdp = by_address[f"pdp_policy.{SALES}"]
    assert "erin@example.com added outside domogov by Heidi Ops at " in pdp, pdp
    assert all(t.endswith(" UTC") for t in (carol, pdp))


async def test_pdp_turned_off_by_hand_is_attributed(env: Env) -> None:
    env.write("all.yaml", CONFIG)
    await env.converge()
    await env.control("POST", "/_sim/act-as", {"userId": 1008})
    async with env.client() as client:
        await client.put(CONTROL, json={"enabled": False, "external": False})
    [text] = await drift(env)
    assert text.startswith(
        f"drift: pdp_policy.{SALES}: enabled changed outside domogov to False (declared True) "
        "by Heidi Ops at "
    ), text
