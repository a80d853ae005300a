"""An asyncio network backend for the connection pools of httpx's own transports.

httpcore reaches the network through a pluggable backend; under asyncio its default goes
through anyio, which on every read and write opens a cancel scope, maps exceptions through a
context manager, toggles the transport's reading on and off (two ``epoll_ctl`` system calls
per read), and answers "is this idle connection still alive?" by rebuilding a dictionary of
every socket attribute. At a few thousand small requests per plan that was about a third of
the client's CPU. This backend does the same work with asyncio's streams directly, raising
the same httpcore exceptions, so everything above it (httpcore's pool, httpx's errors, our
retry rules) behaves as before. httpcore's maintainers discuss the same change upstream
(encode/httpcore#930).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

SocketOption = tuple[int, int, int | bytes] | tuple[int, int, None, int]
#: httpcore's names for what a stream can tell, and asyncio's.
_EXTRA = {
    "ssl_object": "ssl_object",
    "client_addr": "sockname",
    "server_addr": "peername",
    "socket": "socket",
}


class _Stream(httpcore.AsyncNetworkStream):
    """One connection, as an asyncio stream pair."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)  # b"" once the server closed
        except TimeoutError:
            raise httpcore.ReadTimeout("timed out reading the response") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                if self._writer.is_closing():
                    raise ConnectionResetError("the connection is closed")
                self._writer.write(buffer)
                await self._writer.drain()  # returns at once unless the kernel pushes back
        except TimeoutError:
            raise httpcore.WriteTimeout("timed out sending the request") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):  # closing a connection that already failed
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            await self._writer.start_tls(
                ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=timeout
            )
        except TimeoutError:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except OSError as exc:  # ssl.SSLError (a certificate refused) is an OSError
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self  # the same streams, now over TLS

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._is_readable()
        name = _EXTRA.get(info)
        if name is None:
            return None
        try:
            return self._writer.get_extra_info(name)
        except AttributeError:  # asyncio's TLS transport, once closed, has no answer left
            return None

    def _is_readable(self) -> bool:
        """True when the connection cannot serve another request: the server closed it, it
        failed, or bytes arrived that no request asked for. asyncio reads the socket as data
        comes, so the stream's state, not the socket, tells (and costs no system call)."""
        reader = self._reader
        if reader.at_eof() or reader.exception() is not None or self._writer.is_closing():
            return True
        return bool(getattr(reader, "_buffer", b""))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens connections with asyncio; errors as httpcore's own backends raise them."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        reader, writer = await self._connect(
            asyncio.open_connection(host, port, local_addr=local), timeout
        )
        _set_options(writer, socket_options)  # asyncio sets TCP_NODELAY itself
        return _Stream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        reader, writer = await self._connect(asyncio.open_unix_connection(path), timeout)
        _set_options(writer, socket_options)
        return _Stream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @staticmethod
    async def _connect(
        opening: Any, timeout: float | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await opening
        except TimeoutError:
            raise httpcore.ConnectTimeout("timed out connecting") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return reader, writer


def _set_options(writer: asyncio.StreamWriter, options: Iterable[SocketOption] | None) -> None:
    sock: socket.socket | None = writer.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)


def use_asyncio_backend(transport: httpx.AsyncBaseTransport) -> None:
    """Connect the pool of one of httpx's own transports (direct, or through a proxy: both
    pools connect through a network backend) with ``AsyncioBackend``.

    Anything else (the simulator's in-process transport, a future httpx laying its pool out
    otherwise) is left as it is: slower, never wrong. Call it before the first request.
    """
    pool = getattr(transport, "_pool", None)
    if (
        isinstance(transport, httpx.AsyncHTTPTransport)
        and isinstance(pool, httpcore.AsyncConnectionPool)
        and isinstance(getattr(pool, "_network_backend", None), httpcore.AsyncNetworkBackend)
    ):
        pool._network_backend = AsyncioBackend()
