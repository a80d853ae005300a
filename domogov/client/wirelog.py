"""What the client logs about each request: one INFO line per try, bodies at DEBUG, no token.

Bodies are redacted before they are cut: a cut through an echoed token would keep its start,
which no later redaction of the whole token can find. httpx's and httpcore's own loggers are
held at WARNING (at DEBUG they describe connections and headers) and scrubbed all the same.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from .policy import install_redaction, redact
from .responses import Call

__all__ = ["log", "log_outcome", "log_request_body", "log_response_body"]

DEBUG_BODY_CHARS = 2_000

log = logging.getLogger("domogov.http")

# Logger names only: nothing here imports httpcore.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)
install_redaction("domogov", "domogov.http", "httpx", "httpcore")


def clip(text: str, limit: int = DEBUG_BODY_CHARS) -> str:
    """``text``, cut to ``limit`` characters with a note of its length."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def log_request_body(call: Call, path: str, content: bytes | None) -> None:
    """The JSON body about to be sent, at DEBUG."""
    if content is not None and log.isEnabledFor(logging.DEBUG):
        body = clip(redact(content.decode(errors="replace"), call.secrets))
        log.debug("%s %s request body: %s", call.method, path, body)


def log_response_body(call: Call, path: str, response: httpx.Response) -> None:
    """The answer's body, at DEBUG."""
    if log.isEnabledFor(logging.DEBUG) and response.content:
        body = clip(redact(response.text or "", call.secrets))
        log.debug("%s %s response body: %s", call.method, path, body)


def log_outcome(call: Call, path: str, query: dict[str, Any], outcome: str, started: float) -> None:
    """``GET /path?query 200 12ms (attempt 2/7)`` at INFO; ``started`` is a perf_counter()."""
    if not log.isEnabledFor(logging.INFO):
        return
    elapsed = (time.perf_counter() - started) * 1000
    shown = str(httpx.URL(path, params=query or None))
    note = f" (attempt {call.attempt}/{call.max_attempts})" if call.attempt > 1 else ""
    log.info("%s %s %s %dms%s", call.method, shown, outcome, elapsed, note)
