"""Serve the simulator over real HTTP (uvicorn) on loopback, in the foreground or a thread."""

from __future__ import annotations

import ipaddress
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from domogov.sim.faults import quiet_drop_logs


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (the simulator never serves further)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uvicorn_server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    """A quiet uvicorn server; h11, because dropped connections are verified against it."""
    if not is_loopback(host):
        raise ValueError(f"the simulator only listens on loopback, not {host!r}")
    quiet_drop_logs()
    config = uvicorn.Config(
        app, host=host, port=port, http="h11", lifespan="off", log_level="warning"
    )
    return uvicorn.Server(config)


class ThreadedServer:
    """Run the app with uvicorn in a background thread (port 0: a free port)::

    with ThreadedServer(app) as server:
        httpx.get(f"{server.url}/_sim/health")
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = uvicorn_server(app, host, port)
        self.host = host
        self.port = port
        self._thread = threading.Thread(target=self.server.run, name="domogov-sim", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
