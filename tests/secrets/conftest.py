"""Fixtures for the secrets tests: the simulator, a config, full DEBUG capture, no remote I/O."""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from secretkit import MANIFESTS, STATE, TOKEN
from servekit import serve

import domogov.cli
import domogov.connect
from domogov.client.http import DomoClient
from domogov.client.policy import REDACTION
from domogov.sim import create_app, load_state_file


@pytest.fixture
def sim_url() -> Iterator[str]:
    with serve(create_app(load_state_file(STATE), token=TOKEN)) as url:
        yield url


@pytest.fixture
def config(tmp_path: Path) -> Path:
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "governance.yaml").write_text(MANIFESTS)
    (root / "domogov.yaml").write_text("default_role: Participant\n")
    return root


@pytest.fixture(autouse=True)
def _own_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The redacting filter is process-wide and keeps every token any client ever saw: other
    tests' short tokens ("tok") would rewrite these tests' text. Start empty, like a CLI run."""
    monkeypatch.setattr(REDACTION, "_secrets", set())


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = functools.partial(DomoClient, backoff_base=0.001, backoff_max=0.01)
    monkeypatch.setattr(domogov.connect, "DomoClient", fast)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every log record at DEBUG, httpx and httpcore included; the CLI's own `domogov`
    logger does not propagate, so caplog's handler is added to it after the CLI sets it up."""
    for name in (None, "httpx", "httpcore", "domogov", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    original = domogov.cli.setup_logging

    def setup(verbose: int) -> None:
        original(verbose)
        logger = logging.getLogger("domogov")
        if caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)

    monkeypatch.setattr(domogov.cli, "setup_logging", setup)
    return caplog


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address a socket connects to; a non-loopback one is refused and recorded."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(address: Any) -> bool:
        attempts.append(address)
        host = address[0] if isinstance(address, tuple) else address
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise ConnectionRefusedError(f"test guard: no connection to {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise ConnectionRefusedError(f"test guard: no connection to {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts
