"""Report schedules on a real instance: unknown is not empty, read-modify-write, every owner's
schedules, paging to the empty page (issue 13, findings 1-4).

End to end: the real client against the in-process simulator (tests/e2e/state.yaml), with the
simulator's variants, or a thin ASGI layer in front of it where a test needs an answer the
simulator does not give (an extra field, a server that caps the page size).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from e2e.e2ekit import Env

from domogov.core.changes import Action
from domogov.errors import PlanError
from domogov.sim import SimTransport, set_variants, write_log

SCHEDULES = "/api/content/v1/reportschedules"
WEEKLY = "report_schedule.Weekly Performance Report"
MONTHLY = "report_schedule.Monthly Finance Pack"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# The live Weekly Performance Report as state.yaml holds it, written as a manifest entry.
WEEKLY_ENTRY = """
  - title: Weekly Performance Report
    page: 345678
    view: 789012
    schedule: {frequency: WEEKLY, days: [MON], at: "08:00", timezone: America/New_York}
"""
# The live Monthly Finance Pack (owned by user 1006, not the token's user 1001).
MONTHLY_ENTRY = """
  - title: Monthly Finance Pack
    page: 345679
    view: 789013
    schedule: {frequency: MONTHLY, days: [1], at: "09:00", timezone: America/New_York}
    recipients: [{group: Finance Analysts}]
"""


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def schedules(env: Env, entries: str) -> None:
    env.write("reports.yaml", "report_schedules:" + entries)


def writes(env: Env) -> list[dict[str, Any]]:
    return [w for w in write_log(env.app) if w["path"].startswith(SCHEDULES)]


def issue_text(caught: pytest.ExceptionInfo[PlanError]) -> str:
    return "\n".join(str(i) for i in caught.value.issues)


class ExtraFields:
    """The simulator, with fields it does not model added to one schedule's detail read:
    what a real schedule may carry beyond what domogov manages."""

    def __init__(self, inner: App, sid: int, extra: dict[str, Any], schedule: dict[str, Any]):
        self.inner, self.path = inner, f"{SCHEDULES}/{sid}"
        self.extra, self.schedule = extra, schedule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("GET", self.path):
            await self.inner(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.inner(scope, receive, capture)
        doc = json.loads(b"".join(chunks))
        doc.update(self.extra)
        doc["schedule"].update(self.schedule)
        body = json.dumps(doc).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class CappedPages:
    """The simulator behind a server that answers at most ``cap`` schedules a page, whatever
    ``limit`` asks: a short page is then not the end of the list."""

    def __init__(self, inner: App, cap: int) -> None:
        self.inner, self.cap = inner, cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == ("GET", SCHEDULES):
            query = dict(parse_qsl(scope["query_string"].decode()))
            if "limit" in query:
                query["limit"] = str(min(int(query["limit"]), self.cap))
            scope = {**scope, "query_string": urlencode(query).encode()}
        await self.inner(scope, receive, send)


class IgnoredFilter:
    """The simulator behind a server that ignores ``filter``: every list read gets the
    documented default, the token user's own schedules (with schedule_list_user_filter)."""

    def __init__(self, inner: App) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == ("GET", SCHEDULES):
            query = [(k, v) for k, v in parse_qsl(scope["query_string"].decode()) if k != "filter"]
            scope = {**scope, "query_string": urlencode(query).encode()}
        await self.inner(scope, receive, send)


# --- finding 1: recipients (and attachment) absent from the detail read are unknown ---------


async def test_managed_recipients_on_a_detail_read_without_them_are_a_plan_error(env: Env) -> None:
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_ENTRY + "    recipients: [{user: dave@example.com}]\n")
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = issue_text(caught)
    assert f"GET {SCHEDULES}/123456 has no additionalRecipients" in text
    assert "recipients" in text and "Weekly Performance Report" in text
    assert writes(env) == []


async def test_managed_attachment_on_a_detail_read_without_it_is_a_plan_error(env: Env) -> None:
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_ENTRY + "    attachment: true\n")
    with pytest.raises(PlanError) as caught:
        await env.plan()
    assert f"GET {SCHEDULES}/123456 has no attachmentInclude" in issue_text(caught)


async def test_any_update_of_a_schedule_with_unreadable_recipients_is_refused_saying_why(
    env: Env,
) -> None:
    # The manifest leaves recipients unmanaged, but the PUT replaces the whole schedule: a body
    # built from a read without them would remove every recipient.
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_ENTRY.replace('"08:00"', '"09:30"'))
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = issue_text(caught)
    assert f"GET {SCHEDULES}/123456 has no" in text and "no additionalRecipients" in text
    assert "replaces the whole schedule" in text
    assert "schedule.at" in text  # what the update would have changed
    assert writes(env) == []


async def test_an_unchanged_schedule_with_unreadable_parts_plans_nothing_and_lists_them(
    env: Env,
) -> None:
    set_variants(env.app, ["schedule_detail_minimal"])
    schedules(env, WEEKLY_ENTRY)
    plan = await env.plan()
    assert plan.changes == []
    parts = {(u.address, u.field): (u.endpoint, u.reason) for u in plan.unreadable}
    endpoint = f"GET {SCHEDULES}/123456"
    assert parts[(WEEKLY, "recipients")] == (endpoint, "has no additionalRecipients")
    assert parts[(WEEKLY, "attachment")] == (endpoint, "has no attachmentInclude")


async def test_recipients_read_as_an_empty_list_are_known_and_managed(env: Env) -> None:
    # The other side of the rule: a present but empty list is a real "no one".
    env.state.report_schedules[123456].schedule.recipients = []
    schedules(
        env, WEEKLY_ENTRY + "    attachment: true\n    recipients: [{user: dave@example.com}]\n"
    )
    plan = await env.plan()
    (change,) = plan.changes
    assert change.action == Action.UPDATE
    assert [(d.field, d.added) for d in change.diffs] == [("recipients", ["user:dave@example.com"])]
    assert plan.unreadable == []


# --- finding 2: the PUT is the live schedule with only the managed fields replaced ----------


async def test_an_update_sends_the_whole_live_schedule_with_only_managed_fields_replaced(
    env: Env,
) -> None:
    extra = {"format": "PDF", "cardIds": [11, 12]}
    inner = {"includeFilters": True}
    env.transport = SimTransport(ExtraFields(env.app, 123456, extra, inner))
    schedules(env, WEEKLY_ENTRY.replace('"08:00"', '"09:30"') + "    attachment: true\n")
    plan = await env.plan()
    (change,) = plan.changes
    (call,) = change.calls
    body = call.body
    assert (call.method, call.path) == ("PUT", f"{SCHEDULES}/123456")
    assert body["format"] == "PDF" and body["cardIds"] == [11, 12]
    assert body["schedule"]["includeFilters"] is True
    assert body["ownerId"] == 1001 and body["reportViewId"] == 789012
    assert (body["schedule"]["hourOfDay"], body["schedule"]["minOfHour"]) == (9, 30)
    # Recipients are not managed here: they go back exactly as read.
    assert body["schedule"]["additionalRecipients"] == [
        {"type": "USER", "value": "1004"},
        {"type": "GROUP", "value": "502"},
        {"type": "EMAIL", "value": "cfo@example.com"},
    ]
    _, report = await env.apply()
    assert [o.status for o in report.outcomes] == ["done"]
    (put,) = writes(env)
    assert put["body"] == body
    assert "recipients_removed" not in put["effect"]


# --- finding 3: every owner's schedules, or "not found" is unknown -------------------------


async def test_a_schedule_owned_by_another_user_is_found_not_created_again(env: Env) -> None:
    # Monthly Finance Pack belongs to user 1006; the list's filter defaults to the token
    # user's own schedules.
    set_variants(env.app, ["schedule_list_user_filter"])
    schedules(env, MONTHLY_ENTRY)
    assert (await env.plan()).changes == []


async def test_a_missing_schedule_is_refused_not_created_when_the_list_may_hide_others(
    env: Env,
) -> None:
    # The server ignores filter: the list holds only the token user's schedules, and no row
    # shows another owner. "Not found" may then be "owned by someone else": creating it
    # would send every report twice.
    set_variants(env.app, ["schedule_list_user_filter"])
    env.transport = SimTransport(IgnoredFilter(env.app))
    schedules(env, MONTHLY_ENTRY)
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = issue_text(caught)
    assert "Monthly Finance Pack" in text and "another user" in text
    assert writes(env) == []


async def test_a_missing_schedule_is_created_when_the_list_shows_other_owners(env: Env) -> None:
    schedules(
        env,
        """
  - title: Daily Ops
    page: 345679
    schedule: {frequency: DAILY, at: "06:00", timezone: UTC}
""",
    )
    plan = await env.plan()
    assert [(c.address, c.action) for c in plan.changes] == [
        ("report_schedule.Daily Ops", Action.CREATE)
    ]


async def test_a_pinned_schedule_hidden_from_the_list_is_read_by_its_id(env: Env) -> None:
    set_variants(env.app, ["schedule_list_user_filter"])
    env.transport = SimTransport(IgnoredFilter(env.app))
    schedules(env, MONTHLY_ENTRY.replace("- title:", "- id: 123457\n    title:"))
    assert (await env.plan()).changes == []
    assert writes(env) == []


# --- finding 4: paging ends at an empty page ------------------------------------------------


async def test_a_schedule_list_capped_below_the_limit_is_read_to_the_empty_page(env: Env) -> None:
    env.transport = SimTransport(CappedPages(env.app, 1))
    # Ordered by title, Weekly Performance Report is on the second page of one.
    schedules(env, WEEKLY_ENTRY + "    attachment: true\n")
    assert (await env.plan()).changes == []
