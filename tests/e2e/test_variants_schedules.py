"""Report schedules under the simulator's variants: plan -> apply -> plan, and no wrong write.

Each test reads as a row of the matrix: ``test_variant_<variant>_<outcome>``. The outcome is
either convergence (the second plan is empty) or a refusal naming the object; in both, the
simulator's write log shows no write the manifests did not ask for (no recipient removed, no
schedule deleted or created twice).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from e2ekit import Env

from domogov.core.changes import Action
from domogov.errors import PlanError
from domogov.sim import set_variants, write_log

SCHEDULES = "/api/content/v1/reportschedules"

WEEKLY_UNCHANGED = """
  - title: Weekly Performance Report
    page: 345678
    view: 789012
    schedule: {frequency: WEEKLY, days: [MON], at: "08:00", timezone: America/New_York}
"""
DAILY_OPS = """
  - title: Daily Ops
    page: 345679
    schedule: {frequency: DAILY, at: "06:00", timezone: UTC}
"""


def schedules(env: Env, entries: str, *, prune: bool = False) -> None:
    if prune:
        env.write("domogov.yaml", "prune:\n  report_schedules: {}\n")
    env.write("reports.yaml", "report_schedules:" + entries)


def writes(env: Env) -> list[dict[str, Any]]:
    return [w for w in write_log(env.app) if w["path"].startswith(SCHEDULES)]


def assert_no_wrong_write(env: Env, *, deleted: frozenset[int] = frozenset()) -> None:
    """No recipient removed, nothing deleted but ``deleted``, no title created twice."""
    log = writes(env)
    assert not [w for w in log if w["effect"].get("recipients_removed")], log
    gone = {i for w in log for i in w["effect"].get("deleted", [])}
    assert gone == set(deleted), log
    titles = Counter(s["title"] for s in env.doc().get("report_schedules", []))
    assert [t for t, n in titles.items() if n > 1] == [], titles


def issues(caught: pytest.ExceptionInfo[PlanError]) -> str:
    return "\n".join(str(i) for i in caught.value.issues)


# --- schedule_detail_minimal: GET /reportschedules/{id} without recipients or attachment ------


async def test_variant_schedule_detail_minimal_refuses_managed_recipients(env: Env) -> None:
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_UNCHANGED + "    recipients: [{user: dave@example.com}]\n")
    with pytest.raises(PlanError) as caught:
        await env.apply()
    text = issues(caught)
    assert "report_schedule.Weekly Performance Report" in text
    assert f"GET {SCHEDULES}/123456 has no additionalRecipients" in text
    assert writes(env) == []


async def test_variant_schedule_detail_minimal_refuses_an_update_that_would_drop_recipients(
    env: Env,
) -> None:
    # Recipients unmanaged, the time changed: the whole-schedule PUT would go without them.
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_UNCHANGED.replace('"08:00"', '"09:00"'))
    with pytest.raises(PlanError) as caught:
        await env.apply()
    text = issues(caught)
    assert "report_schedule.Weekly Performance Report" in text
    assert "replaces the whole schedule" in text
    assert writes(env) == []
    weekly = env.state.report_schedules[123456]
    assert len(weekly.schedule.recipients) == 3 and weekly.attachment_include is True


async def test_variant_schedule_detail_minimal_converges_on_creates_and_deletes(env: Env) -> None:
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(
        env,
        WEEKLY_UNCHANGED
        + DAILY_OPS
        + """
  - title: Monthly Finance Pack
    ensure: absent
""",
    )
    plan, report = await env.converge()
    assert {c.address: c.action for c in plan.changes} == {
        "report_schedule.Daily Ops": Action.CREATE,
        "report_schedule.Monthly Finance Pack": Action.DELETE,
    }
    assert report.not_effective == []
    assert [w["method"] for w in writes(env)] == ["POST", "DELETE"]
    assert_no_wrong_write(env, deleted=frozenset({123457}))
    weekly = env.state.report_schedules[123456]
    assert len(weekly.schedule.recipients) == 3 and weekly.attachment_include is True


async def test_variant_schedule_detail_minimal_creates_once_then_refuses_unknown_recipients(
    env: Env,
) -> None:
    # The create sends the manifest's recipients; the next plan cannot read them back, so it
    # refuses to manage them, and plans no second create.
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, DAILY_OPS + "    recipients: [{group: Finance Analysts}]\n")
    plan, report = await env.apply()
    assert [(c.address, c.action) for c in plan.changes] == [
        ("report_schedule.Daily Ops", Action.CREATE)
    ]
    assert [o.status for o in report.outcomes] == ["done"]
    with pytest.raises(PlanError) as caught:
        await env.plan()
    assert "report_schedule.Daily Ops" in issues(caught)
    assert "no additionalRecipients" in issues(caught)
    assert [w["method"] for w in writes(env)] == ["POST"]
    assert_no_wrong_write(env)


# --- schedule_list_user_filter: the list shows the token user's own schedules by default -----


async def test_variant_schedule_list_user_filter_converges_on_every_owners_schedules(
    env: Env,
) -> None:
    # Monthly Finance Pack belongs to user 1006, not the token's user: it must be updated in
    # place, not created again, and pruning must not mistake anything for undeclared.
    set_variants(env.app, ["schedule_list_user_filter"])
    schedules(
        env,
        WEEKLY_UNCHANGED.replace('"08:00"', '"09:00"')
        + "    attachment: true\n"
        + """
  - title: Monthly Finance Pack
    page: 345679
    view: 789013
    schedule: {frequency: MONTHLY, days: [1, 15], at: "09:00", timezone: America/New_York}
"""
        + DAILY_OPS,
        prune=True,
    )
    plan, report = await env.converge()
    assert {c.address: c.action for c in plan.changes} == {
        "report_schedule.Weekly Performance Report": Action.UPDATE,
        "report_schedule.Monthly Finance Pack": Action.UPDATE,
        "report_schedule.Daily Ops": Action.CREATE,
    }
    assert report.not_effective == []
    assert sorted(w["method"] for w in writes(env)) == ["POST", "PUT", "PUT"]
    assert_no_wrong_write(env)
    monthly = env.state.report_schedules[123457]
    assert (monthly.owner_id, monthly.schedule.days_to_run) == (1006, "1,15")
    assert [r.to_doc() for r in monthly.schedule.recipients] == [{"type": "GROUP", "value": "501"}]


async def test_variant_schedule_list_user_filter_with_detail_minimal_converges_without_writes(
    env: Env,
) -> None:
    set_variants(env.app, ["schedule_detail_minimal", "schedule_list_user_filter"])
    schedules(
        env,
        WEEKLY_UNCHANGED
        + """
  - title: Monthly Finance Pack
    page: 345679
    view: 789013
    schedule: {frequency: MONTHLY, days: [1], at: "09:00", timezone: America/New_York}
""",
        prune=True,
    )
    plan, _ = await env.converge()
    assert plan.changes == []
    assert writes(env) == []
