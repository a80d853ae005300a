"""The asyncio network backend under httpx's pools: same answers, same errors, less CPU."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import httpcore
import httpx
import pytest
import trustme

from domogov.client import DomoClient
from domogov.client.transport import AsyncioBackend, use_asyncio_backend

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def asyncio_transport(**kwargs: object) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(limits=LIMITS, **kwargs)  # type: ignore[arg-type]
    use_asyncio_backend(transport)
    return transport


def _answer(n: int) -> bytes:
    body = b'{"n": %d}' % n
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s" % (len(body), body)
    )


async def _serve(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ssl_context)


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


@pytest.fixture
async def closing_server() -> AsyncIterator[tuple[str, list[int]]]:
    """An HTTP/1.1 server that answers one request per connection with keep-alive, then
    closes the connection a moment later: a reused idle connection would find it dead."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_answer(len(connections)))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    server = await _serve(handle)
    try:
        yield f"http://127.0.0.1:{_port(server)}", connections
    finally:
        server.close()
        await server.wait_closed()


def test_the_pools_connect_through_the_asyncio_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pins httpx/httpcore's layout: should it change, requests still work (through anyio)
    # but lose the speed-up, and this test says so.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    direct = DomoClient("https://acme.domo.com", "t0ken")
    assert direct._transport is direct._http._transport  # the pool, no proxy
    assert isinstance(direct._transport._pool._network_backend, AsyncioBackend)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxied = DomoClient("https://acme.domo.com", "t0ken")
    assert proxied._transport is not proxied._http._transport
    assert isinstance(proxied._transport._pool, httpcore.AsyncHTTPProxy)
    assert isinstance(proxied._transport._pool._network_backend, AsyncioBackend)
    monkeypatch.setenv("NO_PROXY", "acme.domo.com")
    bypassed = DomoClient("https://acme.domo.com", "t0ken")
    assert bypassed._transport is bypassed._http._transport


async def test_a_connection_the_server_closed_is_not_reused(
    closing_server: tuple[str, list[int]],
) -> None:
    url, connections = closing_server
    async with httpx.AsyncClient(transport=asyncio_transport()) as client:
        first = await client.get(f"{url}/a")
        await asyncio.sleep(0.3)  # the server has closed the idle connection by now
        second = await client.get(f"{url}/b")
    assert (first.json(), second.json()) == ({"n": 1}, {"n": 2})
    assert len(connections) == 2


async def test_a_live_connection_is_reused() -> None:
    connections: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        with contextlib.suppress(asyncio.IncompleteReadError):
            for n in itertools.count(1):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_answer(n))
                await writer.drain()
        writer.close()

    server = await _serve(keep_alive)
    url = f"http://127.0.0.1:{_port(server)}"
    try:
        async with httpx.AsyncClient(transport=asyncio_transport()) as client:
            answers = [(await client.get(f"{url}/{i}")).json() for i in range(3)]
    finally:
        server.close()
        await server.wait_closed()
    assert answers == [{"n": 1}, {"n": 2}, {"n": 3}]  # one connection, three requests
    assert len(connections) == 1


async def test_tls_is_verified_against_the_trusted_authorities() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(_answer(7))
            await writer.drain()
        finally:
            writer.close()

    server = await _serve(handle, server_context)
    url = f"https://localhost:{_port(server)}/x"
    try:
        trusting = ssl.create_default_context()
        ca.configure_trust(trusting)
        async with httpx.AsyncClient(transport=asyncio_transport(verify=trusting)) as client:
            answer = await client.get(url)
            assert answer.json() == {"n": 7}  # the server speaks nothing but TLS
            # Asked once the server may have closed: asyncio's TLS transport then has no
            # answer (None), which must not be an error.
            tls = answer.extensions["network_stream"].get_extra_info("ssl_object")
            assert tls is None or isinstance(tls, ssl.SSLObject)
        # The system's authorities do not know this CA: refused before anything is sent.
        async with httpx.AsyncClient(transport=asyncio_transport()) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(url)
    finally:
        server.close()
        await server.wait_closed()


async def test_failures_are_httpx_errors_of_the_right_kind() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)  # never answers

    async def resets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"cut')
        await writer.drain()
        writer.transport.abort()  # the connection drops mid-answer

    quiet, cutting = await _serve(silent), await _serve(resets)
    free = await _serve(silent)
    closed_port = _port(free)
    free.close()
    await free.wait_closed()
    try:
        timeout = httpx.Timeout(0.3)
        async with httpx.AsyncClient(transport=asyncio_transport(), timeout=timeout) as client:
            # Not sent at all: safe to retry even a write (the client relies on this).
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{closed_port}/")
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://127.0.0.1:{_port(quiet)}/")
            with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
                await client.get(f"http://127.0.0.1:{_port(cutting)}/")
    finally:
        for server in (quiet, cutting):
            server.close()
            await server.wait_closed()


async def test_without_a_transport_to_pick_the_client_sends(
    closing_server: tuple[str, list[int]],
) -> None:
    url, _ = closing_server
    async with DomoClient(url, "t0ken", max_retries=0) as client:
        client._transport = None  # what an httpx without _transport_for_url leaves
        assert await client.get("/x") == {"n": 1}
