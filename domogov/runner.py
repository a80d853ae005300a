"""Run a CLI command's work: its coroutine to completion, and the garbage collector tuned."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: Allocations between young-generation collections while a command runs (Python's default
#: is 700). Reading a large configuration and instance allocates millions of objects that
#: all live until the command ends; at 700 the collector kept walking them: about a third of
#: the time spent loading the manifests of the L benchmark, and seconds of a plan.
GC_GEN0_THRESHOLD = 20_000


@contextlib.contextmanager
def tuned_gc() -> Iterator[None]:
    """Collect garbage less often for the duration of a command; restored afterwards."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(GC_GEN0_THRESHOLD, threshold[0]), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


class _Box(Generic[T]):
    """Carries a result out of the event loop behind a constant repr.

    asyncio.run's SIGINT bookkeeping (``signal.getsignal``/``signal.signal``) formats the
    repr of its handler, which holds the finished main task and so the task's result: a
    whole plan at scale, a second of CPU per run spent on text nobody sees (CPython 3.11).
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, without the cost of the result's repr, and with what exists so
    far (the loaded manifests) frozen out of the collector's sight while it runs.

    Freezing only skips objects that exist now, so nothing is leaked; they are handed back
    to the collector when the coroutine ends.
    """

    async def boxed() -> _Box[T]:
        return _Box(await coro)

    gc.freeze()
    try:
        box = asyncio.run(boxed())
    finally:
        gc.unfreeze()
    return box.value
