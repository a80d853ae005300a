"""Scheduled Reports contract: list, create, get, replace, enable, delete; validation."""

from __future__ import annotations

from typing import Any

import httpx
from simhelpers import assert_error, call

from domogov.sim import SimState

SCHED = "/api/content/v1/reportschedules"


def info(**schedule: Any) -> dict[str, Any]:
    """The documented create body, with schedule fields overridden."""
    return {
        "title": "Weekly Performance Report 2",
        "pageId": 345678,
        "viewId": 789012,
        "schedule": {
            "frequency": "WEEKLY",
            "daysToRun": "MON",
            "hourOfDay": 8,
            "minOfHour": 0,
            "timezone": "America/New_York",
            "enabled": True,
            "additionalRecipients": [{"type": "EMAIL", "value": "user@example.com"}],
            **schedule,
        },
        "attachmentInclude": True,
    }


async def test_list_rows_count_recipients_without_listing_them(client: httpx.AsyncClient):
    rows = await call(client, "GET", f"{SCHED}?orderBy=title&isAscending=true")
    assert [r["title"] for r in rows] == ["Monthly Finance Pack", "Weekly Performance Report"]
    row = rows[1]
    for key in (
        "id",
        "reportViewId",
        "pageId",
        "viewName",
        "type",
        "ownerId",
        "owner",
        "cardCount",
    ):
        assert key in row
    assert row["recipientCount"] == 3 and row["owner"] is True
    assert "additionalRecipients" not in row["schedule"]
    assert row["schedule"] == {
        "frequency": "WEEKLY",
        "daysToRun": "MON",
        "hourOfDay": 8,
        "minOfHour": 0,
        "timezone": "America/New_York",
        "enabled": True,
    }


async def test_list_pages_with_limit_and_skip_and_filters_by_title(client: httpx.AsyncClient):
    one = await call(client, "GET", f"{SCHED}?limit=1&skip=1&orderBy=title&isAscending=true")
    assert [r["id"] for r in one] == [123456]
    assert len(await call(client, "GET", f"{SCHED}?limit=0")) == 2  # 0 means all
    assert [r["id"] for r in await call(client, "GET", f"{SCHED}?title=finance")] == [123457]
    # Default order: startDate descending.
    assert [r["id"] for r in await call(client, "GET", SCHED)] == [123457, 123456]


async def test_create_answers_the_documented_shape(client: httpx.AsyncClient, clock):
    created = await call(client, "POST", SCHED, info())
    assert created == {
        "id": 123458,
        "reportViewId": 789012,
        "pageId": 345678,
        "title": "Weekly Performance Report 2",
        "schedule": {
            "frequency": "WEEKLY",
            "daysToRun": "MON",
            "hourOfDay": 8,
            "minOfHour": 0,
            "enabled": True,
            # The clock says Tue 2023-11-14 17:13 in New York: next Monday 08:00 EST.
            "nextRunDate": 1700485200000,
        },
    }


async def test_get_shows_recipients_and_attachment(client: httpx.AsyncClient):
    rs = await call(client, "GET", f"{SCHED}/123456")
    assert rs["attachmentInclude"] is True and rs["pageId"] == 345678
    assert rs["schedule"]["additionalRecipients"] == [
        {"type": "USER", "value": "1004"},
        {"type": "GROUP", "value": "502"},
        {"type": "EMAIL", "value": "cfo@example.com"},
    ]
    assert_error(await call(client, "GET", f"{SCHED}/1", status=404), 404)


async def test_put_replaces_the_whole_schedule(client: httpx.AsyncClient, state: SimState):
    body = {
        "title": "Updated Monthly Sales Report",
        "schedule": {
            "frequency": "MONTHLY",
            "daysToRun": "15",
            "hourOfDay": 10,
            "minOfHour": 30,
            "timezone": "America/New_York",
            "enabled": True,
        },
    }
    updated = await call(client, "PUT", f"{SCHED}/123456", body)
    assert updated["id"] == 123456 and updated["title"] == "Updated Monthly Sales Report"
    assert updated["schedule"]["daysToRun"] == "15" and "nextRunDate" in updated["schedule"]
    rs = state.report_schedules[123456]
    assert rs.schedule.recipients == [] and rs.attachment_include is False
    assert rs.page_id == 345678  # unchanged when not given


async def test_enable_and_disable(client: httpx.AsyncClient, state: SimState):
    response = await client.put(f"{SCHED}/123456/enabled", json=False)
    assert response.status_code == 200
    assert state.report_schedules[123456].schedule.enabled is False
    await call(client, "PUT", f"{SCHED}/123456/enabled", "yes", status=400)
    assert state.audit[-1]["actionType"] == "DISABLED"


async def test_delete_by_id_and_by_page(client: httpx.AsyncClient, state: SimState):
    assert (await client.delete(f"{SCHED}/123456")).status_code == 200
    assert (await client.delete(f"{SCHED}?pageId=345679")).status_code == 200
    assert state.report_schedules == {}
    await call(client, "DELETE", f"{SCHED}/123456", status=404)
    await call(client, "DELETE", SCHED, status=400)


async def test_validation_of_timing_and_recipients(client: httpx.AsyncClient):
    bad = [
        (info(frequency="HOURLY"), "frequency"),
        (info(daysToRun="MON,FUNDAY"), "daysToRun"),
        (info(frequency="MONTHLY", daysToRun="32"), "daysToRun"),
        (info(hourOfDay=24), "hourOfDay"),
        (info(timezone="Mars/Olympus"), "timezone"),
        (info(additionalRecipients=[{"type": "EMAIL", "value": "nobody"}]), "e-mail"),
        (info(additionalRecipients=[{"type": "USER", "value": "4444"}]), "4444"),
        (info(additionalRecipients=[{"type": "GROUP", "value": "4545"}]), "4545"),
        ({**info(), "pageId": 1}, "Page 1"),
    ]
    for body, needle in bad:
        assert_error(await call(client, "POST", SCHED, body, status=400), 400, needle)
    ok = info(
        frequency="MONTHLY",
        daysToRun="1,15",
        additionalRecipients=[{"type": "USER", "value": 1002}, {"type": "GROUP", "value": "501"}],
    )
    created = await call(client, "POST", SCHED, ok)
    full = await call(client, "GET", f"{SCHED}/{created['id']}")
    assert full["schedule"]["additionalRecipients"][0] == {"type": "USER", "value": "1002"}
