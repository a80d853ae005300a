"""The simulator over real HTTP (uvicorn in a thread): dropped connections, lost writes, serve."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner
from simhelpers import TOKEN_HEADER

from domogov.sim import create_app
from domogov.sim.cli import sim
from domogov.sim.server import ThreadedServer, is_loopback
from domogov.sim.state import demo_state


@pytest.fixture(scope="module")
def server():
    app = create_app(demo_state())
    with ThreadedServer(app) as running:
        yield running


def test_requests_work_over_http(server: ThreadedServer):
    with httpx.Client(base_url=server.url, headers=TOKEN_HEADER) as client:
        assert client.get("/api/content/v2/users/me").json()["id"] == 1001
        assert (
            client.get(
                "/api/content/v2/users/me", headers={"X-DOMO-Developer-Token": ""}
            ).status_code
            == 401
        )


def test_drop_is_an_incomplete_response_over_http(server: ThreadedServer):
    with httpx.Client(base_url=server.url, headers=TOKEN_HEADER) as client:
        client.post("/_sim/faults", json={"script": [{"fault": "drop", "count": 1}]})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/content/v2/groups/grouplist")
        # The server is fine afterwards, on a new connection.
        assert client.get("/api/content/v2/groups/grouplist").status_code == 200


def test_lost_write_over_http_is_applied(server: ThreadedServer):
    script = [{"fault": "lost_write", "method": "PUT", "count": 4}]
    with httpx.Client(base_url=server.url, headers=TOKEN_HEADER) as client:
        client.post("/_sim/faults", json={"seed": 3, "script": script})
        outcomes = set()
        for uid in (1003, 1005, 1007, 1004):
            try:
                outcomes.add(client.put(f"/api/content/v2/groups/501/user/{uid}").status_code)
            except httpx.RemoteProtocolError:
                outcomes.add("drop")
        assert outcomes <= {504, "drop"}
        members = client.get("/api/content/v2/groups/501").json()["userIds"]
        assert {1003, 1005, 1007, 1004} <= set(members)
        client.delete("/_sim/faults")


def test_loopback_check():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


def test_serve_refuses_a_non_loopback_host():
    result = CliRunner().invoke(sim, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "loopback" in result.output
