"""Failures no retry can mend fail at once, with the reason: DNS, TLS, 401; the rest retry."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest
from clientkit import TOKEN, ClientFactory, Sim, SleepRecorder

from domogov.client import DomoClient
from domogov.errors import AuthError, ResponseFormatError, ServerError, TransportError

ME = "/api/content/v2/users/me"
HOST = "acme.domo.com"


def raising(exc: Exception) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport failing every request with ``exc``; and the requests it was given."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise exc

    return httpx.MockTransport(handler), calls


def connect_error(cause: BaseException) -> httpx.ConnectError:
    """An httpx.ConnectError caused by ``cause``, as httpx raises it (cause chained)."""
    try:
        raise httpx.ConnectError(str(cause)) from cause
    except httpx.ConnectError as exc:
        return exc


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (socket.gaierror(-2, "Name or service not known"), f"cannot resolve the host name {HOST}"),
        (socket.gaierror(-3, "Temporary failure in name resolution"), "cannot resolve"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "TLS certificate"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS handshake"),
    ],
)
async def test_dns_and_tls_failures_fail_after_one_attempt(
    cause: BaseException, expected: str
) -> None:
    transport, calls = raising(connect_error(cause))
    sleep = SleepRecorder()
    client = DomoClient(f"https://{HOST}", TOKEN, transport=transport, sleep=sleep)
    async with client:
        with pytest.raises(TransportError, match=expected) as err:
            await client.get(ME)
    assert len(calls) == 1 and client.retries == 0 and sleep.waits == []
    assert not err.value.retryable
    assert "gave up" not in str(err.value)
    assert TOKEN not in str(err.value)


@pytest.mark.parametrize(
    "cause",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),  # a handshake cut short
    ],
)
async def test_other_connect_failures_still_retry(cause: BaseException) -> None:
    transport, calls = raising(connect_error(cause))
    client = DomoClient(
        f"https://{HOST}", TOKEN, transport=transport, sleep=SleepRecorder(), max_retries=2
    )
    async with client:
        with pytest.raises(TransportError, match="could not connect"):
            await client.get(ME)
    assert len(calls) == 3


async def test_a_name_under_invalid_really_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # .invalid never resolves (RFC 6761); https because plain http is for loopback only.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    sleep = SleepRecorder()
    async with DomoClient("https://nohost.invalid", TOKEN, sleep=sleep) as client:
        with pytest.raises(TransportError, match=r"cannot resolve the host name nohost\.invalid"):
            await client.check_connection()
    assert client.stats[f"GET {ME}"] == 1 and sleep.waits == []


async def test_a_refused_token_fails_at_once(sim: Sim, make_client: ClientFactory) -> None:
    client = make_client(token="not-the-token")
    with pytest.raises(AuthError, match="DOMO_TOKEN"):
        await client.check_connection()
    assert client.retries == 0
    assert await sim.hits(f"GET {ME}") == 1


async def test_check_connection_returns_the_tokens_user(
    sim: Sim, make_client: ClientFactory
) -> None:
    client = make_client()
    me = await client.check_connection()
    assert me["id"] == 1001 and me["emailAddress"] == "u1@example.com"
    assert await sim.hits(f"GET {ME}") == 1


async def test_check_connection_rides_out_a_transient_failure(
    sim: Sim, make_client: ClientFactory
) -> None:
    await sim.script("503", count=1, method="GET", path=ME)
    client = make_client()
    assert (await client.check_connection())["id"] == 1001
    assert client.retries == 1


async def test_check_connection_refuses_an_answer_without_the_user() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    async with DomoClient("http://localhost", TOKEN, transport=transport) as client:
        with pytest.raises(ResponseFormatError, match="object with an id"):
            await client.check_connection()


async def test_a_server_error_that_persists_is_retried_then_raised() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, text="bad gateway")

    client = DomoClient(
        "http://localhost",
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=SleepRecorder(),
        max_retries=2,
    )
    async with client:
        with pytest.raises(ServerError, match="gave up after 3 attempts"):
            await client.check_connection()
    assert len(calls) == 3
