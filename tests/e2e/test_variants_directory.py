"""The directory under each variant of Domo's undocumented answers (issue 13, findings 4, 5).

Each test runs plan -> apply (with verify after apply) -> plan on an instance answering the
variant's way, with manifests that need the part of the directory the variant hides, and
checks the simulator's write log: only the writes the manifests asked for, no duplicate
create, no revoke or removal nobody asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2ekit import SALES, STATE_FILE, Env

from domogov.config import load_config
from domogov.core.changes import Action
from domogov.sim import SimState, load_state_file, set_variants, write_log
from domogov.sim.routes.groups import GROUPLIST_CAP
from domogov.sim.routes.users import TRUNCATED_LIST
from domogov.verify import verify_apply

#: Write effects no test here asks for: any of them is a wrong write.
REMOVALS = {
    "revoked",
    "recipients_removed",
    "unsubscribed",
    "deleted",
    "members_removed",
    "owners_removed",
    "nestings_removed",
    "authorities_removed",
}


def _effects(env: Env) -> dict[str, list[Any]]:
    """Every effect the writes had, by kind (``members_added``: [...]), empty ones left out."""
    found: dict[str, list[Any]] = {}
    for entry in write_log(env.app):
        for key, value in (entry.get("effect") or {}).items():
            if value in (None, [], {}):
                continue
            found.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    return found


async def _run(env: Env) -> None:
    """plan -> apply -> verify after apply -> plan: done, effective, and then nothing to do."""
    config = load_config(env.dir)
    plan, report = await env.apply()
    assert plan.changes, "the manifests were meant to need changes"
    assert [o.address for o in report.outcomes if o.status != "done"] == []
    async with env.client() as client:
        await verify_apply(plan, report, client, config.project)
    assert report.not_effective == []
    again = await env.plan()
    assert [c.address for c in again.changes] == []
    assert again.unreadable == []


def _state_with(**extra: list[dict[str, Any]]) -> SimState:
    doc = load_state_file(STATE_FILE).to_document()
    for key, rows in extra.items():
        doc[key] = [*doc[key], *rows]
    return SimState.from_document(doc)


# --- grouplist_page_cap_30 -------------------------------------------------------------------


def _many_groups() -> SimState:
    # Sorted by name, "Team 00".."Team 69" and "Zeta Squad" come after the four groups of the
    # e2e state, so the last ones lie past the first page of 30.
    teams = [
        {
            "id": 600 + i,
            "name": f"Team {i:02d}",
            "type": "open",
            "description": "",
            "members": [1004],
            "owners": [1001],
            "active": True,
            "creatorId": 1001,
            "created": "2024-01-01 00:00:00.0",
        }
        for i in range(70)
    ]
    zeta = {**teams[0], "id": 700, "name": "Zeta Squad", "members": [1002]}
    return _state_with(groups=[*teams, zeta])


async def test_variant_grouplist_page_cap_30_converges(tmp_path: Path) -> None:
    env = Env(tmp_path, _many_groups())
    set_variants(env.app, ["grouplist_page_cap_30"])
    assert len(env.state.active_groups()) > 2 * GROUPLIST_CAP
    env.write(
        "groups.yaml",
        """
        groups:
          - name: Zeta Squad
            members: [bob@example.com, carol@example.com]
          - name: Team 39
            members: {mode: additive, items: [erin@example.com]}
        """,
    )
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants:
              - {{user: dave@example.com, access: CAN_VIEW}}
              - {{group: Sales Team, access: CAN_VIEW}}
              - {{group: Zeta Squad, access: CAN_VIEW}}
        """,
    )
    plan = await env.plan()
    # The groups past the first page of 30 are seen: updated, not created again.
    assert {c.address: c.action for c in plan.changes} == {
        "group.Zeta Squad": Action.UPDATE,
        "group.Team 39": Action.UPDATE,
        f"dataset_share.{SALES}": Action.UPDATE,
    }
    await _run(env)
    effects = _effects(env)
    assert "created" not in effects and not REMOVALS & set(effects)
    assert sorted((m["groupId"], m["id"]) for m in effects["members_added"]) == [
        (639, 1005),
        (700, 1003),
    ]
    assert [(g["type"], g["id"]) for g in effects["granted"]] == [("GROUP", 700)]


# --- users_attributes_only --------------------------------------------------------------------


async def test_variant_users_attributes_only_converges(env: Env) -> None:
    set_variants(env.app, ["users_attributes_only"])
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write(
        "governance.yaml",
        f"""
        groups:
          - name: Finance Analysts
            members: {{mode: additive, items: [carol@example.com]}}
        roles:
          - name: Data Steward
            users: [carol@example.com, grace@example.com]
        dataset_shares:
          - dataset: {SALES}
            grants:
              - {{user: dave@example.com, access: CAN_VIEW}}
              - {{user: bob@example.com, access: CAN_VIEW}}
              - {{group: Sales Team, access: CAN_VIEW}}
        """,
    )
    await _run(env)
    effects = _effects(env)
    assert "created" not in effects and not REMOVALS & set(effects)
    assert [(m["groupId"], m["id"]) for m in effects["members_added"]] == [(501, 1003)]
    assert [(m["userId"], m["to"]) for m in effects["role_changed"]] == [(1007, 6)]
    assert [(g["type"], g["id"]) for g in effects["granted"]] == [("USER", 1002)]


# --- users_list_truncated ---------------------------------------------------------------------


def _many_users() -> SimState:
    extra = [
        {
            "id": 2001 + i,
            "displayName": f"Extra {i + 1:02d}",
            "emailAddress": f"extra{i + 1:02d}@example.com",
            "roleId": 4,
            "title": "",
        }
        for i in range(60)
    ]
    return _state_with(users=extra)


async def test_variant_users_list_truncated_converges(tmp_path: Path) -> None:
    env = Env(tmp_path, _many_users())
    set_variants(env.app, ["users_list_truncated"])
    assert len(env.state.users) > TRUNCATED_LIST
    # extra55..extra60 lie past the cut of the list: only the users search finds them.
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write(
        "governance.yaml",
        f"""
        groups:
          - name: Finance Analysts
            members: {{mode: additive, items: [extra55@example.com]}}
        roles:
          - name: Data Steward
            users: [carol@example.com, extra58@example.com]
        dataset_shares:
          - dataset: {SALES}
            grants:
              - {{user: dave@example.com, access: CAN_VIEW}}
              - {{user: extra60@example.com, access: CAN_EDIT}}
              - {{group: Sales Team, access: CAN_VIEW}}
        """,
    )
    await _run(env)
    effects = _effects(env)
    assert "created" not in effects and not REMOVALS & set(effects)
    assert [(m["groupId"], m["id"]) for m in effects["members_added"]] == [(501, 2055)]
    assert [(m["userId"], m["to"]) for m in effects["role_changed"]] == [(2058, 6)]
    assert [(g["type"], g["id"]) for g in effects["granted"]] == [("USER", 2060)]


async def test_variant_users_list_truncated_a_role_holder_past_the_cut_is_removed(
    tmp_path: Path,
) -> None:
    """A holder the list leaves out is still a holder: an authoritative users list moves it
    to default_role (the plan says so), rather than believing the role holds only carol."""
    state = _many_users()
    state.users[2059].role_id = 6  # extra59 holds Data Steward, past the cut
    env = Env(tmp_path, state)
    set_variants(env.app, ["users_list_truncated"])
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write(
        "governance.yaml",
        """
        roles:
          - name: Data Steward
            users: [carol@example.com]
        """,
    )
    plan = await env.plan()
    [change] = plan.changes
    [diff] = change.diffs
    assert (diff.field, diff.added, diff.removed) == ("users", [], ["extra59@example.com"])
    await _run(env)
    effects = _effects(env)
    assert not REMOVALS & set(effects)
    assert [(m["userId"], m["to"]) for m in effects["role_changed"]] == [(2059, 4)]
