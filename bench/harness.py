"""Processes the benchmark drives: the simulator, the domogov CLI (timed), a rate-limit proxy."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    """A port free on loopback right now (the simulator binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after ``grace`` s."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Simulator:
    """``python -m domogov sim serve`` in its own process group on a free loopback port."""

    def __init__(
        self,
        state_file: Path | None,
        latency_ms: float,
        log_file: Path,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.state_file = state_file
        self.latency_ms = latency_ms
        self.log_file = log_file
        #: More ``sim serve`` options: ``--rate-limit-per-minute N``, ``--instance A ...``.
        self.extra_args = list(extra_args or [])
        self.env = env  # None: this process's environment
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        #: Where readiness is asked (a fleet server answers under /NAME/_sim/health).
        self.health_path = "/_sim/health"

    def start(self, timeout: float = 180.0) -> None:
        for _ in range(3):  # the port may be taken between free_port() and the bind
            port = free_port()
            self.url = f"http://{HOST}:{port}"
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "domogov",
                        "sim",
                        "serve",
                        "--host",
                        HOST,
                        "--port",
                        str(port),
                        *(["--state", str(self.state_file)] if self.state_file else []),
                        "--latency-ms",
                        str(self.latency_ms),
                        *self.extra_args,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    env=self.env,
                )
            if self._wait_ready(timeout):
                return
            self.stop()
        raise RuntimeError(f"the simulator did not start; see {self.log_file}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}{self.health_path}", timeout=2).status_code == 200:
                    return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop the server and everything in its process group (it saves state on exit)."""
        if self.proc is not None:
            _kill_group(self.proc, grace=60)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = httpx.get(f"{self.url}/_sim/stats", timeout=30).json()
        return stats

    def reset_stats(self) -> None:
        httpx.post(f"{self.url}/_sim/stats/reset", timeout=30).raise_for_status()


@dataclass
class CliRun:
    """One timed run of the domogov CLI: wall clock, and the process's own rusage."""

    argv: list[str]
    exit_code: int
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["cpu_s"] = round(self.cpu_s, 3)
        for key in ("wall_s", "user_s", "sys_s", "peak_rss_mb"):
            doc[key] = round(doc[key], 3)
        return doc


class CliRunner:
    """Runs ``python -m domogov ...`` as a child and reaps it with ``wait4`` (its own rusage)."""

    def __init__(self, env: dict[str, str], out_dir: Path) -> None:
        self.env = env
        self.out_dir = out_dir
        self.current: subprocess.Popen[bytes] | None = None

    def run(
        self, name: str, args: list[str], timeout: float, prefix: list[str] | None = None
    ) -> CliRun:
        argv = [sys.executable, "-m", *(prefix or []), "domogov", *args]
        out_path, err_path = self.out_dir / f"{name}.out", self.out_dir / f"{name}.err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(
                argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env
            )
            self.current = proc
            try:
                status, usage = self._reap(proc, started + timeout)
            except BaseException:  # interrupted or timed out: never leave the child behind
                self.kill_current()
                raise
            finally:
                self.current = None
            wall = time.perf_counter() - started
        return CliRun(
            argv=argv[1:],
            exit_code=os.waitstatus_to_exitcode(status),
            wall_s=wall,
            user_s=usage.ru_utime,
            sys_s=usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,  # Linux: kilobytes
            stdout=str(out_path),
            stderr=str(err_path),
        )

    @staticmethod
    def _reap(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int, Any]:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return status, usage
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                raise TimeoutError(f"{proc.args!r} ran past its time limit")
            time.sleep(0.005)

    def kill_current(self) -> None:
        """Kill the CLI child still running, if any (and reap it)."""
        proc = self.current
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(ChildProcessError, subprocess.TimeoutExpired):
                proc.wait(timeout=10)


class RateLimitProxy:
    """A loopback reverse proxy that enforces Domo-style rate limiting in front of the simulator.

    A token bucket of ``rate`` tokens per second holding at most ``burst``: a request finding
    it empty is answered ``429`` with ``Retry-After: 1`` (and never reaches the simulator).
    """

    def __init__(self, upstream: str, rate: float, burst: float = 2.0) -> None:
        self.upstream = upstream
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = time.monotonic()
        self.arrivals: list[float] = []
        self.answered_429 = 0
        self.forwarded = 0
        self._client: httpx.AsyncClient | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"].startswith("/api/"):
            self.arrivals.append(now)
            if self.tokens < 1:
                self.answered_429 += 1
                payload = (
                    b'{"status":429,"statusReason":"Too Many Requests",'
                    b'"message":"API Rate limit reached.","toe":"BENCH-PROXY"}'
                )
                await _respond(send, 429, payload, [(b"retry-after", b"1")])
                return
            self.tokens -= 1
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=60)
        skip = {b"host", b"content-length", b"connection", b"transfer-encoding"}
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in skip]
        target = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        answer = await self._client.request(scope["method"], target, content=body, headers=headers)
        self.forwarded += 1
        extra = (
            [(b"retry-after", answer.headers["retry-after"].encode())]
            if "retry-after" in answer.headers
            else []
        )
        ctype = answer.headers.get("content-type", "application/json").encode()
        await _respond(send, answer.status_code, answer.content, [(b"content-type", ctype), *extra])

    def peak_per_second(self) -> int:
        """The most requests that arrived within any one-second window."""
        best, start = 0, 0
        times = self.arrivals
        for end in range(len(times)):
            while times[end] - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def __enter__(self) -> RateLimitProxy:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(self, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the rate-limit proxy did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()


async def _respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    if not any(k == b"content-type" for k, _ in headers):
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
