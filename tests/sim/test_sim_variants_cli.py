"""``domogov sim serve --variant NAME --rate-limit-per-minute N`` as a real process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from simhelpers import TOKEN_HEADER

from domogov.sim.cli import sim


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_unknown_variant_is_a_usage_error_listing_the_valid_ones():
    result = CliRunner().invoke(sim, ["serve", "--variant", "cert_state_maybe"])
    assert result.exit_code == 2
    assert "unknown variant(s) 'cert_state_maybe'" in result.output
    assert "cert_state_null" in result.output and "rate_limit_per_minute" in result.output


def test_serve_with_variants_and_a_rate_limit():
    port = _free_port()
    code = "from domogov.sim.cli import sim; sim()"
    args = ["serve", "--port", str(port), "--variant", "cert_state_null"]
    args += ["--variant", "alerts_no_subscriptions", "--rate-limit-per-minute", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                variants = httpx.get(f"{url}/_sim/variants", timeout=1).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        assert variants["enabled"] == [
            "cert_state_null",
            "alerts_no_subscriptions",
            "rate_limit_per_minute",
        ]
        assert variants["rate_limit_per_minute"] == 2
        with httpx.Client(base_url=url, headers=TOKEN_HEADER) as client:
            # Five requests fit in at most two one-minute windows: at most four are admitted.
            answers = [client.get("/api/content/v2/users/me") for _ in range(5)]
        refused = [a for a in answers if a.status_code == 429]
        assert refused and all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "Variants on: cert_state_null, alerts_no_subscriptions, rate_limit_per_minute" in err


# Subprocesses (the CLI, sim serve, actionlint, check-jsonschema): CI runs these; the fast
# loop (-m "not slow") leaves them out.
pytestmark = pytest.mark.slow
