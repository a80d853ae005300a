"""A cheaper idle-connection check for the connection pools of httpx's own transports."""

from __future__ import annotations

import select
import socket
import ssl
from typing import Any

import httpcore
import httpx


def _readable(sock: socket.socket | None) -> bool:
    """True when a read would not block: data waiting, or the peer closed (or no socket)."""
    if sock is None or sock.fileno() < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        ready, _, _ = select.select([sock], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """A network stream that remembers its socket.

    httpcore asks every pooled connection ``get_extra_info("is_readable")`` before each
    request is assigned and after each response is closed (was the idle connection closed
    by the server?). Through anyio that rebuilds a dictionary of every socket attribute on
    each call: at 8 connections that was a fifth of the client's CPU per request.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self._inner = inner
        self._sock = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(tls, self._sock)  # TLS runs over the same socket

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._sock)
        if info == "socket" and self._sock is not None:
            return self._sock
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """Connects through httpcore's own backend and wraps each stream in ``_Stream``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(*args, **kwargs)
        return _Stream(stream, stream.get_extra_info("socket"))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(*args, **kwargs)
        return _Stream(stream, stream.get_extra_info("socket"))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def cheapen(transport: httpx.AsyncBaseTransport) -> None:
    """Put ``_Backend`` under the connection pool of one of httpx's own transports (direct or
    through a proxy: both pools connect through a network backend).

    Anything else (the simulator's in-process transport, a future httpx laying its pool
    out otherwise) is left as it is: slower, never wrong.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if (
        isinstance(transport, httpx.AsyncHTTPTransport)
        and isinstance(pool, httpcore.AsyncConnectionPool)
        and isinstance(backend, httpcore.AsyncNetworkBackend)
        and not isinstance(backend, _Backend)
    ):
        pool._network_backend = _Backend(backend)
