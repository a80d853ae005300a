"""SharedPause: one gate every request of a run passes before it is sent.

Domo's rate limit counts the instance's requests, not one request's: after a 429 (or its
``403 API Rate limit reached.`` form) any request sent before the limit lifts is wasted and
prolongs it. So a rate-limit answer closes this gate for the wait the server asked for, and
every sender (the retry of the limited request, the other requests in flight, new ones) waits
at it. Pauses do not stack: a rate-limit answer that arrives while the gate is closed moves
its reopening to ``max(current reopening, now + wait)``, so N requests limited together make
one pause of the longest wait, not N pauses.

Time comes from an injected ``clock`` and ``sleep`` so tests can run on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .policy import Sleep

__all__ = ["Clock", "SharedPause"]

Clock = Callable[[], float]


class SharedPause:
    """The run's rate-limit gate, with the counters a report needs.

    ``rate_limited``: rate-limit answers seen; ``paused_seconds``: the total length of the
    pauses (overlapping pauses counted once).
    """

    def __init__(self, *, sleep: Sleep | None = None, clock: Clock = time.monotonic) -> None:
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._clock = clock
        self._reopens_at = clock()
        self.rate_limited = 0
        self.paused_seconds = 0.0

    def __repr__(self) -> str:
        return f"SharedPause(remaining={self.remaining():.3f}s, rate_limited={self.rate_limited})"

    def remaining(self) -> float:
        """Seconds until the gate reopens (0 when open)."""
        return max(0.0, self._reopens_at - self._clock())

    def rate_limit(self, seconds: float) -> float:
        """Count a rate-limit answer and keep the gate closed ``seconds`` from now (at least).

        Returns the seconds the gate stays closed from now (the longer of the current pause
        and this one).
        """
        self.rate_limited += 1
        now = self._clock()
        start = max(now, self._reopens_at)  # the part already paused is counted once
        until = now + max(0.0, seconds)
        if until > start:
            self.paused_seconds += until - start
            self._reopens_at = until
        return max(0.0, self._reopens_at - now)

    async def wait(self) -> None:
        """Return once the gate is open; wait again if it was closed further meanwhile."""
        while True:
            reopens_at = self._reopens_at
            remaining = reopens_at - self._clock()
            if remaining <= 0:
                return
            await self._sleep(remaining)
            if self._reopens_at == reopens_at:
                # Not extended while asleep. Trusting the sleep rather than re-reading the
                # clock lets a test's recording sleep (which returns at once) pass.
                return
