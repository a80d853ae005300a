"""Helpers for the hostile-input and hostile-API tests: CLI runs, sim stats, a lying server."""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result
from servekit import serve
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from domogov.cli import cli
from domogov.sim import create_app, load_state_file
from domogov.sim.app import ENDPOINTS

STATE = Path(__file__).parents[1] / "e2e" / "state.yaml"
TOKEN = "hostile-token-5c1e7a"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Endpoints that change state in the simulator (POST users/search is a read).
WRITE_ENDPOINTS = frozenset(f"{e.method} {e.path}" for e in ENDPOINTS if e.write)


def run(*args: str, token: str = TOKEN, input: str | None = None) -> Result:
    """Run the CLI in-process; a crash is a result with an exception, not a test error."""
    return CliRunner().invoke(cli, list(args), env={"DOMO_TOKEN": token}, input=input)


def text_of(result: Result) -> str:
    """Everything the command printed (click 8.2 mixes stderr into ``output``)."""
    out = result.output
    try:
        err = result.stderr
    except ValueError:
        err = ""
    return out if err in out else out + err


def assert_clean_failure(result: Result) -> str:
    """Exit 1, a message, no Python traceback and no escaped exception; the printed text."""
    shown = text_of(result)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"crashed: {exc!r}\n{shown}"
    assert result.exit_code == 1, f"exit {result.exit_code}\n{shown}"
    assert "Traceback" not in shown, shown
    assert shown.strip(), "no message at all"
    return shown


def sim_stats(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/_sim/stats").json()


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """The state-changing calls that reached the simulator, by endpoint."""
    return {k: v for k, v in stats["by_endpoint"].items() if k in WRITE_ENDPOINTS and v}


@contextmanager
def served_sim(**kw: Any) -> Iterator[str]:
    """The simulator (tests/e2e/state.yaml) over real HTTP on loopback."""
    app = create_app(load_state_file(STATE), token=TOKEN, **kw)
    with serve(app) as url:
        yield url


# --- a server that answers badly -------------------------------------------------------

Answer = Callable[[Request], Awaitable[Response]]


@dataclass
class Rule:
    """Answer ``method path_glob`` with ``answer`` instead of the simulator."""

    method: str
    path_glob: str
    answer: Answer

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path_glob)


@dataclass
class Hostile:
    """ASGI app in front of the simulator: the rules' paths answer badly, the rest is real."""

    inner: ASGIApp
    rules: list[Rule] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            method, path = scope["method"], scope["path"]
            self.seen[method] += 1
            for rule in self.rules:
                if rule.matches(method, path):
                    self.seen[f"hostile {method} {path}"] += 1
                    response = await rule.answer(Request(scope, receive))
                    await response(scope, receive, send)
                    return
        await self.inner(scope, receive, send)


def raw(body: bytes | str, status: int = 200, media_type: str = "application/json") -> Answer:
    async def answer(request: Request) -> Response:
        return Response(body, status_code=status, media_type=media_type)

    return answer


def as_json(doc: Any, status: int = 200) -> Answer:
    return raw(json.dumps(doc), status)


def rewrite(inner: ASGIApp, change: Callable[[Any, Request], Any]) -> Answer:
    """Ask the simulator, then answer ``change(its JSON, request)`` instead."""

    async def answer(request: Request) -> Response:
        transport = httpx.ASGITransport(app=inner)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            real = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                headers={
                    "X-DOMO-Developer-Token": request.headers.get("x-domo-developer-token", "")
                },
            )
        return Response(json.dumps(change(real.json(), request)), media_type="application/json")

    return answer


@contextmanager
def hostile_sim(rules: Callable[[ASGIApp], list[Rule]]) -> Iterator[tuple[str, Hostile]]:
    """Serve the simulator behind a Hostile front; yields (url, front)."""
    inner = create_app(load_state_file(STATE), token=TOKEN)
    front = Hostile(inner, rules(inner))
    with serve(front) as url:
        yield url, front


@dataclass
class Stage:
    """One Hostile front served for many tests: ``use`` sets the rules for the next one and
    puts the simulator back as it started (state, stats, the front's counters)."""

    url: str
    front: Hostile
    initial: dict[str, Any]

    def use(self, rules: Callable[[ASGIApp], list[Rule]]) -> tuple[str, Hostile]:
        httpx.post(f"{self.url}/_sim/state", json=self.initial).raise_for_status()
        httpx.post(f"{self.url}/_sim/stats/reset").raise_for_status()
        self.front.seen.clear()
        self.front.rules[:] = rules(self.front.inner)
        return self.url, self.front


@contextmanager
def stage() -> Iterator[Stage]:
    with hostile_sim(lambda inner: []) as (url, front):
        yield Stage(url, front, httpx.get(f"{url}/_sim/state").json())
