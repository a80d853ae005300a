"""``sim serve --instance a --instance b``: several instances, each with its own token and state."""

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sim_serves_each_instance_with_its_own_token_and_state(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DOMOGOV_SIM_TOKEN_ACME_EMEA": "emea-secret"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "domogov",
            "sim",
            "serve",
            "--port",
            str(port),
            "--instance",
            "acme",
            "--instance",
            "acme-emea",
            "--state-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # until it listens (bounded: 200 tries)
            try:
                httpx.get(f"{base}/acme/_sim/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        me = "/api/content/v2/users/me"

        def get(instance: str, token: str) -> int:
            headers = {"X-DOMO-Developer-Token": token}
            return httpx.get(f"{base}/{instance}{me}", headers=headers, timeout=5).status_code

        assert get("acme", "sim-token-acme") == 200
        assert get("acme-emea", "emea-secret") == 200
        # One instance's token is refused by the other.
        assert get("acme-emea", "sim-token-acme") == 401
        assert get("acme", "emea-secret") == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"acme-emea: http://127.0.0.1:{port}/acme-emea" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-emea.json", "acme.json"]


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
