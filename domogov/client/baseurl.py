"""Where the API lives: --instance NAME or --base-url URL, and the plain-http refusal."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from domogov.errors import UsageError

_INSTANCE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(instance: str | None, base_url: str | None) -> str:
    """The API root from --instance NAME or --base-url URL (the URL wins if both are set).

    Plain http:// is allowed only to a loopback host (the simulator): anywhere else the
    token would cross the network in clear text.
    """
    if base_url:
        parts = urlsplit(base_url.strip())
        scheme = parts.scheme.lower()
        try:
            host = parts.hostname or ""
            parts.port  # noqa: B018  # raises ValueError for a bad port
        except ValueError:
            raise UsageError(f"--base-url {base_url!r} has an invalid port") from None
        if scheme not in ("http", "https") or not host:
            raise UsageError(
                f"--base-url {base_url!r} is not an http(s) URL; "
                "use e.g. https://acme.domo.com or http://127.0.0.1:8765 for the simulator"
            )
        if parts.username or parts.password:
            raise UsageError(
                "--base-url must not contain credentials; the token goes in DOMO_TOKEN"
            )
        if parts.query or parts.fragment:
            raise UsageError(f"--base-url {base_url!r} must not have a query or fragment")
        if scheme == "http" and not _is_loopback(host):
            raise UsageError(
                f"refusing plain http:// to {host}: the API token would be sent unencrypted. "
                "Use https://, or http:// only to a loopback address (127.0.0.1, ::1, localhost)"
            )
        return f"{scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    if instance:
        name = instance.strip()
        if not _INSTANCE_NAME.match(name):
            raise UsageError(
                f"invalid instance name {instance!r}: use only letters, digits and hyphens "
                "(acme for https://acme.domo.com), or give the full URL with --base-url"
            )
        return f"https://{name.lower()}.domo.com"
    raise UsageError(
        "no Domo instance given: pass --instance NAME (or set DOMO_INSTANCE, or `instance:` in "
        "domogov.yaml), or --base-url URL"
    )
