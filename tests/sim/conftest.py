"""Fixtures for the simulator tests: the demo state on a fixed clock, its app and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from simhelpers import TOKEN_HEADER, Clock
from starlette.applications import Starlette

from domogov.sim import SimState, SimTransport, create_app
from domogov.sim.state import demo_state


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> SimState:
    return demo_state(clock)


@pytest.fixture
def app(state: SimState) -> Starlette:
    return create_app(state)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as c:
        yield c


@pytest.fixture
async def anon(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=SimTransport(app), base_url="http://sim") as c:
        yield c
