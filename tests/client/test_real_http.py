"""The client over real HTTP: the simulator served by uvicorn on a free loopback port."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from clientkit import TOKEN, Sim

from domogov.client import DomoClient
from domogov.errors import AmbiguousWriteError, AuthError

ME = "/api/content/v2/users/me"
GROUPS_PATH = "/api/content/v2/groups"


@pytest.fixture
def served() -> Iterator[tuple[Sim, str]]:
    """Serve a fresh simulator with uvicorn in a thread; stop it at teardown."""
    sim = Sim()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound before serving: no race for the port
    port = sock.getsockname()[1]
    config = uvicorn.Config(sim.app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    yield sim, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _client(url: str, token: str = TOKEN) -> DomoClient:
    return DomoClient(url, token, backoff_base=0.001, backoff_max=0.01, max_retries=3)


async def test_reads_over_http_with_the_token_header(
    served: tuple[Sim, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = served
    for name in ("domogov", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with _client(url) as client:
        me = await client.get(ME)
        groups = await client.paginate(f"{GROUPS_PATH}/grouplist", style="offset", page_size=10)
    assert me["id"] == 1001
    assert len(groups) == 25
    assert f"GET {ME} 200" in caplog.text
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert TOKEN not in caplog.text  # not from httpx/httpcore at DEBUG either


async def test_wrong_token_over_http_is_an_auth_error(served: tuple[Sim, str]) -> None:
    _, url = served
    async with _client(url, token="not-the-token") as client:
        with pytest.raises(AuthError, match="DOMO_TOKEN"):
            await client.get(ME)


async def test_real_dropped_connection_is_retried_for_reads_and_ambiguous_for_writes(
    served: tuple[Sim, str],
) -> None:
    _, url = served
    faults = {
        "seed": 3,
        "script": [
            {"fault": "drop", "count": 2, "method": "GET", "path_glob": ME},
            {"fault": "drop", "count": 1, "method": "POST", "path_glob": GROUPS_PATH},
        ],
    }
    async with httpx.AsyncClient(base_url=url) as control:
        (await control.post("/_sim/faults", json=faults)).raise_for_status()
    async with _client(url) as client:
        assert (await client.get(ME))["id"] == 1001
        assert client.retries == 2
        # Over a socket the drop shows as RemoteProtocolError or ReadError (reset): both lost.
        with pytest.raises(AmbiguousWriteError, match="connection lost after sending"):
            await client.post(GROUPS_PATH, json={"name": "over-http", "type": "open"})
