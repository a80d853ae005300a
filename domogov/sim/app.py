"""The simulator's Starlette app: the routes table, token check, fault hook, Domo-shaped errors."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domogov.sim.faults import (
    AFTER_WRITE_KINDS,
    FAULT_RESPONSES,
    DropConnection,
    FaultConfig,
    FaultInjector,
)
from domogov.sim.http import error_response
from domogov.sim.routes import (
    alerts,
    audit,
    content,
    control,
    datasets,
    executor,
    groups,
    pdp,
    reportschedules,
    roles,
    search,
    users,
)
from domogov.sim.runtime import SimRuntime
from domogov.sim.state import SimError, SimState
from domogov.sim.variants import DEFAULT_RATE_LIMIT, Variants
from domogov.sim.writelog import parse_body


class Endpoint(NamedTuple):
    """One emulated API call: ``write`` ones are audited, autosaved and may lose responses."""

    method: str
    path: str
    handler: Any
    write: bool
    doc: str


R, W = False, True
USERS = "/api/identity/v1/users"
GROUPS = "/api/content/v2/groups"
ROLES = "/api/authorization/v1/roles"
DS = "/api/data/v3/datasources/{id}"
TAG = "/api/tags/v3/{entityType}/{entityId}/system/CERTIFIED/state"
ALERTS = "/api/social/v4/alerts"
SCHED = "/api/content/v1/reportschedules"
AUDIT = "/api/audit/v1/user-audits"
SHARE = "/api/content/v1/share"
FILES = "/api/data/v1/data-files"
FLOWS = "/api/workflow/v1/models"
PDP = "/api/query/v1/data-control/{id}"
EXEC = "/api/executor/v1/applications"
EXEC2 = "/api/executor/v2/applications"
E = Endpoint
# The whole emulated surface; "doc" names the section of 001 (or the README) it follows.
# Static paths come before the {id} paths they could be taken for.
# fmt: off
ENDPOINTS: list[Endpoint] = [
    E("GET",    AUDIT,                              audit.user_audits,        R, "Activity Log"),
    E("GET",    f"{AUDIT}/objectTypes",             audit.object_types,       R, "Activity Log"),
    E("GET",    USERS,                              users.list_identity_users, R, "Users: all"),
    E("POST",   f"{USERS}/search",                  users.search_users,       R, "README users"),
    E("GET",    f"{USERS}/{{id}}",                  users.get_identity_user,  R, "Users: by id"),
    E("PATCH",  f"{USERS}/{{id}}",                  users.patch_user,         W, "Users: update"),
    E("POST",   USERS,                              users.post_user,          W, "Users: create"),
    E("DELETE", f"{USERS}/{{id}}",                  users.remove_user,        W, "Users: delete"),
    E("GET",    "/api/content/v2/users",            users.list_content_users, R, "README clients"),
    E("GET",    "/api/content/v2/users/me",         users.get_me,             R, "README users"),
    E("GET",    f"{GROUPS}/grouplist",              groups.grouplist,         R, "README groups"),
    E("GET",    f"{GROUPS}/users",                  groups.group_users,       R, "README groups"),
    E("PUT",    f"{GROUPS}/access",                 groups.change_access,     W, "Groups"),
    E("POST",   f"{GROUPS}/permissions",            groups.group_permissions, R, "README clients"),
    E("POST",   GROUPS,                             groups.create_group,      W, "Groups: create"),
    E("PUT",    GROUPS,                             groups.update_groups,     W, "README groups"),
    E("DELETE", GROUPS,                             groups.delete_groups,     W, "README groups"),
    E("GET",    f"{GROUPS}/{{id}}",                 groups.get_group,         R, "Groups: fetch"),
    E("PUT",    f"{GROUPS}/{{id}}/user/{{userId}}", groups.add_user,          W, "Groups: add"),
    E("DELETE", f"{GROUPS}/{{id}}/removeuser/{{userId}}", groups.remove_user, W, "Groups: remove"),
    E("GET",    ROLES,                              roles.list_roles,         R, "Roles: all"),
    E("POST",   ROLES,                              roles.create_role,        W, "Roles: create"),
    E("GET",    f"{ROLES}/{{id}}",                  roles.get_role,           R, "Roles: by id"),
    E("DELETE", f"{ROLES}/{{id}}",                  roles.delete_role,        W, "Roles: delete"),
    E("GET",    f"{ROLES}/{{id}}/authorities",      roles.get_authorities,    R, "README roles"),
    E("PATCH",  f"{ROLES}/{{id}}/authorities",      roles.set_authorities,    W, "Roles: update"),
    E("PUT",    f"{ROLES}/{{id}}/authorities",      roles.set_authorities,    W, "README roles"),
    E("GET",    f"{ROLES}/{{id}}/users",            roles.get_role_users,     R, "README roles"),
    E("PUT",    f"{ROLES}/{{id}}/users",            roles.assign_users,       W, "README roles"),
    E("GET",    "/api/authorization/v1/authorities", roles.list_authorities,  R, "README roles"),
    E("GET",    DS,                                 datasets.get_metadata,    R, "Datasets: meta"),
    E("GET",    f"{DS}/permissions",                datasets.get_permissions, R, "Datasets: ACL"),
    E("POST",   f"{DS}/share",                      datasets.share,           W, "Datasets: share"),
    E("DELETE", f"{DS}/permissions/USER/{{userId}}", datasets.revoke_user,    W, "Datasets: rev"),
    E("DELETE", f"{DS}/USERS/{{userId}}",           datasets.revoke_user,     W, "Datasets: rm"),
    E("DELETE", f"{DS}/users",                      datasets.remove_many,     W, "Datasets: multi"),
    E("GET",    TAG,                                datasets.get_certification, R, "Certified"),
    E("PUT",    f"{TAG}/ACTIVE",                    datasets.certify,         W, "Certified"),
    E("DELETE", TAG,                                datasets.uncertify,       W, "Certified"),
    E("GET",    ALERTS,                             alerts.list_alerts,       R, "Alerts: get"),
    E("GET",    f"{ALERTS}/{{id}}",                 alerts.get_alert,         R, "Alerts: get one"),
    E("DELETE", f"{ALERTS}/{{id}}",                 alerts.delete_alert,      W, "Alerts: delete"),
    E("GET",    f"{ALERTS}/{{id}}/subscriptions",   alerts.get_subscriptions, R, "README alerts"),
    E("POST",   f"{ALERTS}/{{id}}/subscriptions",   alerts.subscribe,         W, "Alerts: sub"),
    E("DELETE", f"{ALERTS}/{{id}}/subscriptions",   alerts.unsubscribe,       W, "Alerts: unsub"),
    E("POST",   f"{ALERTS}/{{id}}/share",           alerts.share,             W, "Alerts: share"),
    E("GET",    SCHED,                              reportschedules.list_schedules,  R, "Reports"),
    E("POST",   SCHED,                              reportschedules.create_schedule, W, "Reports"),
    E("DELETE", SCHED,                         reportschedules.delete_page_schedules, W, "Reports"),
    E("GET",    f"{SCHED}/{{id}}",                  reportschedules.get_schedule,    R, "Reports"),
    E("PUT",    f"{SCHED}/{{id}}",                  reportschedules.replace_schedule, W, "Reports"),
    E("DELETE", f"{SCHED}/{{id}}",                  reportschedules.delete_schedule, W, "Reports"),
    E("PUT",    f"{SCHED}/{{id}}/enabled",          reportschedules.set_enabled,     W, "Reports"),
    E("POST",   "/api/search/v1/query",             search.query,             R, "Search Product"),
    # content permissions: page_shares, file_permissions, workflow_permissions
    E("GET",    f"{SHARE}/accesslist/page/{{id}}",  content.page_access,      R, "README clients"),
    E("GET",    f"{SHARE}/accesslist/card/{{id}}",  content.card_access,      R, "README clients"),
    E("POST",   SHARE,                              content.share,            W, "README clients"),
    E("DELETE", f"{SHARE}/page/{{pageId}}/user/{{personId}}", content.revoke_page_user, W,
      "Pages: revoke"),
    E("GET",    f"{FILES}/details",                 content.list_files,       R, "Files: all"),
    E("GET",    f"{FILES}/{{id}}/details",          content.file_details,     R, "Files: by id"),
    E("GET",    f"{FILES}/{{id}}/permissions",      content.file_permissions, R, "Files: perms"),
    E("PUT",    f"{FILES}/{{id}}/permissions",      content.set_file_permissions, W, "Files"),
    E("GET",    FLOWS,                              content.list_workflows,   R, "(undocumented)"),
    E("GET",    f"{FLOWS}/{{id}}/permissions",      content.workflow_permissions, R, "(undoc.)"),
    E("POST",   f"{FLOWS}/{{id}}/permissions",      content.set_workflow_permissions, W,
      "Workflows: permissions"),
    # personalized data permissions (pdp_policies; request forms of public clients)
    E("GET",    f"{PDP}/filter-groups",             pdp.list_policies,        R, "README clients"),
    E("POST",   f"{PDP}/filter-groups",             pdp.create_policy,        W, "README clients"),
    E("PUT",    f"{PDP}/filter-groups/{{policyId}}", pdp.update_policy,       W, "README clients"),
    E("DELETE", f"{PDP}/filter-groups/{{policyId}}", pdp.delete_policy,       W, "README clients"),
    E("GET",    PDP,                                pdp.get_control,          R, "README clients"),
    E("PUT",    PDP,                                pdp.set_control,          W, "README clients"),
    # Remote DomoStats (domostats_jobs): 000, and the create / one-job read of public clients
    E("GET",    f"{EXEC}/",                         executor.list_applications, R, "000"),
    E("GET",    f"{EXEC2}/{{app}}/jobs",            executor.list_jobs,       R, "000"),
    E("POST",   f"{EXEC}/{{app}}/jobs",             executor.create_job,      W, "README clients"),
    E("GET",    f"{EXEC}/{{app}}/jobs/{{jobId}}",   executor.get_job,         R, "README clients"),
    E("PUT",    f"{EXEC}/{{app}}/jobs/{{jobId}}",   executor.update_job,      W, "000"),
]
# fmt: on

CONTROL: list[tuple[str, str, Any]] = [
    ("GET", "/_sim/health", control.health),
    ("GET", "/_sim/faults", control.get_faults),
    ("POST", "/_sim/faults", control.set_faults),
    ("DELETE", "/_sim/faults", control.clear_faults),
    ("GET", "/_sim/stats", control.get_stats),
    ("POST", "/_sim/stats/reset", control.reset_stats),
    ("POST", "/_sim/save", control.save),
    ("GET", "/_sim/state", control.get_state),
    ("POST", "/_sim/state", control.set_state),
    ("POST", "/_sim/act-as", control.act_as),
    ("GET", "/_sim/variants", control.get_variants),
    ("PUT", "/_sim/variants", control.set_variants),
    ("GET", "/_sim/writes", control.get_writes),
    ("DELETE", "/_sim/writes", control.clear_writes),
]


class SimMiddleware:
    """Around every /api request: count it, check the token, delay it, maybe inject a fault."""

    def __init__(self, app: ASGIApp, runtime: SimRuntime, routes: list[tuple[Route, Endpoint]]):
        self.app = app
        self.rt = runtime
        self.routes = routes

    def _endpoint(self, scope: Scope) -> Endpoint | None:
        partial = None
        for route, endpoint in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return endpoint
            if match is Match.PARTIAL and partial is None:
                partial = endpoint
        return partial

    def _authorized(self, scope: Scope) -> bool:
        sent = dict(scope["headers"]).get(b"x-domo-developer-token", b"")
        return hmac.compare_digest(sent, self.rt.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        endpoint = self._endpoint(scope)
        template = endpoint.path if endpoint else "<unmatched>"
        self.rt.stats.count(scope["method"], template)
        is_write = endpoint.write if endpoint else scope["method"] != "GET"
        if not is_write:
            await self._handle(scope, receive, send, is_write, _Outcome())
            return
        # Writes are logged with their body: read it here and replay it to the handler.
        raw = await _read_body(receive)
        outcome = _Outcome()
        effect, token = self.rt.writes.begin()
        try:
            await self._handle(scope, _replay(raw, receive), send, is_write, outcome)
        finally:
            self.rt.writes.end(token)
            self.rt.writes.add(
                {
                    "time": self.rt.state.now_ms(),
                    "method": scope["method"],
                    "route": template,
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "body": parse_body(raw),
                    "actor": _actor_id(self.rt.state),
                    "status": None if outcome.dropped else outcome.answered,
                    "handled_status": outcome.handled,
                    "fault": outcome.fault,
                    "effect": effect,
                }
            )

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, is_write: bool, outcome: _Outcome
    ) -> None:
        """Token check, rate limit, delay, faults, then the handler; ``outcome`` is filled in."""
        method, path = scope["method"], scope["path"]

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and outcome.answered is None:
                outcome.answered = message["status"]
            await send(message)

        if not self._authorized(scope):
            text = "Full authentication is required: send a valid X-DOMO-Developer-Token"
            await error_response(401, text)(scope, receive, answer)
            return
        retry_after = self.rt.variants.rate_limited()
        if retry_after is not None:
            outcome.fault = "rate_limit_per_minute"
            self.rt.stats.fault(outcome.fault)
            headers = {"Retry-After": str(retry_after)}
            await error_response(429, "Too many requests; retry later.", headers)(
                scope, receive, answer
            )
            return
        delay = self.rt.faults.delay_seconds()
        if delay:
            await asyncio.sleep(delay)
        fault = self.rt.faults.pick(method, path, is_write)
        outcome.fault = fault
        if fault in FAULT_RESPONSES:
            self.rt.stats.fault(fault)
            status, text, headers = FAULT_RESPONSES[fault]
            await error_response(status, text, headers)(scope, receive, answer)
            return
        if fault == "drop":
            self.rt.stats.fault(fault)
            outcome.dropped = True
            await drop(answer)
        held: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start" and outcome.handled is None:
                outcome.handled = message["status"]
            if fault in AFTER_WRITE_KINDS:
                held.append(message)  # the client must not see the real answer
            else:
                await answer(message)

        await self.app(scope, receive, capture)
        succeeded = outcome.handled is not None and outcome.handled < 400
        if succeeded and is_write and self.rt.autosave and self.rt.state_file:
            self.rt.save()
        if fault in AFTER_WRITE_KINDS:
            if not succeeded:  # nothing was applied: the real error goes through
                outcome.fault = None
                for message in held:
                    await answer(message)
                return
            self.rt.stats.fault(fault)
            if fault == "applied_400":
                text = "The request could not be completed."
                await error_response(400, text)(scope, receive, answer)
                return
            if self.rt.faults.lost_write_outcome() == "504":
                status, text, headers = FAULT_RESPONSES["504"]
                await error_response(status, text, headers)(scope, receive, answer)
                return
            outcome.dropped = True
            await drop(answer)


class _Outcome:
    """What one request was answered: filled in while it is handled, then logged for writes."""

    def __init__(self) -> None:
        self.answered: int | None = None  # the status the client saw
        self.handled: int | None = None  # the status the handler gave (None: it did not run)
        self.fault: str | None = None
        self.dropped = False


def _actor_id(state: SimState) -> int:
    return state.me if state.acting_as is None else state.acting_as


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # a disconnect before the whole body: handle what came
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body once, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


async def drop(send: Send) -> NoReturn:
    """Start a response, send part of it, and abort: the client sees an incomplete message."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial', "more_body": True})
    # Uvicorn closes the socket on an exception after the start; SimTransport maps it in-process.
    raise DropConnection("simulated dropped connection")


async def _sim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimError)
    return error_response(exc.status, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, f"No such endpoint: {request.method} {request.url.path}")
    if exc.status_code == 405:
        return error_response(405, f"Method {request.method} not allowed on {request.url.path}")
    return error_response(exc.status_code, str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Simulator error: {type(exc).__name__}: {exc}")


def create_app(
    state: SimState,
    *,
    token: str | None = None,
    faults: FaultConfig | None = None,
    state_file: Path | None = None,
    autosave: bool = False,
    variants: Iterable[str] = (),
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT,
    rate_clock: Callable[[], float] = time.time,
) -> Starlette:
    """The simulator as an ASGI app; ``app.state.sim`` is ``state``, changed in place.

    ``variants`` switches undocumented behaviours to their other form (see
    ``domogov.sim.variants.VARIANTS``; ValueError on an unknown name);
    ``rate_limit_per_minute`` and ``rate_clock`` set the ``rate_limit_per_minute`` variant's
    limit and the clock of its one-minute windows (tests pass a settable one).
    The runtime (``app.state.runtime``) holds ``variants`` and the write log ``writes``.
    """
    runtime = SimRuntime(
        state=state,
        faults=FaultInjector(faults),
        variants=Variants(variants, rate_limit_per_minute=rate_limit_per_minute, clock=rate_clock),
        token_override=token,
        state_file=Path(state_file) if state_file else None,
        autosave=autosave,
    )
    api = [(Route(e.path, e.handler, methods=[e.method]), e) for e in ENDPOINTS]
    control_routes = [Route(path, handler, methods=[m]) for m, path, handler in CONTROL]
    app = Starlette(
        routes=[*control_routes, *(route for route, _ in api)],
        exception_handlers={
            SimError: _sim_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.add_middleware(SimMiddleware, runtime=runtime, routes=api)
    app.state.sim = state
    app.state.runtime = runtime
    return app
