"""Export then plan is empty, for every kind, against the e2e simulator state."""

from __future__ import annotations

from pathlib import Path

from exportkit import ALL_DATASETS, LEDGER, SALES, TRAFFIC, Env, export, files, plan, state_with
from ruamel.yaml import YAML

from domogov.fmt import format_dir
from domogov.resources.export_api import unique_names


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


async def _certify_card(env: Env, card: int) -> None:
    async with env.client() as client:
        await client.put(f"/api/tags/v3/CARD/{card}/system/CERTIFIED/state/ACTIVE")


async def test_every_kind_round_trips(env: Env) -> None:
    await _certify_card(env, 1234568)  # found by the search API (entity card)
    result = await export(env, datasets=ALL_DATASETS)
    out = env.dir.parent / "out"
    assert [rel for rel, _, _ in result.files] == [  # the registry's (plan) order
        "users.yaml",
        "groups.yaml",
        "roles.yaml",
        "dataset_shares/part-001.yaml",
        "page_shares/part-001.yaml",
        "file_permissions.yaml",
        "pdp_policies.yaml",
        "workflow_permissions.yaml",
        "certifications.yaml",
        "alerts.yaml",
        "report_schedules.yaml",
        "domostats_jobs.yaml",
    ]
    assert result.warnings == []
    again = await plan(env, out)
    assert again.changes == [], [c.address for c in again.changes]
    assert again.warnings == []
    shares = _load(out / "dataset_shares" / "part-001.yaml")["dataset_shares"]
    assert [s["dataset"] for s in shares] == sorted(ALL_DATASETS)
    ledger = next(s for s in shares if s["dataset"] == LEDGER)
    # The owner (frank) is not a grant; the others are, groups first.
    assert ledger["grants"] == [
        {"group": "Finance Analysts", "access": "CAN_EDIT"},
        {"user": "carol@example.com", "access": "CO_OWNER"},
    ]
    traffic = next(s for s in shares if s["dataset"] == TRAFFIC)
    assert traffic["grants"] == []  # authoritative "none"
    certs = _load(out / "certifications.yaml")["certifications"]
    assert certs == [{"dataset": LEDGER, "certified": True}, {"card": 1234568, "certified": True}]
    alerts = _load(out / "alerts.yaml")["alerts"]
    assert alerts == [
        {"alert": 358, "subscribers": [{"user": "dave@example.com"}]},
        {"alert": 359, "subscribers": [{"group": "Finance Analysts"}]},
    ]
    schedules = _load(out / "report_schedules.yaml")["report_schedules"]
    assert [s["title"] for s in schedules] == ["Monthly Finance Pack", "Weekly Performance Report"]
    assert schedules[1]["recipients"] == [
        {"email": "cfo@example.com"},
        {"group": "Sales Team"},
        {"user": "dave@example.com"},
    ]
    assert schedules[1]["schedule"] == {
        "frequency": "WEEKLY",
        "days": ["MON"],
        "at": "08:00",
        "timezone": "America/New_York",
    }


async def test_comments_name_what_ids_refer_to(env: Env) -> None:
    await _certify_card(env, 1234568)
    await export(env, datasets=ALL_DATASETS)
    out = env.dir.parent / "out"
    shares = (out / "dataset_shares" / "part-001.yaml").read_text()
    assert f"- dataset: {SALES}  # Sales Pipeline\n" in shares
    assert f"- dataset: {LEDGER}  # General Ledger\n" in shares
    certs = (out / "certifications.yaml").read_text()
    assert f"- dataset: {LEDGER}  # General Ledger\n" in certs
    assert "- card: 1234568  # Cash Position\n" in certs
    alerts = (out / "alerts.yaml").read_text()
    assert "- alert: 358  # Any row has changes for column(s): 'amount, stage' (dataset " in alerts
    assert "- alert: 359  # Cash position drops below 1M (card Cash Position)\n" in alerts
    for path in out.rglob("*.yaml"):
        first = path.read_text().splitlines()[0]
        depth = len(path.relative_to(out).parts) - 1
        assert first == f"# yaml-language-server: $schema={'../' * depth}domogov.schema.json"
    assert (out / "domogov.schema.json").read_text().startswith("{")


async def test_builtins_are_skipped_and_protected(env: Env) -> None:
    await export(env)
    out = env.dir.parent / "out"
    groups = [g["name"] for g in _load(out / "groups.yaml")["groups"]]
    assert groups == ["Admins", "Finance Analysts", "Sales Team"]  # not the dynamic group
    roles = [r["name"] for r in _load(out / "roles.yaml")["roles"]]
    assert roles == ["Data Steward"]
    project = _load(out / "domogov.yaml")
    assert project == {
        "protect": {"roles": ["Admin", "Privileged", "Editor", "Participant", "Social"]},
        "default_role": "Participant",
    }
    # No dataset was named: no share files, and a note says how to name them.
    assert not (out / "dataset_shares").exists()


async def test_include_builtin_round_trips(env: Env) -> None:
    result = await export(env, include_builtin=True, datasets=ALL_DATASETS)
    out = env.dir.parent / "out"
    groups = {g["name"]: g for g in _load(out / "groups.yaml")["groups"]}
    # Domo manages a dynamic group's members: exported without them (and without its type).
    assert groups["All Employees"] == {
        "name": "All Employees",
        "description": "Everyone with an active login",
    }
    assert "# dynamic group: Domo manages its members" in (out / "groups.yaml").read_text()
    roles = [r["name"] for r in _load(out / "roles.yaml")["roles"]]
    assert roles == ["Admin", "Data Steward", "Editor", "Participant", "Privileged", "Social"]
    assert result.warnings == []
    again = await plan(env, out)
    assert again.changes == [], [c.address for c in again.changes]


async def test_export_twice_gives_identical_bytes(env: Env) -> None:
    await export(env, datasets=ALL_DATASETS, include_builtin=True)
    out = env.dir.parent / "out"
    first = files(out)
    await export(env, datasets=tuple(reversed(ALL_DATASETS)), include_builtin=True)
    assert files(out) == first


async def test_export_is_canonical_for_fmt(env: Env) -> None:
    await export(env, datasets=ALL_DATASETS, include_builtin=True)
    result = format_dir(env.dir.parent / "out", check=True)
    assert result.changed == []
    assert result.checked == 13


async def test_round_trip_after_changes_made_by_apply(env: Env) -> None:
    env.write(
        "groups.yaml",
        """\
        groups:
          - name: Web Analysts
            description: "Reads web traffic: sessions, funnels"
            type: open
            members: [erin@example.com, grace@example.com]
            owners: [erin@example.com]
        dataset_shares:
          - dataset: 7d9e0f12-3a4b-4c5d-8e6f-778899aabbcc
            grants:
              - { group: Web Analysts, access: CAN_VIEW }
              - { user: heidi@example.com, access: CAN_SHARE }
        """,
    )
    await env.converge()
    await export(env, datasets=(TRAFFIC,))
    out = env.dir.parent / "out"
    text = (out / "groups.yaml").read_text()
    assert "description: 'Reads web traffic: sessions, funnels'\n" in text  # quoted: has ": "
    assert (await plan(env, out)).changes == []


async def test_unknown_dataset_is_reported_not_exported(env: Env) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = await export(env, datasets=(missing, SALES), sections=("dataset_shares",))
    assert result.warnings == [f"dataset {missing}: not found in Domo; not exported"]
    assert [rel for rel, _, _ in result.files] == ["dataset_shares/part-001.yaml"]


def test_names_equal_but_for_case_keep_the_first() -> None:
    # The simulator refuses such names, as Domo does; a directory that has them anyway must
    # still export manifests the loader accepts (it refuses names equal but for case).
    warnings: list[str] = []
    names = unique_names(["finance", "Sales", "Finance", "sales"], "group", warnings)
    assert names == ["Finance", "Sales"]
    assert warnings == [
        "group 'finance': not exported: its name differs from 'Finance' only in case",
        "group 'sales': not exported: its name differs from 'Sales' only in case",
    ]


async def test_schedules_sharing_a_title_are_skipped(tmp_path: Path) -> None:
    env = Env(tmp_path)
    doc_schedules = env.state.to_document()["report_schedules"]
    twin = {**doc_schedules[0], "id": 123999, "title": "Monthly Finance Pack"}
    env = Env(tmp_path, state_with(add_report_schedules=[twin]))
    result = await export(env, sections=("report_schedules",))
    assert any("2 live schedules share this title" in w for w in result.warnings)
    schedules = _load(tmp_path / "out" / "report_schedules.yaml")["report_schedules"]
    titles = [s["title"] for s in schedules]
    assert titles == ["Weekly Performance Report"]
    assert (await plan(env)).changes == []


async def test_existing_project_file_is_kept(env: Env) -> None:
    out = env.dir.parent / "out"
    out.mkdir()
    (out / "domogov.yaml").write_text("max_destructive: 3\n")
    result = await export(env, sections=("groups",))
    assert result.project_written is False
    assert (out / "domogov.yaml").read_text() == "max_destructive: 3\n"


async def test_kinds_limit_what_is_read_and_written(env: Env) -> None:
    await env.control("POST", "/_sim/stats/reset")
    result = await export(env, sections=("groups",))
    assert [rel for rel, _, _ in result.files] == ["groups.yaml"]
    paths = (await env.stats())["by_endpoint"]
    assert not any("alerts" in p or "reportschedules" in p or "datasources" in p for p in paths)


async def test_project_names_the_instance_and_notes_say_what_is_missing(env: Env) -> None:
    result = await export(env, instance="acme", sections=("certifications",))
    out = env.dir.parent / "out"
    assert _load(out / "domogov.yaml")["instance"] == "acme"
    assert (out / "domogov.yaml").read_text().index("instance:") < (
        out / "domogov.yaml"
    ).read_text().index("protect:")
    assert result.notes == [
        "certifications: no datasets named (pass --datasets ID,... or --all-datasets); "
        "certifications lists cards only"
    ]
