"""file_permissions and workflow_permissions end to end on the simulator's demo instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2ekit import Env

from domogov.errors import PlanError
from domogov.sim import write_log
from domogov.sim.state import demo_state

FLOW = "7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path, demo_state())


def file_doc(env: Env) -> dict[str, object]:
    return next(f for f in env.doc()["files"] if f["id"] == 4711)


def flow_doc(env: Env) -> dict[str, object]:
    return next(w for w in env.doc()["workflows"] if w["id"] == FLOW)


async def test_file_grants_authoritative_replace_then_converge(env: Env) -> None:
    env.write(
        "files.yaml",
        """
        file_permissions:
          - file: 4711
            public: false
            grants:
              - {user: ada@example.com, access: READ_WRITE_DELETE_SHARE_ADMIN}
              - {user: dave@example.com, access: READ}
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.destructive == 1
    [(method, route, body)] = [(w["method"], w["route"], w["body"]) for w in write_log(env.app)]
    assert (method, route) == ("PUT", "/api/data/v1/data-files/{id}/permissions")
    assert body["publicAccess"] is False
    entries = {(e["entityType"], e["entityId"], e["grant"]) for e in body["entries"]}
    assert entries == {
        ("USER", "1001", "READ_WRITE_DELETE_SHARE_ADMIN"),
        ("USER", "1004", "READ"),
    }


async def test_file_additive_keeps_unmanaged_entries_and_sets_public(env: Env) -> None:
    env.write(
        "files.yaml",
        """
        file_permissions:
          - file: 4711
            public: true
            grants: {mode: additive, items: [{user: erin@example.com, access: READ_WRITE}]}
        """,
    )
    await env.converge()
    doc = file_doc(env)
    assert doc["public"] is True
    held = {(e["entityType"], e["entityId"], e["grant"]) for e in doc["entries"]}  # type: ignore[attr-defined]
    assert held == {
        ("USER", 1001, "READ_WRITE_DELETE_SHARE_ADMIN"),
        ("GROUP", 501, "READ"),
        ("USER", 1005, "READ_WRITE"),
    }


async def test_an_unknown_file_grant_makes_the_file_unreadable_and_refused(env: Env) -> None:
    env.state.files[4711].entries[1].grant = "READ_WRITE_DELETE"  # known: still readable
    env.write("files.yaml", "file_permissions:\n  - file: 4711\n    public: true\n")
    plan = await env.plan()
    assert [c.address for c in plan.changes] == ["file_permission.4711"]

    from domogov.sim.entities.sharing import FileEntry

    env.state.files[4711].entries.append(FileEntry("USER", 1002, "READ"))
    env.state.files[4711].entries[-1].grant = "SUPER_ADMIN"  # not a grant domogov knows
    with pytest.raises(PlanError, match=r"file_permission\.4711"):
        await env.plan()
    assert write_log(env.app) == []


async def test_workflow_grants_replace_the_whole_list_then_converge(env: Env) -> None:
    env.write(
        "flows.yaml",
        f"""
        workflow_permissions:
          - workflow: {FLOW}
            name: Close Books
            grants:
              - {{user: ada@example.com, permissions: [ADMIN, EXECUTE, READ]}}
              - {{group: Sales Team, permissions: [READ, EXECUTE]}}
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.destructive == 1
    held = {(g["type"], g["id"]) for g in flow_doc(env)["permissions"]}  # type: ignore[attr-defined]
    assert held == {("USER", 1001), ("GROUP", 502)}
    texts = [e["text"] for e in plan.impact]
    assert '+ dave@example.com can open workflow "Close Books" (via group Sales Team)' in texts
    assert (
        '- bob@example.com can no longer open workflow "Close Books" (via group Finance Analysts)'
        in texts
    )


async def test_workflow_permission_change_shows_as_a_change(env: Env) -> None:
    env.write(
        "flows.yaml",
        f"""
        workflow_permissions:
          - workflow: {FLOW}
            grants: {{mode: additive, items: [{{group: Finance Analysts, permissions: [READ]}}]}}
        """,
    )
    plan, _ = await env.converge()
    [diff] = plan.changes[0].diffs
    assert diff.changed == ["group:Finance Analysts EXECUTE,READ -> READ"]
    assert plan.changes[0].destructive == 0
