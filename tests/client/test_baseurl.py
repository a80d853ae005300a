"""Base URL rules: --instance, --base-url, and the refusal of plain http:// off loopback."""

from __future__ import annotations

import httpx
import pytest

from domogov.client import DomoClient, resolve_base_url
from domogov.errors import UsageError


@pytest.mark.parametrize(
    ("instance", "expected"),
    [("acme", "https://acme.domo.com"), ("Acme-Corp2", "https://acme-corp2.domo.com")],
)
def test_instance_name_becomes_domo_host(instance: str, expected: str) -> None:
    assert resolve_base_url(instance, None) == expected


@pytest.mark.parametrize(
    "instance", ["acme.domo.com", "ac me", "-acme", "acme-", "a/b", "evil.com#", "ä"]
)
def test_instance_name_with_other_characters_is_refused(instance: str) -> None:
    with pytest.raises(UsageError, match="letters, digits and hyphens"):
        resolve_base_url(instance, None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.domo.com", "https://acme.domo.com"),
        ("https://proxy.example.com:8443/domo/", "https://proxy.example.com:8443/domo"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://localhost:8765/", "http://localhost:8765"),
        ("http://[::1]:8765", "http://[::1]:8765"),
    ],
)
def test_https_anywhere_and_http_on_loopback_are_accepted(url: str, expected: str) -> None:
    assert resolve_base_url(None, url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.domo.com",
        "http://10.0.0.5:8765",
        "http://128.0.0.1",
        "http://127.0.0.1.evil.com",
        "http://[::2]:80",
        "http://0.0.0.0:8765",
    ],
)
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="refusing plain http://"):
        resolve_base_url(None, url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://acme.domo.com",
        "acme.domo.com",
        "https://",
        "https://u:p@acme.domo.com",
        "https://a.b?x=1",
    ],
)
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        resolve_base_url(None, url)


def test_base_url_wins_over_instance() -> None:
    assert resolve_base_url("acme", "http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_neither_instance_nor_base_url_names_every_way_to_give_one() -> None:
    with pytest.raises(UsageError) as err:
        resolve_base_url(None, None)
    text = str(err.value)
    assert "--instance" in text and "DOMO_INSTANCE" in text and "--base-url" in text


async def test_client_applies_the_same_rules() -> None:
    with pytest.raises(UsageError, match="refusing plain http://"):
        DomoClient("http://acme.domo.com", "tok")


async def test_absolute_url_as_path_is_refused_so_the_token_stays_home() -> None:
    async with DomoClient("http://localhost", "tok") as client:
        for bad in ("https://evil.example.com/x", "//evil.example.com/x", "api/x"):
            with pytest.raises(ValueError, match="API path"):
                await client.get(bad)


async def test_a_base_url_path_prefix_is_kept_for_every_call() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(handler)
    async with DomoClient("https://proxy.example.com/domo/", "tok", transport=transport) as client:
        await client.get("/api/content/v2/users/me")
    assert seen == ["https://proxy.example.com/domo/api/content/v2/users/me"]
