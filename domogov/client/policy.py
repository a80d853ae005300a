"""Retry, backoff, Retry-After and secret-redaction rules for talking to Domo.

Rate limits are not waited out here, request by request: ``RetryPolicy.wait`` returns 0 for a
rate-limited try, and the client's SharedPause (``pause.py``) holds that retry together with
every other request of the run. ``RetryPolicy.rate_limit_pause`` says how long: the server's
Retry-After up to ``max_retry_after`` (120 s), else the same capped backoff with jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from domogov.errors import ApiError, RateLimitedError

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

#: The longest Retry-After honoured; a longer one (or a date far ahead) is cut to this.
MAX_RETRY_AFTER = 120.0

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
    """How often and how long to retry: capped exponential backoff with jitter, or Retry-After.

    ``backoff_max`` caps the backoff and a server error's Retry-After; a rate limit's
    Retry-After is honoured up to ``max_retry_after`` (see ``rate_limit_pause``).
    """

    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    sleep: Sleep | None = None
    max_retry_after: float = MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        values = (self.max_retries, self.backoff_base, self.backoff_max, self.max_retry_after)
        if any(value < 0 for value in values):
            raise ValueError(
                "max_retries, backoff_base, backoff_max and max_retry_after must not be negative"
            )

    @property
    def max_attempts(self) -> int:
        """The first try plus the retries."""
        return self.max_retries + 1

    def backoff(self, attempt: int) -> float:
        """Seconds after failed try number ``attempt`` (1-based): base * 2**(attempt-1) plus up
        to one base of jitter (so parallel retries spread out), capped at ``backoff_max``."""
        exponent = min(max(attempt, 1) - 1, 60)  # 2**60 is far past any cap; no overflow
        grown = self.backoff_base * 2.0**exponent
        return min(grown + random.uniform(0, self.backoff_base), self.backoff_max)

    def rate_limit_pause(self, retry_after: float | None, attempt: int) -> float:
        """How long the whole run pauses after a rate-limit answer to try ``attempt``: the
        server's Retry-After up to ``max_retry_after``, else the backoff."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return self.backoff(attempt)

    def wait(self, state: RetryCallState) -> float:
        """Seconds before the next try of one request.

        0 after a rate limit: the shared pause, not this request, does that waiting. After a
        server error, its Retry-After if it gave one, else the backoff (both capped).
        """
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError):
            return 0.0
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.backoff_max)
        return self.backoff(state.attempt_number)

    async def _sleep(self, seconds: float) -> None:
        # tenacity sleeps even for a wait of 0; skip those so a recording sleep sees only
        # real waits (and the event loop is not entered for nothing).
        if seconds > 0:
            await (self.sleep or asyncio.sleep)(seconds)

    def retrying(
        self, before_sleep: Callable[[RetryCallState], None] | None = None
    ) -> AsyncRetrying:
        """A fresh tenacity controller that retries ApiErrors marked retryable."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            retry=retry_if_exception(lambda e: isinstance(e, ApiError) and e.retryable),
            before_sleep=before_sleep,
            reraise=True,
            sleep=self._sleep,
        )
