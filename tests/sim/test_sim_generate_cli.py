"""``sim generate`` (large consistent states) and ``sim serve`` as a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from simhelpers import TOKEN_HEADER

from domogov.sim import SimState, generate_state, load_state_file
from domogov.sim.cli import sim
from domogov.sim.integrity import integrity_problems


def test_generated_states_are_consistent_and_deterministic():
    doc = generate_state(users=300, groups=30, datasets=60, alerts=25, schedules=12, seed=7)
    state = SimState.from_document(doc)  # refuses any dangling reference
    assert integrity_problems(state) == []
    assert doc == generate_state(users=300, groups=30, datasets=60, alerts=25, schedules=12, seed=7)
    assert doc != generate_state(users=300, groups=30, datasets=60, alerts=25, schedules=12, seed=8)
    assert doc["users"][41]["emailAddress"] == "user00042@example.com"
    assert doc["groups"][11]["name"].startswith("grp-0012 ")
    assert state.users[doc["me"]].role_id == 1
    assert {r["id"] for r in doc["roles"]} >= {1, 2, 3, 4, 5}


def test_generate_writes_a_large_json_state_quickly(tmp_path: Path):
    out = tmp_path / "big.json"
    args = ["generate", "--users", "20000", "--groups", "2000", "--datasets", "5000"]
    result = CliRunner().invoke(sim, [*args, "--members-per-group", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "20000 users" in result.output
    json.loads(out.read_text())  # JSON because of the extension
    state = load_state_file(out)  # every referenced id exists, or loading fails
    assert (len(state.users), len(state.groups), len(state.datasets)) == (20000, 2000, 5000)
    mean = sum(len(g.members) for g in state.groups.values()) / len(state.groups)
    assert 30 <= mean <= 50


def test_generate_writes_yaml_for_other_names(tmp_path: Path):
    out = tmp_path / "small.yaml"
    result = CliRunner().invoke(
        sim, ["generate", "--users", "20", "--groups", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("token: ")
    assert len(load_state_file(out).users) == 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_and_saves_state_on_shutdown(tmp_path: Path):
    state_file = tmp_path / "served.yaml"
    port = _free_port()
    code = "from domogov.sim.cli import sim; sim()"
    cmd = [sys.executable, "-c", code, "serve", "--port", str(port), "--state", str(state_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_sim/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
                time.sleep(0.05)
        with httpx.Client(base_url=url, headers=TOKEN_HEADER) as client:
            assert client.put("/api/content/v2/groups/501/user/1004").json() is True
    finally:
        proc.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in out
    assert "X-DOMO-Developer-Token: domogov-sim" in err  # the built-in default may be shown
    assert 1004 in load_state_file(state_file).groups[501].members


def test_serve_never_prints_a_custom_token(tmp_path: Path):
    port = _free_port()
    code = "from domogov.sim.cli import sim; sim()"
    cmd = [sys.executable, "-c", code, "serve", "--port", str(port), "--token", "s3cret-value"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/content/v2/users/me", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        assert response.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "s3cret-value" not in out + err
    assert "token" in err.lower()


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
