"""Helpers (no tests here): a LiveContext on the in-process simulator, through the real client."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from domogov.client import DomoClient
from domogov.config import load_config
from domogov.resources.context import LiveContext
from domogov.resources.directory import load_directory, load_me
from domogov.sim import SimState, SimTransport, create_app, write_log
from domogov.sim.generate import generate_state

USERS = "/api/identity/v1/users"
SEARCH = "/api/identity/v1/users/search"
GROUPLIST = "/api/content/v2/groups/grouplist"
ME = "/api/content/v2/users/me"
ROLES = "/api/authorization/v1/roles"


def state_doc(users: int = 80, groups: int = 5) -> dict[str, Any]:
    return generate_state(
        users=users, groups=groups, datasets=1, alerts=0, schedules=0, members_per_group=10
    )


class Rewrite(httpx.AsyncBaseTransport):
    """Passes requests to the simulator; the answers of ``GET path`` go through ``edit``.

    Stands for an instance answering in a form the simulator has no variant for."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: str, edit: Callable[[Any], Any]):
        self.inner, self.path, self.edit = inner, path, edit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "GET" or request.url.path != self.path:
            return response
        await response.aread()
        return httpx.Response(response.status_code, json=self.edit(json.loads(response.content)))


class Request(NamedTuple):
    method: str
    path: str
    body: Any
    params: dict[str, str]


class Recorder(httpx.AsyncBaseTransport):
    """Records every request (method, path, JSON body) before passing it on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, log: list[Request]):
        self.inner, self.log = inner, log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        params = dict(request.url.params)
        self.log.append(Request(request.method, request.url.path, body, params))
        return await self.inner.handle_async_request(request)


class Instance:
    """One simulated instance: its state, app, request counts and write log."""

    def __init__(self, doc: dict[str, Any], variants: list[str] | None = None) -> None:
        self.state = SimState.from_document(doc)
        self.app = create_app(self.state, variants=variants or [])
        self.transport: httpx.AsyncBaseTransport = SimTransport(self.app)
        self.requests: list[Request] = []

    def rewrite(self, path: str, edit: Callable[[Any], Any]) -> None:
        self.transport = Rewrite(self.transport, path, edit)

    def client(self) -> DomoClient:
        return DomoClient(
            "http://127.0.0.1",
            self.state.token,
            transport=Recorder(self.transport, self.requests),
            backoff_base=0.001,
            backoff_max=0.01,
        )

    def sent(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    def count(self, method: str, path: str) -> int:
        return len(self.sent(method, path))

    def bodies(self, method: str, path: str) -> list[Any]:
        return [r.body for r in self.sent(method, path)]

    def writes(self) -> list[dict[str, Any]]:
        return write_log(self.app)

    def emails_with_role(self, role_id: int) -> list[str]:
        return sorted(u.email for u in self.state.users.values() if u.role_id == role_id)


def config_dir(tmp_path: Path, manifests: str) -> Any:
    root = tmp_path / "config"
    root.mkdir(parents=True, exist_ok=True)
    (root / "governance.yaml").write_text(textwrap.dedent(manifests), encoding="utf-8")
    return load_config(root)


async def directory(instance: Instance, config: Any = None) -> LiveContext:
    """A context whose directory is read, as planning reads it (the token's user first)."""
    async with instance.client() as client:
        ctx = LiveContext(client=client, project=getattr(config, "project", None), config=config)
        if config is not None:
            ctx.declared_roles = {s.name for s in config.roles}
            ctx.declared_groups = {s.name for s in config.groups}
        await load_me(ctx)
        await load_directory(ctx)
    return ctx
