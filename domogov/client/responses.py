"""Turn Domo's answers (and failures to answer) into parsed JSON or the matching ApiError.

Failures no retry can mend are not retried: a 401 (the token), a host name that does not
resolve, and a TLS handshake or certificate refusal. Their messages name the host and the
reason, never the token.
"""

from __future__ import annotations

import html
import json
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from domogov.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
)

from .policy import (
    NOT_SENT_ERRORS,
    RETRY_STATUSES,
    TRANSIENT_ERRORS,
    is_rate_limit_message,
    parse_retry_after,
    redact,
)

EXCERPT_CHARS = 200
_ERROR_BODY_KEYS = {"status", "statusReason", "message", "toe", "path", "timestamp", "error"}
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_DROP_BLOCKS = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)

AUTH_HINT = (
    "Domo refused the token: it is missing, wrong or expired. Set DOMO_TOKEN (or use "
    "--token-file) to a valid developer token for this instance"
)
AMBIGUOUS_HINT = "the write may or may not have been applied; read back before retrying"


@dataclass(frozen=True)
class Call:
    """One try of one request: what error messages need to say, and the secrets to keep out."""

    method: str
    path: str
    idempotent: bool
    attempt: int
    max_attempts: int
    secrets: tuple[str, ...]

    def error(
        self,
        cls: type[ApiError],
        detail: str,
        *,
        status: int | None = None,
        domo_message: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> ApiError:
        """Build an ApiError from redacted text; note the give-up on a final retryable try."""
        will_retry = cls.retryable if retryable is None else retryable
        if will_retry and self.attempt >= self.max_attempts and self.max_attempts > 1:
            detail = f"{detail} (gave up after {self.attempt} attempts)"
        err = cls(
            redact(detail, self.secrets),
            method=self.method,
            path=redact(self.path, self.secrets),
            status=status,
            domo_message=redact(domo_message, self.secrets) if domo_message else domo_message,
        )
        if retryable is not None:
            err.retryable = retryable
        err.retry_after = retry_after  # type: ignore[attr-defined]  # read by RetryPolicy.wait
        return err


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line, tag-free excerpt of a plain-text or HTML body."""
    title = _TITLE.search(text)
    if title and title.group(1).strip():
        text = title.group(1)
    else:
        text = _TAG.sub(" ", _DROP_BLOCKS.sub(" ", text))
    text = html.unescape(text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse(content: bytes) -> Any:
    return json.loads(content)


def is_error_body(data: Any) -> bool:
    """Domo's error shape {status: 4xx/5xx, statusReason, message, toe}, even inside a 200."""
    if not isinstance(data, dict):
        return False
    status = data.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        return False
    return ("statusReason" in data or "message" in data) and set(data) <= _ERROR_BODY_KEYS


def domo_message(response: httpx.Response, secrets: tuple[str, ...] = ()) -> str:
    """Domo's own message from an error answer: the JSON message, or a sanitised excerpt.

    ``secrets`` are removed before the text is cut: an excerpt that ends inside a token
    echoed by the server would otherwise keep its first characters, which no later
    redaction of the whole token can find.
    """
    if not response.content.strip():
        return response.reason_phrase or ""
    text = redact(response.text, secrets)
    try:
        data = _parse(response.content)
    except ValueError:
        return excerpt(text)
    if isinstance(data, dict):
        for key in ("message", "statusReason", "error"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return excerpt(redact(value, secrets), 500)
    return excerpt(text)


def decode(response: httpx.Response, call: Call) -> Any:
    """Parsed JSON of a 2xx answer (None when empty), or raise the matching ApiError."""
    status = response.status_code
    if not 200 <= status < 300:
        message = domo_message(response, call.secrets)
        raise status_error(status, message, response.headers, call)
    if not response.content.strip():
        return None
    try:
        data = _parse(response.content)
    except ValueError:
        shown = excerpt(redact(response.text, call.secrets)) or "(undecodable bytes)"
        detail = f"expected JSON, got: {shown}"
        raise call.error(ResponseFormatError, detail, status=status) from None
    if is_error_body(data):
        # Domo sometimes answers 200 with an error body; it means the error, not success.
        message = data.get("message") or data.get("statusReason") or ""
        raise status_error(int(data["status"]), str(message), response.headers, call)
    return data


def status_error(
    status: int, message: str, headers: httpx.Headers | dict[str, str], call: Call
) -> ApiError:
    """The ApiError for an error status; 5xx on a non-idempotent write is ambiguous."""
    retry_after = parse_retry_after(httpx.Headers(headers).get("retry-after"))
    shown = message or "(no message)"
    kw: dict[str, Any] = {"status": status, "domo_message": message or None}
    if status == 401:
        return call.error(AuthError, AUTH_HINT, **kw)
    if status == 429 or (status == 403 and is_rate_limit_message(message)):
        return call.error(RateLimitedError, f"rate limited: {shown}", retry_after=retry_after, **kw)
    if status == 403:
        return call.error(PermissionDeniedError, f"permission denied: {shown}", **kw)
    if status == 404:
        return call.error(NotFoundError, f"not found: {shown}", **kw)
    if status == 409 or (status == 400 and "already exists" in message.lower()):
        return call.error(ConflictError, f"conflict: {shown}", **kw)
    if 400 <= status < 500:
        return call.error(BadRequestError, f"request refused: {shown}", **kw)
    if 500 <= status < 600:
        if not call.idempotent:
            # The server may have committed before failing: never repeat a write blindly.
            return call.error(
                AmbiguousWriteError, f"server error ({shown}); {AMBIGUOUS_HINT}", **kw
            )
        return call.error(
            ServerError,
            f"server error: {shown}",
            retryable=status in RETRY_STATUSES,
            retry_after=retry_after,
            **kw,
        )
    # httpx does not follow redirects here (the token header must not travel elsewhere).
    return call.error(ResponseFormatError, f"unexpected answer: {shown}", **kw)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it (httpx wraps httpcore's error, which wraps the OSError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


#: A handshake the connection dropped in the middle of (a reset, an overloaded balancer): no
#: verdict on the certificate or the protocol, so it may well work on the next try.
_CUT_HANDSHAKE = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


def permanent_connect_failure(exc: BaseException, host: str) -> str | None:
    """Why connecting to ``host`` can never work by trying again, or None if it might.

    A name that does not resolve (``socket.gaierror``) and a TLS handshake the client refused
    (an untrusted or wrong certificate, no common protocol) stay so for the whole run:
    retrying them only delays the error (seven tries over ~34 s before).
    """
    if not isinstance(exc, httpx.ConnectError):
        return None
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            reason = cause.strerror or str(cause) or "name resolution failed"
            return (
                f"cannot resolve the host name {host} ({reason}); check --instance/--base-url "
                "and the network's DNS (or the proxy set in HTTPS_PROXY)"
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            # verify_message is set by the ssl module, not by every raiser.
            reason = getattr(cause, "verify_message", None) or str(cause)
            return (
                f"the TLS certificate of {host} was refused ({reason}); if a proxy or an "
                "internal CA signs it, point SSL_CERT_FILE at that CA bundle"
            )
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, _CUT_HANDSHAKE):
            reason = getattr(cause, "reason", None) or str(cause)
            return f"the TLS handshake with {host} failed ({reason})"
    return None


def transport_error(exc: Exception, call: Call, host: str = "") -> ApiError:
    """The ApiError for a request to ``host`` that got no usable HTTP answer."""
    what = f"{type(exc).__name__}: {str(exc) or 'no detail'}"
    if isinstance(exc, httpx.DecodingError):
        return call.error(ResponseFormatError, f"undecodable response ({what})")
    permanent = permanent_connect_failure(exc, host or "the API host")
    if permanent is not None:
        return call.error(TransportError, permanent, retryable=False)
    if not isinstance(exc, TRANSIENT_ERRORS):
        return call.error(TransportError, f"request failed ({what})", retryable=False)
    if isinstance(exc, NOT_SENT_ERRORS):
        return call.error(TransportError, f"could not connect ({what})", retryable=True)
    if not call.idempotent:
        return call.error(
            AmbiguousWriteError, f"connection lost after sending ({what}); {AMBIGUOUS_HINT}"
        )
    return call.error(TransportError, f"connection lost ({what})", retryable=True)
