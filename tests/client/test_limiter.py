"""AdjustableLimiter (AIMD concurrency) and SharedPause (the run's rate-limit gate) alone."""

from __future__ import annotations

import asyncio

import pytest
from clientkit import FakeClock

from domogov.client.limiter import AdjustableLimiter
from domogov.client.pause import SharedPause


async def test_at_most_limit_holders_and_waiters_served_in_order() -> None:
    limiter = AdjustableLimiter(2)
    order: list[int] = []
    gate = asyncio.Event()

    async def hold(n: int) -> None:
        async with limiter.slot():
            order.append(n)
            await gate.wait()

    tasks = [asyncio.create_task(hold(n)) for n in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == [0, 1] and limiter.in_flight == 2
    gate.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert limiter.in_flight == 0


def test_a_rate_limit_halves_down_to_one_once_per_generation() -> None:
    limiter = AdjustableLimiter(8)
    old = limiter.generation
    assert limiter.on_rate_limited(old) is True
    assert limiter.limit == 4
    # More answers from requests granted before the decrease: the same signal.
    assert limiter.on_rate_limited(old) is False
    assert limiter.limit == 4
    for expected in (2, 1, 1):
        limiter.on_rate_limited(limiter.generation)
        assert limiter.limit == expected


def test_successes_raise_the_limit_by_one_up_to_the_maximum() -> None:
    limiter = AdjustableLimiter(3, recover_after=2)
    limiter.on_rate_limited(limiter.generation)
    assert limiter.limit == 1
    steps = [limiter.on_success() for _ in range(6)]
    assert steps == [False, True, False, True, False, False]
    assert limiter.limit == 3 == limiter.maximum


def test_a_rate_limit_restarts_the_run_of_successes() -> None:
    limiter = AdjustableLimiter(4, recover_after=3)
    limiter.on_rate_limited(limiter.generation)
    limiter.on_success()
    limiter.on_success()
    limiter.on_rate_limited(limiter.generation - 1)  # an old signal: no halving, but a reset
    assert limiter.limit == 2
    assert [limiter.on_success() for _ in range(3)] == [False, False, True]


async def test_a_raised_limit_lets_a_waiter_in_at_once() -> None:
    limiter = AdjustableLimiter(2, recover_after=1)
    limiter.on_rate_limited(limiter.generation)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    limiter.on_success()  # 1 -> 2
    await asyncio.sleep(0)
    assert waiter.done() and limiter.in_flight == 2


async def test_a_cancelled_waiter_leaves_no_slot_taken() -> None:
    limiter = AdjustableLimiter(1)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limiter.release()
    assert limiter.in_flight == 0
    assert await limiter.acquire() == limiter.generation


def test_bad_settings_and_unmatched_release_are_refused() -> None:
    with pytest.raises(ValueError):
        AdjustableLimiter(0)
    with pytest.raises(ValueError):
        AdjustableLimiter(2, recover_after=0)
    with pytest.raises(RuntimeError):
        AdjustableLimiter(1).release()


async def test_an_open_pause_does_not_sleep() -> None:
    clock = FakeClock()
    pause = SharedPause(sleep=clock.sleep, clock=clock)
    await pause.wait()
    assert clock.sleeps == [] and pause.remaining() == 0.0


async def test_pauses_overlap_instead_of_stacking() -> None:
    clock = FakeClock()
    pause = SharedPause(sleep=clock.sleep, clock=clock)
    assert pause.rate_limit(5.0) == 5.0
    assert pause.rate_limit(3.0) == 5.0  # inside the current pause: nothing added
    clock.now += 2.0
    assert pause.rate_limit(4.0) == 4.0  # ends 1 s after the first: extends it by 1 s
    assert pause.rate_limited == 3
    assert pause.paused_seconds == 6.0
    await asyncio.gather(pause.wait(), pause.wait())
    assert clock.elapsed == 6.0


async def test_a_waiter_waits_again_when_the_pause_is_extended_meanwhile() -> None:
    clock = FakeClock()
    pause = SharedPause(sleep=clock.sleep, clock=clock)
    pause.rate_limit(1.0)
    waiting = asyncio.create_task(pause.wait())
    await asyncio.sleep(0)  # asleep until t=1
    pause.rate_limit(10.0)
    await waiting
    assert clock.elapsed == 10.0
    assert clock.sleeps == [1.0, 9.0]
