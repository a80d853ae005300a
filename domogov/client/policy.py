"""Retry, backoff, Retry-After and secret-redaction rules for talking to Domo."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from domogov.errors import ApiError

#: Statuses worth another try for a request that is safe to repeat.
RETRY_STATUSES = frozenset({500, 502, 503, 504})

#: Domo sometimes rate-limits with a 403 carrying exactly this message instead of a 429.
RATE_LIMIT_MESSAGE = "API Rate limit reached."

#: Failures raised before any byte of the request left: safe to retry even for a write.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)

#: Transport failures that may be transient (the rest, e.g. UnsupportedProtocol, are bugs).
TRANSIENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

REDACTED = "***"

Sleep = Callable[[float], Awaitable[None]]


def is_rate_limit_message(message: str | None) -> bool:
    """True for Domo's 403 rate-limit form ("API Rate limit reached.")."""
    if not message:
        return False
    return message.strip().rstrip(".").lower() == RATE_LIMIT_MESSAGE.rstrip(".").lower()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait per a Retry-After header (delta-seconds or HTTP-date); None if absent."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (raw or URL-encoded) in text with ***."""
    if not text:
        return text
    # Longest first, so a secret containing another is replaced whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that removes registered secrets from a record's message and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add_secret(self, secret: str) -> None:
        """Register a secret (an API token) to be scrubbed from every record."""
        if secret:
            self._secrets.add(secret)

    def scrub(self, text: str) -> str:
        """``text`` without any registered secret."""
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        clean = redact(message, self._secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, so the handler prints our redacted copy.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


#: The one filter every client registers its token with.
REDACTION = RedactingFilter()


def install_redaction(*logger_names: str) -> None:
    """Attach the shared redacting filter to the named loggers and their handlers (idempotent).

    A logger's own filters only see records created on that logger, not on its children
    (``domogov.core.applier``), so the filter also goes on the handlers already attached:
    call this after configuring handlers to scrub every record they emit.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if REDACTION not in target.filters:
                target.addFilter(REDACTION)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: capped exponential backoff with jitter, or Retry-After."""

    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    sleep: Sleep | None = None
    _backoff: wait_base = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("max_retries, backoff_base and backoff_max must not be negative")
        # base * 2**(n-1) plus up to one base of jitter, so parallel retries spread out.
        backoff = wait_exponential(
            multiplier=self.backoff_base, max=self.backoff_max
        ) + wait_random(0, self.backoff_base)
        object.__setattr__(self, "_backoff", backoff)

    @property
    def max_attempts(self) -> int:
        """The first try plus the retries."""
        return self.max_retries + 1

    def wait(self, state: RetryCallState) -> float:
        """Seconds before the next try: the server's Retry-After if it gave one, else backoff."""
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.backoff_max)
        return min(float(self._backoff(state)), self.backoff_max)

    def retrying(
        self, before_sleep: Callable[[RetryCallState], None] | None = None
    ) -> AsyncRetrying:
        """A fresh tenacity controller that retries ApiErrors marked retryable."""
        kwargs = {"sleep": self.sleep} if self.sleep is not None else {}
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            retry=retry_if_exception(lambda e: isinstance(e, ApiError) and e.retryable),
            before_sleep=before_sleep,
            reraise=True,
            **kwargs,
        )
