"""The write log: every write request the simulator received, what it answered and what it did.

Tests use it to prove "no wrong write" (``GET /_sim/writes``, or ``runtime.writes`` in-process).
Each entry::

    {"seq": 7, "time": <ms, state clock>, "method": "DELETE",
     "route": "/api/data/v3/datasources/{id}/users",
     "path": "/api/data/v3/datasources/58b.../users",
     "query": "", "body": [{"type": "GROUP", "id": 501}], "actor": 1001,
     "status": 200, "handled_status": 200, "fault": null,
     "effect": {"ignored": [{"type": "GROUP", "id": 501}]}}

``status`` is what the client was answered (None for a dropped connection); ``handled_status``
is what the handler answered (None when a fault or the rate limit answered before it ran), so a
lost write shows ``handled_status`` 200 with a non-empty effect. ``effect`` holds only changes
actually made (e.g. ``created``, ``deleted``, ``granted``, ``revoked``, ``recipients_removed``).
The operations add to it through :func:`note`, outside any HTTP concern.
"""

from __future__ import annotations

import json
from collections import deque
from contextvars import ContextVar
from typing import Any

MAX_ENTRIES = 5000
MAX_BODY_BYTES = 256 * 1024

_EFFECT: ContextVar[dict[str, Any] | None] = ContextVar("domogov_sim_write_effect", default=None)


def note(**effect: Any) -> None:
    """Add to the effect of the write being handled: lists extend, other values replace; an
    empty list adds nothing (an effect of ``{}`` means nothing changed).

    A no-op outside a logged request (operations called directly, e.g. by tests)."""
    current = _EFFECT.get()
    if current is None:
        return
    for key, value in effect.items():
        if isinstance(value, list) and not value:
            continue
        if isinstance(value, list) and isinstance(current.get(key), list):
            current[key].extend(value)
        else:
            current[key] = list(value) if isinstance(value, list) else value


def parse_body(raw: bytes) -> Any:
    """The request body as logged: parsed JSON, the text when not JSON, None when empty."""
    if not raw.strip():
        return None
    if len(raw) > MAX_BODY_BYTES:
        return {"truncated": True, "bytes": len(raw)}
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class WriteLog:
    """A bounded, ordered log of write requests (the oldest entries go first when full)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)
        self._seq = 0

    def begin(self) -> tuple[dict[str, Any], Any]:
        """Start collecting the effect of one request: (effect dict, token for :meth:`end`)."""
        effect: dict[str, Any] = {}
        return effect, _EFFECT.set(effect)

    def end(self, token: Any) -> None:
        _EFFECT.reset(token)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        logged = {"seq": self._seq, **entry}
        self._entries.append(logged)
        return logged

    @property
    def total(self) -> int:
        """How many writes were logged since the last clear (evicted ones included)."""
        return self._seq

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        """The kept entries with ``seq`` above ``since``, oldest first."""
        return [e for e in self._entries if e["seq"] > since]

    def clear(self) -> None:
        self._entries.clear()
        self._seq = 0

    def to_dict(self, since: int = 0) -> dict[str, Any]:
        kept = self.entries(since)
        return {
            "total": self._seq,
            "dropped": self._seq - len(self._entries),
            "writes": kept,
        }


def write_log(app: Any, since: int = 0) -> list[dict[str, Any]]:
    """The write-log entries of an app from ``create_app`` (after ``seq`` ``since``), oldest
    first: the in-process twin of ``GET /_sim/writes``."""
    log: WriteLog = app.state.runtime.writes
    return log.entries(since)
