"""The client over real sockets on 127.0.0.1: TLS, connect errors, timeouts, cut answers and
proxies from the environment, all through httpx's own transport."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import trustme
from clientkit import TOKEN, SleepRecorder

from domogov.client import DomoClient
from domogov.errors import AmbiguousWriteError, TransportError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def _answer(n: int) -> bytes:
    body = b'{"id": %d}' % n
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s" % (len(body), body)
    )


@contextlib.asynccontextmanager
async def serving(
    handler: Handler, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Serve ``handler`` on a free 127.0.0.1 port; yield the port; stop at exit."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ssl_context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def client_for(url: str, **options: object) -> DomoClient:
    settings: dict[str, object] = {"sleep": SleepRecorder(), "max_retries": 1}
    settings.update(options)
    return DomoClient(url, TOKEN, **settings)  # type: ignore[arg-type]


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    connections: list[int] = []

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_answer(len(connections)))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()  # keep-alive announced, then closed: a stale idle connection

    async with serving(answer_once) as port, client_for(f"http://127.0.0.1:{port}") as client:
        first = await client.get("/a")
        await asyncio.sleep(0.3)  # the server has closed the idle connection by now
        second = await client.get("/b")
    assert (first, second) == ({"id": 1}, {"id": 2})
    assert client.retries == 0  # noticed before sending, not after a failure


async def test_a_live_connection_is_reused() -> None:
    connections: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionResetError):
            for n in itertools.count(1):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_answer(n))
                await writer.drain()
        writer.close()

    async with serving(keep_alive) as port, client_for(f"http://127.0.0.1:{port}") as client:
        answers = [await client.get(f"/{i}") for i in range(3)]
    assert answers == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert len(connections) == 1


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


async def _tls_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_answer(7))
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError, ssl.SSLError):
        pass  # the client refused the handshake
    finally:
        writer.close()


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context


async def test_tls_is_verified_against_ssl_cert_file(
    ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # read by httpx when the client is made
    async with (
        serving(_tls_answer, _server_context(ca)) as port,
        client_for(f"https://localhost:{port}") as client,
    ):
        assert await client.get("/x") == {"id": 7}  # the server speaks nothing but TLS


async def test_an_untrusted_certificate_fails_at_once_naming_the_host(ca: trustme.CA) -> None:
    async with (
        serving(_tls_answer, _server_context(ca)) as port,
        client_for(f"https://localhost:{port}", max_retries=3) as client,
    ):
        with pytest.raises(TransportError, match="TLS certificate of localhost") as err:
            await client.get("/x")
    assert "unable to get local issuer certificate" in str(err.value)  # the reason, from ssl
    assert client.retries == 0 and client.stats["GET /x"] == 1  # one try
    assert TOKEN not in str(err.value)


async def _closed_port() -> int:
    async with serving(_tls_answer) as port:
        pass
    return port  # closed again: connecting is refused


async def test_connection_refused_is_retried_then_reported() -> None:
    sleep = SleepRecorder()
    url = f"http://127.0.0.1:{await _closed_port()}"
    async with client_for(url, max_retries=2, sleep=sleep) as client:
        with pytest.raises(TransportError, match="could not connect"):
            await client.get("/x")
    assert len(sleep.waits) == 2 and client.stats["GET /x"] == 3


async def test_a_server_that_never_answers_times_out_and_is_retried() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)  # never answers
        writer.close()

    async with (
        serving(silent) as port,
        client_for(f"http://127.0.0.1:{port}", timeout=0.2) as client,
    ):
        with pytest.raises(TransportError, match=r"connection lost \(ReadTimeout"):
            await client.get("/x")
    assert client.stats["GET /x"] == 2


async def test_an_answer_cut_mid_body_is_lost_for_a_read_and_ambiguous_for_a_write() -> None:
    async def cuts(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"cut')
        await writer.drain()
        writer.transport.abort()  # the connection drops mid-answer

    async with serving(cuts) as port, client_for(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(TransportError, match="connection lost"):
            await client.get("/x")
        with pytest.raises(AmbiguousWriteError, match="connection lost after sending"):
            await client.post("/x", json={"name": "n"})
    assert client.stats["GET /x"] == 2 and client.stats["POST /x"] == 1


class Proxy:
    """A forward proxy stand-in: records each request head and answers it itself."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            if head.startswith(b"CONNECT "):
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(_answer(42))
            await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


async def test_http_proxy_and_no_proxy_from_the_environment_are_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = Proxy()
    direct: list[int] = []

    async def origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        direct.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_answer(1))
        await writer.drain()
        writer.close()

    async with serving(proxy) as proxy_port, serving(origin) as origin_port:
        url = f"http://127.0.0.1:{origin_port}"
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        async with client_for(url) as client:
            assert await client.get("/api/x") == {"id": 42}  # the proxy answered
        assert proxy.heads[0].startswith(f"GET {url}/api/x HTTP/1.1".encode())
        assert direct == []
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with client_for(url) as client:
            assert await client.get("/api/x") == {"id": 1}  # straight to the origin
        assert len(proxy.heads) == 1 and direct == [1]


async def test_https_goes_through_the_proxys_tunnel_without_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = Proxy()
    async with serving(proxy) as proxy_port:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        async with client_for("https://acme.domo.com") as client:
            with pytest.raises(TransportError):  # this proxy refuses the tunnel
                await client.get("/api/x")
    (head,) = proxy.heads
    assert head.startswith(b"CONNECT acme.domo.com:443 HTTP/1.1")
    assert TOKEN.encode() not in head  # the token only ever travels inside the tunnel
