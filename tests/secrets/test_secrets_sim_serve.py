"""`domogov sim serve`, run briefly with a configured token: the token is never printed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from secretkit import TOKEN, WRONG, assert_no_secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.timeout(30)
def test_sim_serve_never_prints_its_token(tmp_path: Path) -> None:
    port = _free_port()
    state = tmp_path / "state.json"
    env = {**os.environ, "DOMOGOV_SIM_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    env.pop("DOMO_TOKEN", None)
    cmd = [sys.executable, "-m", "domogov", "sim", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--state", str(state)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base}/_sim/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "sim did not start"
                time.sleep(0.05)
        me = "/api/content/v2/users/me"
        assert httpx.get(base + me, headers={"X-DOMO-Developer-Token": TOKEN}).status_code == 200
        refused = httpx.get(base + me, headers={"X-DOMO-Developer-Token": WRONG})
        assert refused.status_code == 401
        assert_no_secret("401 body", refused.text)
        state_doc = httpx.get(f"{base}/_sim/state").text
        assert_no_secret("/_sim/state", state_doc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert "listening on" in out, (out, err)
    assert "Requests need the configured X-DOMO-Developer-Token header." in err
    assert_no_secret("sim serve output", out, err)
    assert state.exists(), err
    assert_no_secret(str(state), state.read_bytes())


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
