"""Drift of users and PDP policies: a change made outside domogov is found and its author named
from the activity log (users by USER rows, PDP by the dataset's DATA_SOURCE rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from e2ekit import SALES, Env

from domogov.drift import DriftEntry, attribute, parse_since, read_activity
from domogov.sim import set_variants

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


# --- users deleted or created outside domogov (issue 14) -------------------------------------
# Both forms of the activity log: the simulator's rows (objectId, objectName) and the
# documented ones (variant activity_rows_minimal: neither), where only the comment names the
# object. Attribution never names the wrong actor: with no matching row, the entry has none.
FORMS = pytest.mark.parametrize("form", [[], ["activity_rows_minimal"]], ids=["sim", "minimal"])
HEIDI, FRANK = 1008, 1006
NINA = """
users:
  - email: nina@example.com
    display_name: Nina New
    role: Participant
    title: Analyst
"""


async def entries(env: Env) -> list[DriftEntry]:
    plan = await env.plan()
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    async with env.client() as client:
        activity = await read_activity(client, end - parse_since("1d"), end)
    return attribute(plan, activity)


async def as_user(env: Env, user_id: int, method: str, path: str, body: Any = None) -> Any:
    """One write made in Domo by ``user_id``, outside domogov."""
    await env.control("POST", "/_sim/act-as", {"userId": user_id})
    async with env.client() as client:
        answer = await client.request(method, path, json=body)
    await env.control("POST", "/_sim/act-as", {"userId": None})
    return answer


@FORMS
async def test_declared_user_deleted_by_someone_else_is_attributed_to_them(
    env: Env, form: list[str]
) -> None:
    env.write("all.yaml", NINA)
    await env.converge()
    set_variants(env.app, form)
    nina = env.user_id("nina@example.com")
    await as_user(env, HEIDI, "DELETE", f"/api/identity/v1/users/{nina}")
    # Newer, and about someone else: Frank changes Dave's title (not the deletion's author).
    await as_user(env, FRANK, "PATCH", "/api/identity/v1/users/1004", {"title": "VP Sales"})
    [entry] = await entries(env)
    assert entry.address == "user.nina@example.com"
    assert entry.detail == "missing in Domo: deleted outside domogov, or never created"
    assert entry.actor == "Heidi Ops", entry.text
    assert "nina@example.com" in str(entry.event)


@FORMS
async def test_a_job_title_word_elsewhere_does_not_attract_attribution(
    env: Env, form: list[str]
) -> None:
    """Nina (title Analyst) was never created. Heidi creates a role called Analyst and moves
    Dave into it: rows naming "Analyst" are not about Nina, so her entry names nobody."""
    env.write("all.yaml", NINA)
    set_variants(env.app, form)
    role = await as_user(env, HEIDI, "POST", "/api/authorization/v1/roles", {"name": "Analyst"})
    await as_user(env, HEIDI, "PATCH", "/api/identity/v1/users/1004", {"roleId": role["id"]})
    [entry] = await entries(env)
    assert entry.address == "user.nina@example.com"
    assert entry.actor is None, entry.text
    assert entry.text.endswith("(no activity-log entry in the window)")


@FORMS
async def test_user_created_by_hand_and_pruned_is_attributed_to_its_creator(
    env: Env, form: list[str]
) -> None:
    """Heidi adds a contractor by hand; Frank later edits the contractor's title. The prune
    entry ("created outside domogov") names the creator, not the last editor."""
    env.write("domogov.yaml", 'prune:\n  users: { match: "*@contractor.example" }\n')
    env.write("all.yaml", NINA)
    await env.converge()
    set_variants(env.app, form)
    body = {"displayName": "Zed Temp", "emailAddress": "zed@contractor.example", "roleId": 4}
    zed = await as_user(env, HEIDI, "POST", "/api/identity/v1/users", body)
    await as_user(env, FRANK, "PATCH", f"/api/identity/v1/users/{zed['id']}", {"title": "Temp"})
    [entry] = await entries(env)
    assert entry.address == "user.zed@contractor.example"
    assert entry.detail == "exists in Domo but is not declared (created outside domogov)"
    assert entry.actor == "Heidi Ops", entry.text


@FORMS
async def test_user_title_and_role_changed_by_hand_name_each_author(
    env: Env, form: list[str]
) -> None:
    """Heidi changes Carol's title, then Frank her role: each detail names its own author
    (the title's is not simply the newest row on Carol)."""
    env.write(
        "all.yaml",
        "users:\n  - { email: carol@example.com, title: Data Steward, role: Data Steward }\n",
    )
    await env.converge()
    set_variants(env.app, form)
    await as_user(env, HEIDI, "PATCH", "/api/identity/v1/users/1003", {"title": "Boss"})
    await as_user(env, FRANK, "PATCH", "/api/identity/v1/users/1003", {"roleId": 3})
    found = {e.detail.split(" ", 1)[0]: e for e in await entries(env)}
    assert set(found) == {"role", "title"}, found
    assert found["title"].actor == "Heidi Ops", found["title"].text
    assert found["role"].actor == "Frank Finance", found["role"].text
    assert (
        found["role"].detail == "role changed outside domogov to 'Editor' (declared 'Data Steward')"
    )
