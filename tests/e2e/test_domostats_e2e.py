"""DomoStats jobs end to end: update one field at a time (read-modify-write), create, refusals,
export, and each DomoStats variant (create answers, jobs read without triggers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2ekit import STATE_FILE, Env

from domogov.config import load_config
from domogov.errors import PlanError
from domogov.reconcile import PlanOptions, make_plan
from domogov.sim import SimState, set_variants, write_log
from domogov.sim.state import parse_state_text
from domogov.verify import verify_apply

pytestmark = pytest.mark.asyncio

APP = "50e7230f-d2f2-42e2-a208-d94c8ae9f64c"
OTHER_APP = "6a1c2f0e-1111-4222-8333-944455556666"
JOB = "526906bb-e7e0-4f70-9ca0-3bb4fdf99c82"
TOKENS = "85f65936-e0c3-4e74-8398-13096df9bdb3"
SAML = "081d8320-c6df-4d0b-8802-97875989236d"
OIDC = "d26a1d1e-a6c0-4367-b929-70a6e01e5b46"
METRICS = "2644b5d0-344b-4bc0-b379-d3854923a29c"
EXECUTOR = {
    "executor": [
        {
            "id": APP,
            "name": "Remote DomoStats",
            "jobs": [
                {
                    "jobId": JOB,
                    "jobName": "subsidiary.domo.com",
                    "executionTimeout": 720,
                    "executionPayload": {
                        "remoteInstance": "subsidiary.domo.com",
                        "subscriberJobId": "b8ff1dc6-4426-4256-8176-1cb9482e79c0",
                        "policies": {"AccessTokens": TOKENS, "SAML": SAML},
                        "metricsDatasetId": METRICS,
                    },
                    "executionResponse": {},
                    "accounts": [479],
                    "resources": {"requests": {"memory": "256M"}, "limits": {"memory": "256M"}},
                    "triggers": [
                        {"type": "SCHEDULE", "frequency": "DAILY", "days": [], "hour": 2,
                         "minute": 0, "timezone": "UTC"}
                    ],
                }
            ],
        },
        {"id": OTHER_APP, "name": "Nightly cleanup", "executionClass": "com.example.Cleanup"},
    ]
}  # fmt: skip

UPDATE = f"""
domostats_jobs:
  - application: {APP}
    remote_instance: subsidiary.domo.com
    reports: {{ AccessTokens: {TOKENS}, SAML: {SAML}, OIDC: {OIDC} }}
    metrics_dataset: {METRICS}
    account: 479
    timeout_minutes: 720
    schedule: {{ frequency: DAILY, at: "02:00", timezone: UTC }}
"""
CREATE = f"""
  - application: {APP}
    remote_instance: emea.domo.com
    reports: {{ AccessTokens: {TOKENS} }}
    metrics_dataset: {METRICS}
    account: 480
    schedule: {{ frequency: WEEKLY, days: [MON], at: "03:30", timezone: Europe/Paris }}
"""


def _state() -> SimState:
    doc = parse_state_text(STATE_FILE.read_text(encoding="utf-8"), json_format=False)
    doc.update(EXECUTOR)
    return SimState.from_document(doc)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path, _state())


def _jobs(env: Env) -> dict[str, dict[str, Any]]:
    app = next(a for a in env.doc()["executor"] if a["id"] == APP)
    return {j["executionPayload"]["remoteInstance"]: j for j in app["jobs"]}


def _writes(env: Env) -> list[tuple[str, str]]:
    return [(w["method"], w["route"]) for w in write_log(env.app)]


async def _apply_verified(env: Env) -> None:
    config = load_config(env.dir)
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e"))
        from domogov.reconcile import apply_plan

        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
    assert [o.status for o in report.outcomes] == ["done"] * len(plan.changes)
    assert all(o.status == "done" for o in report.outcomes), report.outcomes


async def test_report_added_keeps_the_rest_of_the_job(env: Env) -> None:
    env.write("domostats.yaml", UPDATE)
    plan, _ = await env.converge()
    (change,) = plan.changes
    (call,) = change.calls
    assert (call.method, call.path) == ("PUT", f"/api/executor/v1/applications/{APP}/jobs/{JOB}")
    assert [d.field for d in change.diffs] == ["reports.OIDC"]
    assert change.destructive == 0
    job = _jobs(env)["subsidiary.domo.com"]
    # read-modify-write: the fields domogov does not manage are sent back as they were
    assert job["executionPayload"]["subscriberJobId"] == "b8ff1dc6-4426-4256-8176-1cb9482e79c0"
    assert job["resources"] == {"requests": {"memory": "256M"}, "limits": {"memory": "256M"}}
    assert job["executionPayload"]["policies"] == {
        "AccessTokens": TOKENS,
        "SAML": SAML,
        "OIDC": OIDC,
    }
    assert job["triggers"][0]["hour"] == 2


async def test_report_removed_is_destructive_and_schedule_changes(env: Env) -> None:
    env.write(
        "domostats.yaml",
        UPDATE.replace(f", SAML: {SAML}, OIDC: {OIDC}", "").replace('"02:00"', '"04:15"'),
    )
    plan, _ = await env.converge()
    (change,) = plan.changes
    assert change.destructive == 1
    assert "SAML" in change.notes[0]
    job = _jobs(env)["subsidiary.domo.com"]
    assert job["executionPayload"]["policies"] == {"AccessTokens": TOKENS}
    assert (job["triggers"][0]["hour"], job["triggers"][0]["minute"]) == (4, 15)


@pytest.mark.parametrize("variant", [None, "domostats_create_id_only", "domostats_create_empty"])
async def test_create_under_each_answer_shape(env: Env, variant: str | None) -> None:
    if variant:
        set_variants(env.app, [variant])
    env.write("domostats.yaml", UPDATE + CREATE)
    await _apply_verified(env)
    again = await env.plan()
    assert again.changes == []
    job = _jobs(env)["emea.domo.com"]
    assert job["accounts"] == [480]
    assert job["executionTimeout"] == 720
    assert job["triggers"] == [
        {"type": "SCHEDULE", "frequency": "WEEKLY", "days": ["MON"], "hour": 3, "minute": 30,
         "timezone": "Europe/Paris"}
    ]  # fmt: skip
    assert ("POST", "/api/executor/v1/applications/{app}/jobs") in _writes(env)


async def test_absent_is_refused_and_unknown_application(env: Env) -> None:
    env.write(
        "domostats.yaml",
        UPDATE
        + "    ensure: absent\n"
        + CREATE.replace(APP, "11111111-2222-4333-8444-555555555555"),
    )
    with pytest.raises(PlanError) as failed:
        await env.plan()
    text = str(failed.value)
    assert "no delete" in text
    assert "unknown executor application 11111111-2222-4333-8444-555555555555" in text
    assert _writes(env) == []


async def test_new_job_needs_its_fields(env: Env) -> None:
    env.write(
        "domostats.yaml",
        f"domostats_jobs:\n  - application: {APP}\n    remote_instance: new.domo.com\n",
    )
    with pytest.raises(PlanError, match="needs reports, metrics_dataset, account"):
        await env.plan()


async def test_no_triggers_read_refuses_any_update(env: Env) -> None:
    set_variants(env.app, ["domostats_job_no_triggers"])
    env.write("domostats.yaml", UPDATE.replace("    schedule:", "    # schedule:"))
    with pytest.raises(PlanError) as failed:
        await env.plan()
    assert "has no triggers" in str(failed.value)
    assert "whole-job PUT" in str(failed.value)
    env.write("domostats.yaml", UPDATE)  # managing the schedule: refused as unreadable
    with pytest.raises(PlanError, match="schedule"):
        await env.plan()
    # nothing to change: nothing refused, nothing written
    env.write(
        "domostats.yaml",
        UPDATE.replace(f", OIDC: {OIDC}", "").replace("    schedule:", "    # schedule:"),
    )
    plan = await env.plan()
    assert plan.changes == []
    assert _writes(env) == []
    assert _jobs(env)["subsidiary.domo.com"]["triggers"][0]["hour"] == 2  # never overwritten


async def test_unknown_trigger_form_is_unreadable(env: Env) -> None:
    env.state.executor[APP].jobs[JOB]["triggers"] = [{"type": "CRON", "expression": "0 2 * * *"}]
    env.write("domostats.yaml", UPDATE.replace(f", OIDC: {OIDC}", ""))
    with pytest.raises(PlanError, match="trigger domogov cannot read"):
        await env.plan()
    assert _writes(env) == []
