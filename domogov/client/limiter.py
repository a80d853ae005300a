"""AdjustableLimiter: a concurrency bound that backs off on rate limits and recovers (AIMD).

Domo's rate limits are per instance and not published (README: "about 120 requests a
minute, varying by instance"), so the client cannot know the right parallelism in advance.
It learns it the way TCP learns a window: every rate-limit answer halves the number of
requests allowed in flight (multiplicative decrease, never below one), and every run of
``recover_after`` answers without one raises it by one (additive increase), up to the
configured maximum.

A burst of requests sent at the same allowance typically comes back rate limited together;
that is one signal, not N. Each slot therefore carries the *generation* of the allowance it
was granted under, and only a rate-limit answer to a request granted under the current
generation halves it again: eight 429s from one burst halve 8 to 4, not to 1.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["AdjustableLimiter"]


class AdjustableLimiter:
    """At most ``limit`` holders at once; ``limit`` moves between 1 and ``maximum`` (AIMD).

    Waiters are served first come, first served. Lowering the limit never interrupts a
    holder: the excess drains as holders release.
    """

    def __init__(self, maximum: int, *, recover_after: int = 10) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        if recover_after < 1:
            raise ValueError("recover_after must be at least 1")
        self._maximum = maximum
        self._recover_after = recover_after
        self._limit = maximum
        self._in_flight = 0
        self._generation = 0
        self._streak = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __repr__(self) -> str:
        return (
            f"AdjustableLimiter(limit={self._limit}, maximum={self._maximum}, "
            f"in_flight={self._in_flight})"
        )

    @property
    def limit(self) -> int:
        """How many holders are allowed at once right now."""
        return self._limit

    @property
    def maximum(self) -> int:
        """The ceiling ``limit`` recovers to."""
        return self._maximum

    @property
    def in_flight(self) -> int:
        """How many holders there are now (may exceed ``limit`` just after a decrease)."""
        return self._in_flight

    @property
    def generation(self) -> int:
        """Increases at every decrease; slots granted before it are from an older allowance."""
        return self._generation

    async def acquire(self) -> int:
        """Wait for a slot; return the generation it was granted under. Pair with release()."""
        if self._in_flight < self._limit and not self._waiters:
            self._in_flight += 1
            return self._generation
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted in the same tick it was cancelled: hand it on
            else:
                self._waiters.remove(waiter)
            raise
        return self._generation

    def release(self) -> None:
        """Give a slot back and let the next waiters in, as far as the limit allows."""
        if self._in_flight <= 0:
            raise RuntimeError("release() without a matching acquire()")
        self._in_flight -= 1
        self._wake()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """``async with limiter.slot() as generation:`` holds one slot for the block."""
        generation = await self.acquire()
        try:
            yield generation
        finally:
            self.release()

    def on_rate_limited(self, generation: int) -> bool:
        """A request granted under ``generation`` was rate limited: halve the limit (min 1),
        unless a later signal already did. True when the limit changed."""
        self._streak = 0
        if generation != self._generation or self._limit == 1:
            return False
        self._limit = max(1, self._limit // 2)
        self._generation += 1
        return True

    def on_success(self) -> bool:
        """An answer that was not a rate limit: after ``recover_after`` in a row, raise the
        limit by one (up to ``maximum``). True when the limit changed."""
        if self._limit >= self._maximum:
            self._streak = 0
            return False
        self._streak += 1
        if self._streak < self._recover_after:
            return False
        self._streak = 0
        self._limit += 1
        self._wake()
        return True

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._limit:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter gives its turn to the next
                self._in_flight += 1
                waiter.set_result(None)
