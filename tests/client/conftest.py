"""Fixtures for client tests: an in-process simulator, its control API, and client factories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from clientkit import BASE, TOKEN, ClientFactory, Sim

from domogov.client import DomoClient


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    s = Sim()
    yield s
    await s.control.aclose()


@pytest.fixture
async def make_client(sim: Sim) -> AsyncIterator[ClientFactory]:
    """Build clients on the simulator with tiny backoffs; closed at teardown."""
    made: list[DomoClient] = []

    def factory(**kwargs: Any) -> DomoClient:
        options: dict[str, Any] = {
            "transport": sim.transport,
            "backoff_base": 0.001,
            "backoff_max": 0.01,
            "max_retries": 3,
        }
        options.update(kwargs)
        client = DomoClient(options.pop("base_url", BASE), options.pop("token", TOKEN), **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()
