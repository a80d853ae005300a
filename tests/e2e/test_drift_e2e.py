"""Drift with attribution: a change made outside domogov is found and its author named."""

from __future__ import annotations

import datetime as dt

from e2ekit import SALES, Env

from domogov.drift import attribute, parse_since, read_activity
from domogov.sim import set_variants

CONFIG = f"""
groups:
  - name: Finance Analysts
    members: [bob@example.com, frank@example.com]
dataset_shares:
  - dataset: {SALES}
    grants:
      - {{user: dave@example.com, access: CAN_VIEW}}
      - {{group: Sales Team, access: CAN_VIEW}}
"""


async def drift(env: Env) -> list[str]:
    plan = await env.plan()
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    async with env.client() as client:
        activity = await read_activity(client, end - parse_since("1d"), end)
    return [e.text for e in attribute(plan, activity)]


async def test_member_added_by_someone_else_is_attributed(env: Env) -> None:
    env.write("all.yaml", CONFIG)
    assert await drift(env) == []
    # Heidi (1008) adds dave to Finance Analysts and gives erin edit rights, by hand.
    await env.control("POST", "/_sim/act-as", {"userId": 1008})
    async with env.client() as client:
        await client.put("/api/content/v2/groups/501/user/1004")
        await client.post(
            f"/api/data/v3/datasources/{SALES}/share",
            json={"permissions": [{"id": "1005", "type": "USER", "accessLevel": "CAN_EDIT"}]},
        )
    texts = await drift(env)
    assert len(texts) == 2
    assert texts[0].startswith(
        "drift: group.Finance Analysts: member dave@example.com added outside domogov "
        "by Heidi Ops at "
    )
    assert texts[1].startswith(
        f"drift: dataset_share.{SALES}: grant user:erin@example.com CAN_EDIT added outside "
        "domogov by Heidi Ops at "
    )
    assert texts[0].endswith(" UTC")


async def test_drift_without_activity_says_so(env: Env) -> None:
    env.write("all.yaml", CONFIG)
    async with env.client() as client:
        await client.put("/api/content/v2/groups/501/user/1004")
    plan = await env.plan()
    [entry] = attribute(plan, [])
    assert entry.text.endswith("(no activity-log entry in the window)")


async def _drift_by_hand(env: Env, variants: list[str]) -> tuple[list[str], list[str]]:
    """Heidi changes a group and a share by hand on an instance answering as ``variants``;
    the drift texts, and the warnings reading the activity log gave."""
    env.write("all.yaml", CONFIG)
    set_variants(env.app, variants)
    await env.control("POST", "/_sim/act-as", {"userId": 1008})
    async with env.client() as client:
        await client.put("/api/content/v2/groups/501/user/1004")
        await client.post(
            f"/api/data/v3/datasources/{SALES}/share",
            json={"permissions": [{"id": "1005", "type": "USER", "accessLevel": "CAN_EDIT"}]},
        )
    plan = await env.plan()
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    warnings: list[str] = []
    async with env.client() as client:
        activity = await read_activity(client, end - parse_since("1d"), end, warnings)
    return [e.text for e in attribute(plan, activity)], warnings


async def test_variant_activity_rows_minimal_still_attributed(env: Env) -> None:
    """Documented rows carry no objectId/objectName: rows of the object's type that mention
    the change are matched instead (issue 13 finding 9)."""
    texts, warnings = await _drift_by_hand(env, ["activity_rows_minimal"])
    assert warnings == []
    assert len(texts) == 2
    assert "member dave@example.com added outside domogov by Heidi Ops at " in texts[0]
    assert "grant user:erin@example.com CAN_EDIT added outside domogov by Heidi Ops" in texts[1]


async def test_variant_activity_object_type_400_reads_again_without_the_filter(
    env: Env,
) -> None:
    """A 400 to the objectType filter does not end drift: the log is read again unfiltered."""
    texts, warnings = await _drift_by_hand(env, ["activity_object_type_400"])
    assert len(warnings) == 1 and "objectType filter was refused (400)" in warnings[0]
    assert len(texts) == 2
    assert all(" by Heidi Ops at " in t for t in texts), texts
