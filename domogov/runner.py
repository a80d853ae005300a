"""Run one coroutine to completion for a CLI command, handing back its result."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _Box:
    """Carries a result out of the event loop behind a constant repr.

    asyncio.run's SIGINT bookkeeping (``signal.getsignal``/``signal.signal``) formats the
    repr of its handler, which holds the finished main task and so the task's result: a
    whole plan at scale, a second of CPU per run spent on text nobody sees (CPython 3.11).
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, without the cost of the result's repr."""

    async def boxed() -> _Box:
        return _Box(await coro)

    box: _Box = asyncio.run(boxed())
    return box.value  # type: ignore[no-any-return]
