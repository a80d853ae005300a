"""The client over real HTTP: the simulator served by uvicorn on a free loopback port."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from clientkit import TOKEN, Sim
from servekit import serve

from domogov.client import DomoClient
from domogov.errors import AmbiguousWriteError, AuthError

ME = "/api/content/v2/users/me"
GROUPS_PATH = "/api/content/v2/groups"


@pytest.fixture
def served() -> Iterator[tuple[Sim, str]]:
    """Serve a fresh simulator with uvicorn in a thread; stop it at teardown."""
    sim = Sim()
    with serve(sim.app) as url:
        yield sim, url


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
