"""An httpx transport that runs the simulator in-process, with dropped connections made real."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from domogov.sim.faults import DropConnection


class SimTransport(httpx.AsyncBaseTransport):
    """``httpx.ASGITransport`` for the simulator app, raising ``httpx.RemoteProtocolError`` when
    the app drops a connection, as a client sees it over the network."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
