"""Dataset shares, certifications, alerts and report schedules end to end."""

from __future__ import annotations

import pytest
from e2ekit import LEDGER, SALES, TRAFFIC, Env

from domogov.core.changes import Action
from domogov.errors import PlanError
from domogov.sim import write_log


def grants(env: Env, dataset: str) -> dict[tuple[str, int], str]:
    ds = next(d for d in env.doc()["datasets"] if d["id"] == dataset)
    return {(p["type"], p["id"]): p["accessLevel"] for p in ds["permissions"]}


async def test_grants_are_one_share_call_and_one_bulk_revoke(env: Env) -> None:
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            name: Sales Pipeline
            grants:
              - {{group: Finance Analysts, access: CAN_VIEW}}
              - {{user: bob@example.com, access: CAN_EDIT}}
              - {{user: dave@example.com, access: CAN_SHARE}}
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert [(c.method, c.path.rsplit("/", 1)[1]) for c in change.calls] == [
        ("POST", "share"),
        ("DELETE", "users"),
    ]
    assert change.destructive == 1  # Sales Team revoked; dave's level change is not a revoke
    assert grants(env, SALES) == {
        ("GROUP", 501): "CAN_VIEW",
        ("USER", 1002): "CAN_EDIT",
        ("USER", 1004): "CAN_SHARE",
    }


async def test_owner_is_never_revoked_and_empty_grants_revoke_the_rest(env: Env) -> None:
    env.write("shares.yaml", f"dataset_shares:\n  - dataset: {LEDGER}\n    grants: []\n")
    await env.converge()
    ds = next(d for d in env.doc()["datasets"] if d["id"] == LEDGER)
    assert ds["owner"] == 1006 and ds["permissions"] == []


async def test_ensure_absent_revokes_only_the_listed_grants(env: Env) -> None:
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {LEDGER}
            ensure: absent
            grants: [{{group: Finance Analysts, access: CAN_EDIT}}]
        """,
    )
    plan, _ = await env.converge()
    assert plan.changes[0].action == Action.DELETE
    assert grants(env, LEDGER) == {("USER", 1003): "CO_OWNER"}


async def test_share_to_a_group_created_in_the_same_plan(env: Env) -> None:
    env.write(
        "all.yaml",
        f"""
        groups:
          - name: Web Analysts
            members: [erin@example.com]
        dataset_shares:
          - dataset: {TRAFFIC}
            grants: [{{group: Web Analysts, access: CAN_VIEW}}]
        """,
    )
    plan = await env.plan()
    share = plan.changes[1]
    assert share.depends_on == ["group.Web Analysts"]
    assert share.calls[0].body["permissions"][0]["id"] == "${group.Web Analysts.id}"
    await env.converge()
    gid = env.group("Web Analysts")["id"]
    assert grants(env, TRAFFIC) == {("GROUP", gid): "CAN_VIEW"}


async def test_unknown_references_are_all_reported_with_locations(env: Env) -> None:
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants:
              - {{group: No Such Group, access: CAN_VIEW}}
              - {{user: nobody@example.com, access: CAN_VIEW}}
          - dataset: 00000000-0000-4000-8000-000000000000
            grants: []
        """,
    )
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = str(caught.value)
    assert "shares.yaml:5:" in text and "unknown group 'No Such Group'" in text
    assert "shares.yaml:6:" in text and "unknown user 'nobody@example.com'" in text
    assert "unknown dataset '00000000-0000-4000-8000-000000000000'" in text
    # Nothing was written: the one POST is the users search looking the unknown email up
    # before calling it unknown (a read).
    writes = write_log(env.app)
    assert all(w["route"] == "/api/identity/v1/users/search" for w in writes), writes
    assert all(not w["effect"] for w in writes), writes


async def test_live_name_mismatch_is_a_warning(env: Env) -> None:
    env.write("shares.yaml", f"dataset_shares:\n  - dataset: {SALES}\n    name: Pipeline\n")
    plan = await env.plan()
    assert plan.changes == []
    assert any("Domo calls it 'Sales Pipeline'" in w for w in plan.warnings)


async def test_certification_on_and_off(env: Env) -> None:
    env.write(
        "certs.yaml",
        f"""
        certifications:
          - {{dataset: {SALES}, certified: true}}
          - {{dataset: {LEDGER}, certified: false}}
          - {{card: 1234567, certified: true}}
        """,
    )
    plan, _ = await env.converge()
    assert sorted(c.address for c in plan.changes) == [
        "certification.card.1234567",
        f"certification.dataset.{LEDGER}",
        f"certification.dataset.{SALES}",
    ]
    certified = {str(c["entityId"]) for c in env.doc()["certifications"] if c["state"] == "ACTIVE"}
    assert certified == {SALES, "1234567"}


async def test_alert_subscribers_and_delete(env: Env) -> None:
    env.write(
        "alerts.yaml",
        """
        alerts:
          - alert: 358
            subscribers: [{user: bob@example.com}, {group: Sales Team}]
          - alert: 359
            ensure: absent
        """,
    )
    plan, _ = await env.converge()
    update = next(c for c in plan.changes if c.address == "alert.358")
    assert [c.method for c in update.calls] == ["POST", "DELETE"]  # one share, one unsubscribe
    alerts = {a["id"]: a for a in env.doc()["alerts"]}
    assert 359 not in alerts
    subs = {(s["type"], s["subscriberId"]) for s in alerts[358]["subscriptions"]}
    assert subs == {("USER", 1002), ("GROUP", 502)}


async def test_report_schedule_create_update_and_prune(env: Env) -> None:
    env.write("domogov.yaml", "prune:\n  report_schedules: {}\n")
    env.write(
        "reports.yaml",
        """
        report_schedules:
          - title: Weekly Performance Report
            page: 345678
            view: 789012
            schedule: {frequency: WEEKLY, days: [MON, THU], at: "08:30", timezone: America/New_York}
            attachment: true
            recipients: [{user: dave@example.com}, {email: cfo@example.com}]
          - title: Daily Ops
            page: 345679
            schedule: {frequency: DAILY, at: "06:00", timezone: UTC}
            recipients: [{group: Finance Analysts}]
        """,
    )
    plan, _ = await env.converge()
    actions = {c.address: c.action for c in plan.changes}
    assert actions == {
        "report_schedule.Weekly Performance Report": Action.UPDATE,
        "report_schedule.Daily Ops": Action.CREATE,
        "report_schedule.Monthly Finance Pack": Action.DELETE,
    }
    titles = {s["title"]: s for s in env.doc()["report_schedules"]}
    assert set(titles) == {"Weekly Performance Report", "Daily Ops"}
    weekly = titles["Weekly Performance Report"]["schedule"]
    assert (weekly["daysToRun"], weekly["hourOfDay"], weekly["minOfHour"]) == ("MON,THU", 8, 30)


async def test_grant_to_a_group_renamed_in_the_same_plan_is_kept(env: Env) -> None:
    # Finance Analysts (501) holds CAN_EDIT on the ledger; the manifests rename it through its
    # pinned id and grant by the new name. The plan must not revoke what it grants.
    env.write(
        "all.yaml",
        f"""
        groups:
          - {{name: Finance Team, id: 501}}
        dataset_shares:
          - dataset: {LEDGER}
            grants:
              - {{group: Finance Team, access: CAN_EDIT}}
              - {{user: carol@example.com, access: CO_OWNER}}
        """,
    )
    plan = await env.plan()
    assert [c.address for c in plan.changes] == ["group.Finance Team"]
    await env.converge()
    assert grants(env, LEDGER)[("GROUP", 501)] == "CAN_EDIT"


async def test_live_days_out_of_order_are_not_a_change(env: Env) -> None:
    env.state.report_schedules[123457].schedule.days_to_run = "15,1"  # as Domo may store it
    env.write(
        "reports.yaml",
        """
        report_schedules:
          - title: Monthly Finance Pack
            page: 345679
            view: 789013
            schedule: {frequency: MONTHLY, days: [1, 15], at: "09:00", timezone: America/New_York}
            attachment: false
            recipients: [{group: Finance Analysts}]
        """,
    )
    assert (await env.plan()).changes == []


async def test_each_unknown_reference_is_reported_once_with_its_location(env: Env) -> None:
    env.write(
        "shares.yaml",
        f"""
        dataset_shares:
          - dataset: {SALES}
            grants: [{{group: No Such Group, access: CAN_VIEW}}]
        alerts:
          - alert: 358
            subscribers: [{{group: No Such Group}}]
        """,
    )
    with pytest.raises(PlanError) as caught:
        await env.plan()
    issues = caught.value.issues
    assert len(issues) == 2  # one per place it is written, each located
    assert all(i.location is not None and i.location.line > 0 for i in issues)
