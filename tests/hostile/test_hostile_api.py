"""Hostile API answers: a one-line error naming the endpoint, exit 1, and no write applied."""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import inspect
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostilekit import (
    TOKEN,
    WRITE_METHODS,
    Hostile,
    Rule,
    Stage,
    as_json,
    assert_clean_failure,
    hostile_sim,
    raw,
    rewrite,
    run,
    served_sim,
    sim_stats,
    stage,
    text_of,
    writes,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

import domogov.connect
import domogov.resources.directory
from domogov.client.http import DomoClient
from domogov.errors import ResponseFormatError

# A served simulator behind a hostile front per test, about 70 cases: a quarter of a
# minute together, so left out of the fast loop (-m "not slow") and run by CI.
pytestmark = pytest.mark.slow

ME = "/api/content/v2/users/me"
USERS = "/api/identity/v1/users"
GROUPLIST = "/api/content/v2/groups/grouplist"
ROLES = "/api/authorization/v1/roles"
CATALOGUE = "/api/authorization/v1/authorities"
DATASET = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"
DS = f"/api/data/v3/datasources/{DATASET}"
PERMS = f"{DS}/permissions"
CERT = f"/api/tags/v3/DATA_SOURCE/{DATASET}/system/CERTIFIED/state"
ALERT = "/api/social/v4/alerts/358"
SCHEDULES = "/api/content/v1/reportschedules"
SCHEDULE = f"{SCHEDULES}/123456"
#: Every kind, each wanting a change, so that a plan built on bad data would write.
MANIFESTS = f"""\
groups:
  - name: Finance Analysts
    members: [bob@example.com, carol@example.com]
    owners: [frank@example.com]
  - name: Web Analysts
    members: [erin@example.com]
roles:
  - name: Data Steward
    users: [carol@example.com, grace@example.com]
dataset_shares:
  - dataset: {DATASET}
    name: Sales Pipeline
    grants:
      - {{group: Finance Analysts, access: CAN_VIEW}}
certifications:
  - {{dataset: {DATASET}, certified: true}}
alerts:
  - alert: 358
    subscribers: [{{user: bob@example.com}}]
report_schedules:
  - title: Weekly Performance Report
    page: 345678
    schedule: {{frequency: WEEKLY, days: [MON], at: "09:00", timezone: America/New_York}}
    recipients: [{{user: bob@example.com}}]
"""
HTML_500 = "<html><head><title>Internal Error</title></head><body><h1>Oops</h1></body></html>"
HTML_LOGIN = "<!DOCTYPE html><html><head><title>Domo - Sign in</title></head><body/></html>"
NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
Rules = Callable[[ASGIApp], list[Rule]]


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client, with millisecond backoff: a 5xx is still retried, just not slowly."""
    fast = functools.partial(DomoClient, backoff_base=0.001, backoff_max=0.01)
    monkeypatch.setattr(domogov.connect, "DomoClient", fast)


@pytest.fixture(scope="module")
def shared() -> Iterator[Stage]:
    """One server for the many bad-answer cases; each case resets it (see Stage.use)."""
    with stage() as served:
        yield served


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-api") / "cfg"
    root.mkdir()
    (root / "governance.yaml").write_text(MANIFESTS)
    (root / "domogov.yaml").write_text("default_role: Participant\n")
    return root


def _edit(path: str, change: Callable[[Any], Any]) -> Rules:
    """GET ``path`` answers the simulator's JSON passed through ``change``."""
    return lambda inner: [Rule("GET", path, rewrite(inner, lambda doc, _: change(doc)))]


def _answer(path: str, body: str | bytes, status: int = 200, media: str = "application/json"):
    return lambda inner: [Rule("GET", path, raw(body, status, media))]


def _json(path: str, doc: Any) -> Rules:
    return lambda inner: [Rule("GET", path, as_json(doc))]


def _each(doc: list[dict[str, Any]], **changes: Any) -> list[dict[str, Any]]:
    out = []
    for row in doc:
        row = {**row, **{k: v for k, v in changes.items() if v is not _DROP}}
        out.append({k: v for k, v in row.items() if changes.get(k) is not _DROP})
    return out


_DROP = object()


def _both(*rules: Rules) -> Rules:
    return lambda inner: [rule for r in rules for rule in r(inner)]


def _users(**changes: Any) -> Callable[[Any], Any]:
    return lambda doc: {**doc, "users": _each(doc["users"], **changes)}


def _rows(**changes: Any) -> Callable[[Any], Any]:
    return lambda doc: _each(doc, **changes)


# The authorities catalogue without roleIds: domogov falls back to one read per role.
_NO_ROLE_IDS = _edit(CATALOGUE, _rows(roleIds=_DROP))


def _fifty_thousand_groups(inner: ASGIApp) -> list[Rule]:
    rows = [
        {"groupId": 10_000 + i, "name": f"g{i:05}", "groupType": "closed"} for i in range(50_000)
    ]
    return [Rule("GET", GROUPLIST, as_json(rows))]


@dataclass(frozen=True)
class Bad:
    """One kind of bad answer, the endpoint it comes from, and what the error must say."""

    cls: str
    name: str
    rules: Rules
    endpoint: str
    message: str

    @property
    def id(self) -> str:
        return f"{self.cls}/{self.name}"


A = "the answer is not what the API documents: "
CASES = [
    # -- malformed JSON and HTML pages
    Bad("malformed_json", "truncated_array", _answer(GROUPLIST, '[{"groupId": 1,'), GROUPLIST,
        'HTTP 200: expected JSON, got: [{"groupId": 1,'),
    Bad("malformed_json", "trailing_garbage", _answer(ROLES, "[]]"), ROLES, "expected JSON"),
    Bad("malformed_json", "single_quotes", _answer(USERS, "{'users': []}"), USERS,
        "expected JSON"),
    Bad("malformed_json", "nan_literal", _answer(PERMS, '{"list": [NaN'), PERMS, "expected JSON"),
    Bad("malformed_json", "invalid_utf8", _answer(ROLES, b'[{"id": 1, "name": "\xff"}]'), ROLES,
        "expected JSON"),
    Bad("html", "error_page_500", _answer(USERS, HTML_500, 500, "text/html"), USERS,
        "HTTP 500: server error: Internal Error (gave up after 7 attempts)"),
    Bad("html", "gateway_502", _answer(ROLES, NGINX_502, 502, "text/html"), ROLES,
        "HTTP 502: server error: 502 Bad Gateway (gave up after 7 attempts)"),
    Bad("html", "login_page_200", _answer(ROLES, HTML_LOGIN, 200, "text/html"), ROLES,
        "HTTP 200: expected JSON, got: Domo - Sign in"),
    Bad("html", "not_found_404", _answer(GROUPLIST, HTML_500, 404, "text/html"), GROUPLIST,
        "HTTP 404: not found: Internal Error"),
    Bad("html", "xml_200", _answer(ALERT, "<?xml version='1.0'?><alert/>", 200, "text/xml"),
        ALERT, "HTTP 200: expected JSON"),
    # -- wrong types
    Bad("wrong_types", "grouplist_object", _json(GROUPLIST, {"groups": []}), GROUPLIST,
        A + "expected an array, got an object"),
    Bad("wrong_types", "roles_object", _json(ROLES, {"roles": []}), ROLES,
        A + "expected an array, got an object"),
    Bad("wrong_types", "users_strings", _json(USERS, {"users": ["bob@example.com"]}), USERS,
        A + "users[0]: expected an object, got a string"),
    Bad("wrong_types", "user_id_dict", _edit(USERS, _users(id={"value": 1002})), USERS,
        A + "users[0].id: expected an id (an integer), got an object"),
    Bad("wrong_types", "user_id_float", _edit(USERS, _users(id=1002.5)), USERS,
        A + "users[0].id: expected an id (an integer), got a number"),
    Bad("wrong_types", "user_email_list", _edit(USERS, _users(emailAddress=["a@b.c"])), USERS,
        A + "users[0].emailAddress: expected a string, got an array"),
    Bad("wrong_types", "group_row_string", _json(GROUPLIST, ["Finance Analysts"]), GROUPLIST,
        A + "[0]: expected an object, got a string"),
    Bad("wrong_types", "group_id_negative", _edit(GROUPLIST, _rows(groupId=-501)), GROUPLIST,
        A + "[0].groupId: expected an id (an integer), got an integer"),
    Bad("wrong_types", "group_id_huge", _edit(GROUPLIST, _rows(groupId=10**30)), GROUPLIST,
        A + "[0].groupId: expected an id"),
    Bad("wrong_types", "group_id_bool", _edit(GROUPLIST, _rows(groupId=True)), GROUPLIST,
        A + "[0].groupId: expected an id (an integer), got a boolean"),
    Bad("wrong_types", "group_members_string", _edit(GROUPLIST, _rows(groupMembers="all")),
        GROUPLIST, A + "[0].groupMembers: expected an array, got a string"),
    Bad("wrong_types", "group_name_number", _edit(GROUPLIST, _rows(name=42)), GROUPLIST,
        A + "[0].name: expected a non-empty string, got an integer"),
    # A role's own authorities are read only where the catalogue lacks roleIds.
    Bad("wrong_types", "role_authorities_object", _both(_NO_ROLE_IDS,
        _json(f"{ROLES}/*/authorities", {"a": 1})),
        f"{ROLES}/*/authorities", A + "expected an array, got an object"),
    Bad("wrong_types", "role_authorities_objects", _both(_NO_ROLE_IDS,
        _json(f"{ROLES}/*/authorities", [{"a": 1}])),
        f"{ROLES}/*/authorities", A + "[0]: expected a non-empty string, got an object"),
    Bad("wrong_types", "authority_catalogue_object", _json(CATALOGUE, {"authorities": []}),
        CATALOGUE, A + "expected an array, got an object"),
    Bad("wrong_types", "authority_role_ids_string", _edit(CATALOGUE, _rows(roleIds="1,2")),
        CATALOGUE, A + "[0].roleIds: expected an array, got a string"),
    Bad("wrong_types", "permissions_array", _json(PERMS, []), PERMS,
        A + "expected an object, got an array"),
    Bad("wrong_types", "permission_row_string", _json(PERMS, {"list": ["USER:1004"]}), PERMS,
        A + "list[0]: expected an object, got a string"),
    Bad("wrong_types", "dataset_array", _json(DS, [DATASET]), DS,
        A + "expected an object, got an array"),
    Bad("wrong_types", "certification_array", _json(CERT, ["ACTIVE"]), CERT,
        A + "expected an object, got an array"),
    Bad("wrong_types", "certification_state_bool", _json(CERT, {"state": True}), CERT,
        A + "state: expected a string, got a boolean"),
    Bad("wrong_types", "alert_array", _json(ALERT, []), ALERT,
        A + "expected an object, got an array"),
    Bad("wrong_types", "alert_subscriptions_string", _edit(ALERT, lambda d: {**d,
        "subscriptions": "everyone"}), ALERT, A + "subscriptions: expected an array"),
    Bad("wrong_types", "schedules_object", _json(SCHEDULES, {"schedules": []}), SCHEDULES,
        A + "expected an array, got an object"),
    Bad("wrong_types", "schedule_string", _edit(SCHEDULE, lambda d: {**d, "schedule": "weekly"}),
        SCHEDULE, A + "schedule: expected an object, got a string"),
    Bad("wrong_types", "schedule_hour_word", _edit(SCHEDULE, lambda d: {**d, "schedule": {
        **d["schedule"], "hourOfDay": "nine"}}), SCHEDULE,
        A + "schedule.hourOfDay: expected an integer, got a string"),
    # -- missing fields
    Bad("missing_fields", "authority_name", _edit(CATALOGUE, _rows(authority=_DROP)), CATALOGUE,
        A + "[0]: missing 'authority'"),
    Bad("missing_fields", "group_name", _edit(GROUPLIST, _rows(name=_DROP)), GROUPLIST,
        A + "[0]: missing 'name'"),
    Bad("missing_fields", "group_id", _edit(GROUPLIST, _rows(groupId=_DROP)), GROUPLIST,
        A + "[0]: missing 'groupId' or 'id'"),
    Bad("missing_fields", "role_name", _edit(ROLES, _rows(name=_DROP)), ROLES,
        A + "[0]: missing 'name'"),
    Bad("missing_fields", "role_id", _edit(ROLES, _rows(id=None)), ROLES,
        A + "[0]: missing 'id'"),
    Bad("missing_fields", "user_id", _edit(USERS, _users(id=_DROP)), USERS,
        A + "users[0]: missing 'id'"),
    Bad("missing_fields", "users_key", _json(USERS, {"people": []}), USERS,
        A + "missing 'users'"),
    Bad("missing_fields", "permissions_list", _json(PERMS, {"totalUserCount": 2}), PERMS,
        A + "missing 'list'"),
    Bad("missing_fields", "permission_access", _edit(PERMS, lambda d: {"list": _each(d["list"],
        accessLevel=_DROP)}), PERMS, A + "list[0]: missing 'accessLevel'"),
    Bad("missing_fields", "schedule_title", _edit(SCHEDULES, _rows(title=_DROP)), SCHEDULES,
        A + "[0]: missing 'title'"),
    Bad("missing_fields", "recipient_value", _edit(SCHEDULE, lambda d: {**d, "schedule": {
        **d["schedule"], "additionalRecipients": [{"type": "USER"}]}}), SCHEDULE,
        A + "schedule.additionalRecipients[0]: missing 'value'"),
    Bad("missing_fields", "empty_body_users", _answer(USERS, ""), USERS,
        A + "expected an object, got null (or an empty body)"),
    Bad("missing_fields", "null_grouplist", _answer(GROUPLIST, "null"), GROUPLIST,
        A + "expected an array, got null"),
    # -- a 200 carrying Domo's error body
    Bad("error_body_200", "status_500", _json(ROLES, {"status": 500, "statusReason":
        "Internal Server Error", "message": "boom", "toe": "T1"}), ROLES,
        "HTTP 500: server error: boom (gave up after 7 attempts)"),
    Bad("error_body_200", "status_401", _json(GROUPLIST, {"status": 401, "message":
        "Unauthorized"}), GROUPLIST, "HTTP 401: Domo refused the token"),
    Bad("error_body_200", "status_403", _json(PERMS, {"status": 403, "statusReason":
        "Forbidden", "message": "Access denied"}), PERMS,
        "HTTP 403: permission denied: Access denied"),
    Bad("error_body_200", "status_400", _json(SCHEDULE, {"status": 400, "message":
        "Bad request"}), SCHEDULE, "HTTP 400: request refused: Bad request"),
    # -- ambiguous directories: a reference would pick one of two at random
    Bad("ambiguous", "two_users_one_email", _edit(USERS, lambda d: {"users": [*d["users"], {
        **d["users"][1], "id": 9999, "emailAddress": "BOB@example.com"}]}), USERS,
        A + "users[8].emailAddress: the same emailAddress as users[1]"),
    Bad("ambiguous", "two_roles_one_name", _edit(ROLES, lambda d: [*d, {**d[-1], "id": 99}]),
        ROLES, A + "[6].name: the same name as [5]"),
    # -- enormous pages
    Bad("enormous", "grouplist_50k_rows", _fifty_thousand_groups, GROUPLIST,
        "50000 items came back for limit=100; the endpoint seems to ignore limit"),
]  # fmt: skip


def _one_line_error(text: str, endpoint: str, message: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line:\n{text}"
    head = lines[0].split(": ", 2)
    assert head[0] == "Error" and fnmatch.fnmatchcase(head[1], f"GET {endpoint}"), lines[0]
    assert message in lines[0], f"{message!r} not in {lines[0]!r}"


def _assert_no_write(url: str, front: Hostile) -> None:
    assert writes(sim_stats(url)) == {}, "a write reached the API"
    assert not any(front.seen[m] for m in WRITE_METHODS), front.seen


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_plan_stops_and_apply_writes_nothing(bad: Bad, config: Path, shared: Stage) -> None:
    url, front = shared.use(bad.rules)
    plan = run("plan", str(config), "--base-url", url)
    _one_line_error(assert_clean_failure(plan), bad.endpoint, bad.message)
    assert any(k.startswith("hostile GET") for k in front.seen), "the bad answer was not used"
    apply = run("apply", str(config), "--base-url", url, "--auto-approve")
    _one_line_error(assert_clean_failure(apply), bad.endpoint, bad.message)
    _assert_no_write(url, front)


# A subscription without its subscriber is not a format error of the whole answer: that
# alert's subscribers are unreadable (unknown is not empty), and a manifest managing them is
# refused, naming the alert and the endpoint, with nothing written.
NO_SUBSCRIBER_ID = _edit(
    ALERT, lambda d: {**d, "subscriptions": _each(d["subscriptions"], subscriberId=_DROP)}
)


@pytest.mark.timeout(30)
def test_a_subscription_without_subscriber_id_refuses_the_managed_alert(
    config: Path, shared: Stage
) -> None:
    url, front = shared.use(NO_SUBSCRIBER_ID)
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run(*command[:1], str(config), "--base-url", url, *command[1:])
        shown = assert_clean_failure(result)
        assert "alert.358: subscribers: GET /api/social/v4/alerts/358" in shown, shown
        assert "without subscriberId" in shown, shown
    _assert_no_write(url, front)


def test_the_good_simulator_would_have_written(config: Path) -> None:
    """The control: the same manifests against an honest answer plan changes and apply writes."""
    with hostile_sim(lambda inner: []) as (url, _):
        plan = run("plan", str(config), "--base-url", url)
        assert plan.exit_code == 0, text_of(plan)
        assert "Plan: 1 to add, 6 to change, 0 to destroy." in plan.output
        apply = run("apply", str(config), "--base-url", url, "--auto-approve")
        assert apply.exit_code == 0, text_of(apply)
        assert len(writes(sim_stats(url))) >= 8


def test_a_saved_plan_is_not_applied_when_the_stale_check_reads_bad_data(
    config: Path, tmp_path: Path
) -> None:
    with hostile_sim(lambda inner: []) as (url, front):
        saved = tmp_path / "plan.json"
        assert run("plan", str(config), "--base-url", url, "--out", str(saved)).exit_code == 0
        front.rules.append(Rule("GET", GROUPLIST, as_json({"groups": []})))
        apply = run("apply", str(saved), "--base-url", url)
        _one_line_error(assert_clean_failure(apply), GROUPLIST, "expected an array, got an object")
        _assert_no_write(url, front)


def _endless(path: str, key: str = "id") -> Rules:
    """``path`` always answers a full page of new rows: paging never ends by itself."""

    async def page(request: Request) -> Response:
        start = int(request.query_params.get("offset", request.query_params.get("skip", "0")))
        limit = int(request.query_params.get("limit", "100"))
        rows = [
            {key: 10**6 + start + i, "name": f"g{start + i:08}", "title": f"t{start + i:08}"}
            for i in range(limit)
        ]
        return Response(json.dumps(rows), media_type="application/json")

    return lambda inner: [Rule("GET", path, page)]


def test_a_grouplist_that_never_ends_stops_at_the_bound(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grouplist is paged by the directory read (8 pages at a time) up to resources' MAX_PAGES:
    1,000 by default (100,000 groups); 24 here, so that the test is quick."""
    monkeypatch.setattr(domogov.resources.directory, "MAX_PAGES", 24)
    with hostile_sim(_endless(GROUPLIST, "groupId")) as (url, front):
        plan = run("plan", str(config), "--base-url", url)
        _one_line_error(assert_clean_failure(plan), GROUPLIST, "more than 24 pages; giving up")
        # The bound is on pages asked for: at most one batch of 8 past MAX_PAGES.
        assert 24 <= front.seen[f"hostile GET {GROUPLIST}"] <= 24 + 8
        apply = run("apply", str(config), "--base-url", url, "--auto-approve")
        assert_clean_failure(apply)
        _assert_no_write(url, front)


def test_a_schedule_list_that_never_ends_stops_at_max_pages(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule list goes through DomoClient.paginate: bounded by max_pages (1,000 by
    default, 2,000,000 schedules); 25 here."""
    bounded = functools.partial(DomoClient, backoff_base=0.001, max_pages=25)
    monkeypatch.setattr(domogov.connect, "DomoClient", bounded)
    with hostile_sim(_endless(SCHEDULES)) as (url, front):
        plan = run("plan", str(config), "--base-url", url)
        _one_line_error(
            assert_clean_failure(plan),
            SCHEDULES,
            "paging did not end after 25 pages of 200 items (max_pages)",
        )
        assert front.seen[f"hostile GET {SCHEDULES}"] == 25
        assert_clean_failure(run("apply", str(config), "--base-url", url, "--auto-approve"))
        _assert_no_write(url, front)


def test_what_the_default_page_bounds_cost(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Measure the default bounds against a never-ending grouplist and schedule list, and
    print what reaching them would take here (the report proposes lower defaults)."""
    assert domogov.resources.directory.MAX_PAGES == 1_000
    default = inspect.signature(DomoClient).parameters["max_pages"].default
    assert default == 1_000
    monkeypatch.setattr(domogov.resources.directory, "MAX_PAGES", 40)
    with hostile_sim(_endless(GROUPLIST, "groupId")) as (url, front):
        started = time.monotonic()
        assert_clean_failure(run("plan", str(config), "--base-url", url))
        grouplist = (time.monotonic() - started) / 40 * 1_000
        # What is measured is the bound being reached: 40 pages, plus at most one batch of 8.
        assert 40 <= front.seen[f"hostile GET {GROUPLIST}"] <= 40 + 8
    with hostile_sim(_endless(SCHEDULES)) as (url, _):

        async def pages(n: int) -> float:
            async with DomoClient(url, TOKEN, max_pages=n) as client:
                started = time.monotonic()
                with pytest.raises(ResponseFormatError, match="paging did not end"):
                    await client.paginate(SCHEDULES, style="skip", page_size=200)
                return time.monotonic() - started

        schedules = asyncio.run(pages(10)) / 10 * default
    with capsys.disabled():
        print(
            f"\nnever-ending lists here: grouplist reaches MAX_PAGES=1,000 in ~{grouplist:.0f} s;"
            f" schedules reach max_pages={default:,} in ~{schedules:.0f} s"
        )


@pytest.mark.timeout(60)
def test_an_enormous_but_honest_users_list_is_read(config: Path) -> None:
    """50,000 users in one answer is a large instance, not an attack: read in seconds."""

    def many(doc: Any) -> Any:
        extra = [
            {"id": 50_000 + i, "emailAddress": f"user{i}@example.com", "displayName": f"U {i}"}
            for i in range(50_000)
        ]
        return {"users": doc["users"] + extra}

    with hostile_sim(_edit(USERS, many)) as (url, front):
        plan = run("plan", str(config), "--base-url", url)
        assert plan.exit_code == 0, text_of(plan)
        # The whole list came in one answer: read once, not re-asked or paged past its end.
        assert front.seen[f"hostile GET {USERS}"] == 1


def test_every_bad_answer_class_is_covered() -> None:
    counts = Counter(c.cls for c in CASES)
    assert set(counts) == {
        "malformed_json", "html", "wrong_types", "missing_fields", "error_body_200", "enormous",
        "ambiguous",
    }  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [pytest.param([], id="array"), pytest.param({"displayName": "Ada"}, id="no_id")],
)
def test_a_token_user_without_an_id_stops_the_plan(answer: Any, config: Path) -> None:
    with hostile_sim(_json(ME, answer)) as (url, front):
        plan = run("plan", str(config), "--base-url", url)
        _one_line_error(assert_clean_failure(plan), ME, "")
        run("apply", str(config), "--base-url", url, "--auto-approve")
        _assert_no_write(url, front)


def test_two_live_groups_with_one_name_stop_the_plan(config: Path) -> None:
    def with_twin(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        twins = [{**g, "groupId": 9999, "groupMembers": []} for g in page]
        return [*page, *(g for g in twins if g["name"] == "Finance Analysts")]

    twin = _edit(GROUPLIST, with_twin)
    with hostile_sim(twin) as (url, front):
        plan = run("plan", str(config), "--base-url", url)
        shown = assert_clean_failure(plan)
        assert "Finance Analysts" in shown and "9999" in shown and "501" in shown
        run("apply", str(config), "--base-url", url, "--auto-approve")
        _assert_no_write(url, front)


def test_a_write_whose_answer_is_lost_is_not_reported_as_nothing_applied(tmp_path: Path) -> None:
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "share.yaml").write_text(f"dataset_shares:\n  - dataset: {DATASET}\n    grants: []\n")
    with served_sim() as url:
        script = {"script": [{"fault": "lost_write", "count": 1000, "method": "DELETE"}]}
        httpx.post(f"{url}/_sim/faults", json=script).raise_for_status()
        apply = run("apply", str(root), "--base-url", url, "--auto-approve")
        headers = {"X-DOMO-Developer-Token": TOKEN}
        live = httpx.get(f"{url}{PERMS}", headers=headers).json()["list"]
    assert [g["accessLevel"] for g in live] == ["OWNER"], "the revoke was applied"
    assert apply.exit_code == 3, text_of(apply)
