"""The pooled transport: httpx's own, with a cheap idle-connection check that still works."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpcore
import httpx
import pytest

from domogov.client.transport import _Backend, _readable, cheapen

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4)


def pooled_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(limits=limits)
    cheapen(transport)
    return transport


def test_the_pool_gets_the_cheap_backend_once() -> None:
    # Pins httpx/httpcore's layout: should it change, the transport still works (unwrapped)
    # but loses the speed-up, and this test says so.
    transport = pooled_transport(LIMITS)
    backend = transport._pool._network_backend
    assert isinstance(backend, _Backend)
    cheapen(transport)
    assert transport._pool._network_backend is backend  # not wrapped twice


def test_readable_means_data_waiting_or_peer_gone() -> None:
    a, b = socket.socketpair()
    try:
        assert _readable(a) is False
        b.sendall(b"x")
        assert _readable(a) is True
        a.recv(1)
        assert _readable(a) is False
        b.close()
        assert _readable(a) is True  # a read would return b"": the peer closed
    finally:
        a.close()
        b.close()
    assert _readable(None) is True
    assert _readable(a) is True  # closed: fileno() is -1


@pytest.fixture
async def closing_server() -> AsyncIterator[tuple[str, list[int]]]:
    """An HTTP/1.1 server that answers one request per connection with keep-alive, then
    closes the connection a moment later: a reused idle connection would find it dead."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"n": %d}' % len(connections)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections
    finally:
        server.close()
        await server.wait_closed()


async def test_a_connection_the_server_closed_is_not_reused(
    closing_server: tuple[str, list[int]],
) -> None:
    url, connections = closing_server
    async with httpx.AsyncClient(transport=pooled_transport(LIMITS)) as client:
        first = await client.get(f"{url}/a")
        await asyncio.sleep(0.3)  # the server has closed the idle connection by now
        second = await client.get(f"{url}/b")
    assert (first.json(), second.json()) == ({"n": 1}, {"n": 2})
    assert len(connections) == 2


def test_requests_go_to_the_transport_httpx_would_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    from domogov.client import DomoClient

    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    direct = DomoClient("https://acme.domo.com", "t0ken")
    assert direct._transport is direct._http._transport  # the pool, no proxy
    assert isinstance(direct._transport._pool._network_backend, _Backend)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxied = DomoClient("https://acme.domo.com", "t0ken")
    assert proxied._transport is not proxied._http._transport
    assert isinstance(proxied._transport._pool, httpcore.AsyncHTTPProxy)
    assert isinstance(proxied._transport._pool._network_backend, _Backend)
    monkeypatch.setenv("NO_PROXY", "acme.domo.com")
    bypassed = DomoClient("https://acme.domo.com", "t0ken")
    assert bypassed._transport is bypassed._http._transport


async def test_without_a_transport_to_pick_the_client_sends(
    closing_server: tuple[str, list[int]],
) -> None:
    from domogov.client import DomoClient

    url, _ = closing_server
    async with DomoClient(url, "t0ken", max_retries=0) as client:
        client._transport = None  # what an httpx without _transport_for_url leaves
        assert await client.get("/x") == {"n": 1}
