"""`domogov doctor`: every undocumented assumption read on an instance, under every variant.

The simulator's table of variants (``domogov.sim.variants``) is the list of behaviours Domo may
answer either way; each must be named by doctor's table, found by a probe where a read can
find it, and listed as checked by apply's verify step where only a write could.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from domogov.cli import cli
from domogov.client import DomoClient
from domogov.config import load_config
from domogov.connect import sample_state_path
from domogov.doctor import ALL_ASSUMPTIONS, ASSUMPTIONS, Report, Status, run_doctor
from domogov.doctor.session import Session
from domogov.errors import AuthError
from domogov.resources import ALL_KINDS
from domogov.sim import VARIANTS, SimState, SimTransport, create_app, load_state_file, write_log

ROOT = Path(__file__).parents[2]
KINDS = [k.name for k in ALL_KINDS]
# The variant every assumption answers to (a variant may be named by one assumption only).
BY_VARIANT = {v: a for a in ALL_ASSUMPTIONS for v in a.variants}


# --- the table -------------------------------------------------------------------------


def test_every_simulator_variant_has_one_doctor_assumption() -> None:
    named = [v for a in ALL_ASSUMPTIONS for v in a.variants]
    assert sorted(named) == sorted(VARIANTS), "doctor's table and the simulator's differ"
    assert len(named) == len(set(named)), "a variant is named by two assumptions"


def test_assumptions_name_real_kinds_and_unique_ids() -> None:
    ids = [a.id for a in ALL_ASSUMPTIONS]
    assert len(ids) == len(set(ids))
    for a in ALL_ASSUMPTIONS:
        assert set(a.kinds) <= set(KINDS), a.id
        assert a.kinds or a.affects, f"{a.id}: says neither which kinds nor what it affects"


def test_a_probe_session_refuses_a_write() -> None:
    async def go() -> None:
        # A realistic token: the redaction of every later test would scrub a one-letter one.
        token = "doctor-session-token-0123456789"
        async with DomoClient("http://127.0.0.1", token, transport=SimTransport(_app([]))) as c:
            with pytest.raises(ValueError, match="read-only"):
                await Session(c).call("PUT", "/api/content/v2/groups")

    asyncio.run(go())


# --- an instance with enough objects for every probe -----------------------------------


def _state(*, pending: bool = False) -> SimState:
    """The sandbox sample, grown past the users list's and grouplist's cut-offs (50 users,
    30 groups a page), with one activity-log row."""
    doc = load_state_file(sample_state_path()).to_document()
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
    for i in range(35):
        doc["groups"].append(
            {
                "id": 7000 + i,
                "name": f"Team {i:02}",
                "type": "closed",
                "description": "",
                "members": [3000 + i],
                "owners": [3000 + i],
                "active": True,
                "creatorId": 1001,
                "created": "2023-06-08 20:59:05.0",
            }
        )
    if pending:
        doc["certifications"].append(
            {"entityType": "CARD", "entityId": "1493060", "state": "PENDING", "updated": 1}
        )
    state = SimState.from_document(doc)
    state.record("UPDATED", "GROUP", 501, "Finance Analysts", "renamed a group", "Updated group")
    return state


def _app(variants: list[str], state: SimState | None = None, **options: Any) -> Any:
    return create_app(state or _state(), variants=variants, **options)


class FakeClock:
    """One virtual clock for the client's rate-limit pause and the simulator's minute."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += seconds


def _doctor(app: Any, config: Any = None, **client: Any) -> Report:
    async def go() -> Report:
        token = app.state.sim.token
        async with DomoClient(
            "http://127.0.0.1", token, transport=SimTransport(app), **client
        ) as c:
            return await run_doctor(c, config, "sim")

    return asyncio.run(go())


def _status(report: Report) -> dict[str, Status]:
    return {r.assumption.id: r.finding.status for r in report.results}


def test_doctor_on_a_default_instance_finds_every_assumption_holding() -> None:
    app = _app([])
    report = _doctor(app)
    for a_id, status in _status(report).items():
        expected = Status.VERIFY if a_id in _verify_ids() else Status.HOLDS
        assert status is expected, (a_id, report.result(a_id).finding)
    assert report.manageable == KINDS
    assert report.exit_code == 0
    assert write_log(app) == [], "doctor wrote to the instance"


def _verify_ids() -> set[str]:
    return {a.id for a in ASSUMPTIONS if a.probe is None}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_doctor_names_the_assumption_each_variant_breaks(variant: str) -> None:
    assumption = BY_VARIANT[variant]
    clock = FakeClock()
    if variant == "rate_limit_per_minute":
        app = _app([variant], rate_limit_per_minute=5, rate_clock=clock)
        report = _doctor(app, sleep=clock.sleep, clock=clock)
    else:
        app = _app([variant])
        report = _doctor(app)
    found = report.result(assumption.id)
    others = {
        a_id: s
        for a_id, s in _status(report).items()
        if a_id != assumption.id and s not in (Status.HOLDS, Status.VERIFY)
    }
    assert others == {}, f"{variant} broke more than {assumption.id}"
    assert write_log(app) == [], "doctor wrote to the instance"
    document = report.to_json()
    row = next(a for a in document["assumptions"] if a["id"] == assumption.id)
    assert variant in row["simulator_variants"]
    if assumption.probe is None and assumption.id != "rate_limits":
        # A write behaviour: read-only doctor lists it for apply's verify step.
        assert found.finding.status is Status.VERIFY
        assert "verify" in found.finding.seen
        assert report.exit_code == 0
    elif assumption.id == "rate_limits":
        assert found.finding.status is Status.OBSERVED
        assert report.rate_limiting["rate_limited"] >= 1
        assert "rate-limited answers" in report.latency_line()
        assert report.exit_code == 0, "rate limiting slows domogov; it does not make it unsafe"
    else:
        assert found.finding.status is Status.FAILS, found.finding
        text = "\n".join(line for line, _ in report.lines())
        assert f"--variant {variant}" in text
        if assumption.kinds:
            assert report.exit_code == 1
            assert set(report.not_manageable) == set(assumption.kinds)
            assert f"{assumption.id}: " in text.split("kinds not safely manageable:")[1]
        else:  # activity log: drift attribution degrades, every kind stays manageable
            assert report.exit_code == 0
            assert report.manageable == KINDS


@pytest.mark.parametrize(
    ("variant", "seen"),
    [
        (
            "schedule_detail_minimal",
            "has no schedule.additionalRecipients and no attachmentInclude",
        ),
        ("schedule_list_user_filter", "the schedules of other owners (1008) are left out"),
        ("grouplist_page_cap_30", "pages are capped at 30"),
        ("users_attributes_only", "only inside attributes: emailAddress, roleId"),
        ("users_list_truncated", "the list shows 50 users, the users search finds 72"),
        ("access_levels_read_write", "levels READ, WRITE"),
        ("cert_state_certified", "states CERTIFIED"),
        ("cert_state_expired", "states EXPIRED"),
        ("cert_state_null", "state null on an object with a certification record"),
        ("alerts_no_subscriptions", "alert list rows have no subscriptions"),
        ("activity_rows_minimal", "1 of 1 rows have no objectId or objectName"),
        ("activity_object_type_400", "objectTypes lists only ACCOUNT, DATAFLOW_TYPE, DATA_SOURCE"),
        ("pdp_associations_unless_asked", "1 of 1 policy rows have no userIds or groupIds"),
        ("pdp_open_unflagged", "1 of 1 policy rows have no openPolicy flag"),
        ("pdp_enabled_absent", "has no enabled"),
    ],
)
def test_a_finding_says_what_the_instance_answered(variant: str, seen: str) -> None:
    report = _doctor(_app([variant]))
    assert seen in report.result(BY_VARIANT[variant].id).finding.seen


def test_a_pending_certification_is_named_and_certification_not_manageable() -> None:
    report = _doctor(_app(["cert_state_pending"], _state(pending=True)))
    found = report.result("certification_states").finding
    assert found.status is Status.FAILS
    assert "PENDING" in found.seen
    assert "/CARD/1493060/" in found.endpoint
    assert list(report.not_manageable) == ["certification"]
    assert report.exit_code == 1


def test_an_instance_without_schedules_leaves_them_unknown_not_failing() -> None:
    state = _state()
    state.report_schedules.clear()
    report = _doctor(_app(["schedule_detail_minimal"], state))
    for a_id in ("schedule_list_every_owner", "schedule_detail_fields"):
        assert report.result(a_id).finding.status is Status.UNKNOWN
    assert "report_schedule" in report.not_confirmed
    assert "report_schedule" not in report.manageable
    assert report.exit_code == 0


def test_the_manifests_objects_are_the_ones_read(tmp_path: Path) -> None:
    (tmp_path / "schedules.yaml").write_text(
        "report_schedules:\n"
        "  - title: Weekly Sales Performance\n"
        "    page: 345678\n"
        "    view: 789012\n"
        "    schedule: {frequency: WEEKLY, days: [MON], at: '08:00', timezone: UTC}\n",
        encoding="utf-8",
    )
    report = _doctor(_app(["schedule_detail_minimal"]), load_config(tmp_path))
    # 9001 is the manifests' schedule; without them doctor reads the first listed (9003).
    assert report.result("schedule_detail_fields").finding.endpoint.endswith("/9001")


def test_a_refused_token_fails_the_run_at_once() -> None:
    app = _app([])

    async def go() -> None:
        async with DomoClient("http://127.0.0.1", "wrong", transport=SimTransport(app)) as c:
            await run_doctor(c)

    with pytest.raises(AuthError):
        asyncio.run(go())


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "config", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": ""}, catch_exceptions=False)
    return result.exit_code, result.output


def test_doctor_sandbox_prints_every_read_assumption_as_holding(workdir: Path) -> None:
    code, out = invoke("doctor", "--sandbox")
    assert code == 0, out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[3:] if line.strip()}
    for a in ASSUMPTIONS:
        assert rows[a.id] == ("verify" if a.probe is None else "holds"), a.id
    assert f"kinds fully manageable: {', '.join(KINDS)}" in out
    assert "latency: median " in out and "rate limiting: none seen" in out


def test_doctor_sandbox_after_an_apply_every_assumption_holds_in_json(workdir: Path) -> None:
    code, out = invoke("apply", "config", "--sandbox", "--auto-approve")
    assert code == 0, out
    code, out = invoke("doctor", "config", "--sandbox", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["version"] == 1 and doc["instance"] == "sandbox" and doc["exit_code"] == 0
    statuses = {a["id"]: a["status"] for a in doc["assumptions"]}
    assert {s for s in statuses.values()} == {"holds", "verify"}, statuses
    assert len(statuses) == len(ALL_ASSUMPTIONS)
    assert doc["kinds"] == {"manageable": KINDS, "not_manageable": {}, "not_confirmed": {}}
    assert doc["latency"]["requests"] > 0
    assert doc["rate_limiting"]["rate_limited"] == 0


def test_doctor_is_listed_in_help() -> None:
    code, out = invoke("--help")
    assert code == 0 and "doctor" in out
    code, out = invoke("doctor", "--help")
    assert code == 0 and "--sandbox" in out and "--json" in out and "--base-url" in out
