"""One doctor run's access to Domo: timed read calls, shared reads, the manifests' objects.

Every call goes through ``DomoClient.request`` (retries, the shared rate-limit pause, the
answer-shape table): doctor sees an instance exactly as plan and apply see it. Each call is
timed from the moment it is asked for until its answer is parsed, retries and rate-limit
pauses included, since that is the wait a plan would have.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domogov.client.http import DomoClient
from domogov.errors import NotFoundError

SEARCH_PATH = "/api/search/v1/query"
#: How many objects of one kind doctor reads when the manifests name none: enough to see
#: the values an instance uses, few enough to stay far below any rate limit.
SAMPLE = 10


@dataclass
class Session:
    """The client and (optionally) the manifests one doctor run works with.

    ``config`` is a loaded manifest directory (``domogov.config.Config``) or None; probes ask
    it for the objects the manifests name through :meth:`declared`.
    """

    client: DomoClient
    config: Any = None
    #: Seconds each call took, in the order they ended.
    timings: list[float] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One read (a GET, or a POST to a search endpoint, which changes nothing)."""
        if method not in ("GET", "POST"):
            raise ValueError(f"doctor is read-only: {method} {path}")
        started = time.perf_counter()
        try:
            # idempotent: a search POST changes nothing, so it is retried like a GET.
            return await self.client.request(
                method, path, params=params, json=json, idempotent=True
            )
        finally:
            self.timings.append(time.perf_counter() - started)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self.call("GET", path, params=params)

    async def once(self, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
        """``read()``'s answer, read once per run (probes share the list reads)."""
        if key not in self._cache:
            self._cache[key] = await read()
        return self._cache[key]

    def declared(self, section: str) -> list[Any]:
        """The manifests' specs of ``section`` (``report_schedules``, ...); none without DIR."""
        if self.config is None:
            return []
        return list(self.config.section(section))

    async def search_ids(self, entity: str, count: int = SAMPLE) -> list[str]:
        """Ids of the first ``count`` objects of ``entity`` (``dataset``, ``card``) the Search
        product API finds: Domo has no list of datasets or cards."""

        async def read() -> list[str]:
            body = {
                "query": "*",
                "entityList": [[entity]],
                "count": count,
                "offset": 0,
                "fieldsToReturn": ["entityType", "databaseId", "name"],
            }
            answer = await self.call("POST", SEARCH_PATH, json=body)
            rows = answer.get("searchObjects") if isinstance(answer, dict) else None
            return [
                str(r["databaseId"])
                for r in rows or []
                if isinstance(r, dict) and r.get("databaseId") not in (None, "")
            ]

        ids: list[str] = await self.once(f"search:{entity}:{count}", read)
        return ids

    async def read_or_none(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``GET path``, or None when the object does not exist (404)."""
        try:
            return await self.get(path, params)
        except NotFoundError:
            return None

    def latency(self) -> dict[str, Any]:
        """Median and 95th percentile of the calls' durations, in milliseconds."""
        times = sorted(self.timings)
        if not times:
            return {"requests": 0, "median_ms": None, "p95_ms": None}
        p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
        return {
            "requests": len(times),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(p95 * 1000, 1),
        }


def window_ms(days: int) -> dict[str, int]:
    """``start``/``end`` query parameters (ms) for the last ``days`` days."""
    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(days=days)
    return {"start": int(start.timestamp() * 1000), "end": int(end.timestamp() * 1000)}
