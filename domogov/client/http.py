"""DomoClient: async httpx client with auth, base URL rules, retries, limits and pagination.

Every request goes through httpx's public API (``AsyncClient.build_request`` / ``send``), so
proxies (HTTPS_PROXY/ALL_PROXY/NO_PROXY), CA settings and event hooks are exactly httpx's.
Before it is sent, a request holds a slot of the run's AdjustableLimiter (in-flight bound
that halves on a rate limit and recovers), a token of the optional client-side rate limit
(aiolimiter), and passes the run's SharedPause (closed for Retry-After after a rate limit).
Retries are tenacity's (``policy.py``); a host that does not resolve, a refused TLS
handshake and a 401 fail at once.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from collections import Counter
from importlib import metadata
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter
from tenacity import RetryCallState

from domogov.errors import ApiError, RateLimitedError, ResponseFormatError, UsageError

from .baseurl import resolve_base_url
from .limiter import AdjustableLimiter
from .paging import PageStyle, read_pages
from .pause import Clock, SharedPause
from .policy import MAX_RETRY_AFTER, REDACTION, RetryPolicy, Sleep, redact
from .responses import Call, decode, transport_error
from .shapes import ShapeError, check_answer
from .wirelog import log, log_outcome, log_request_body, log_response_body

__all__ = ["ME_PATH", "DomoClient", "resolve_base_url"]

TOKEN_HEADER = "X-DOMO-Developer-Token"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: The token's own user: readable by any valid token, so the cheapest proof that it works.
ME_PATH = "/api/content/v2/users/me"


def _version() -> str:
    try:
        return metadata.version("domogov")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"domogov/{_version()}"


def _check_token(token: str) -> None:
    """Refuse a token that cannot be a header value, without ever quoting it.

    httpx/h11 would refuse it later with the raw header bytes in the message
    (``Illegal header value b'...'``): a token file with a second line would be printed in
    full, in a form the redaction does not recognise.
    """
    if token and not all("!" <= char <= "~" for char in token):
        raise UsageError(
            "the Domo token contains a space, a line break, a control or a non-ASCII "
            "character, so it is not a developer token; DOMO_TOKEN or the token file must "
            "hold the token alone, on one line"
        )


class DomoClient:
    """Async client for Domo's product API.

    Every request goes through the run's concurrency limiter (``max_concurrency`` in flight
    at most; halved on each rate-limit signal, raised by one after ``recover_after``
    successes), an optional client-side rate limit (``rate_limit`` requests per second), the
    shared rate-limit pause (Retry-After honoured up to ``max_retry_after`` seconds) and the
    retry policy.

    Counters: ``stats`` (requests sent by ``"METHOD /path"``), ``retries``,
    ``rate_limited`` (rate-limit answers seen), ``paused_seconds`` (total shared pause),
    ``concurrency`` (requests allowed in flight now); ``metrics()`` gives them as one dict.
    ``sleep`` and ``clock`` replace asyncio.sleep and time.monotonic for the backoff and the
    pause (tests pass a recorder or a fake clock).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = MAX_RETRY_AFTER,
        recover_after: int = 10,
        max_pages: int = 1_000,
        sleep: Sleep | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("rate_limit must be positive requests per second")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.base_url = resolve_base_url(None, base_url)
        _check_token(token)
        self._token = token
        self._secrets = (token,) if token else ()
        REDACTION.add_secret(token)
        self.policy = RetryPolicy(max_retries, backoff_base, backoff_max, sleep, max_retry_after)
        self.max_pages = max_pages
        self.stats: Counter[str] = Counter()
        self.retries = 0
        self.max_concurrency = max_concurrency
        self.limiter = AdjustableLimiter(max_concurrency, recover_after=recover_after)
        self.pause = SharedPause(sleep=sleep, clock=clock)
        # One token per 1/rate s and no burst: Domo's limits are per minute and unforgiving.
        self._rate = AsyncLimiter(1, 1.0 / rate_limit) if rate_limit else None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if token:
            headers[TOKEN_HEADER] = token
        limits = httpx.Limits(
            max_connections=max_concurrency, max_keepalive_connections=max_concurrency
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            transport=transport,  # None: httpx's own, with proxies from the environment
            timeout=httpx.Timeout(timeout),
            limits=limits,
            follow_redirects=False,  # a redirect would carry the token header to another host
        )
        self._host = httpx.URL(self.base_url).host

    def __repr__(self) -> str:
        return f"DomoClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> DomoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- counters -------------------------------------------------------------------------

    @property
    def rate_limited(self) -> int:
        """Rate-limit answers (429, or 403 "API Rate limit reached.") seen so far."""
        return self.pause.rate_limited

    @property
    def paused_seconds(self) -> float:
        """Total seconds the run was paused by rate limits (overlapping pauses once)."""
        return self.pause.paused_seconds

    @property
    def concurrency(self) -> int:
        """Requests allowed in flight now (``max_concurrency`` until a rate limit)."""
        return self.limiter.limit

    def metrics(self) -> dict[str, int | float]:
        """The counters, for a benchmark or a JSON report."""
        return {
            "requests": sum(self.stats.values()),
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "paused_seconds": round(self.paused_seconds, 3),
            "concurrency": self.concurrency,
            "max_concurrency": self.max_concurrency,
        }

    async def check_connection(self) -> dict[str, Any]:
        """Read the token's own user (``GET /api/content/v2/users/me``) once; return it.

        Meant to run before a fan-out: a host that does not resolve, a refused TLS handshake
        or a refused token (401) raise their ApiError here, once, instead of from every
        request of the fan-out. Transient failures (5xx, dropped connections, rate limits)
        are retried as for any read.
        """
        me = await self.get(ME_PATH)
        if not isinstance(me, dict) or "id" not in me:
            raise self._format_error(
                "GET", ME_PATH, "expected the token's user as an object with an id"
            )
        return me

    # -- requests -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one API call with retries; return its parsed JSON (None for an empty body).

        ``idempotent`` defaults to True for GET/PUT/DELETE and False for POST/PATCH. A
        non-idempotent call is retried only when the request surely had no effect (rate
        limited, or the connection failed before sending); otherwise AmbiguousWriteError.
        """
        method = method.upper()
        if not path.startswith("/") or path.startswith("//"):
            # An absolute URL here would send the token to whatever host it names.
            raise ValueError(f"path must be an API path starting with '/': {path!r}")
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if json is None else jsonlib.dumps(json, separators=(",", ":")).encode()
        route = path.split("?", 1)[0]
        result: Any = None
        async for attempt in self.policy.retrying(before_sleep=self._before_sleep):
            with attempt:
                call = Call(
                    method,
                    route,
                    idempotent,
                    attempt.retry_state.attempt_number,
                    self.policy.max_attempts,
                    self._secrets,
                )
                result = await self._send(call, path, query, content)
        limit = query.get("limit")
        if isinstance(result, list) and isinstance(limit, int) and len(result) > limit > 0:
            # Whoever pages (paginate, or a kind reading pages of its own) stops at a short
            # page: an endpoint ignoring limit would be read again and again, whole.
            raise self._format_error(
                method,
                route,
                f"{len(result)} items came back for limit={limit}; the endpoint seems to "
                "ignore limit",
            )
        try:
            check_answer(method, route, result)
        except ShapeError as exc:
            # Live state decides what apply changes: a misread answer must stop the run.
            raise self._format_error(
                method, route, f"the answer is not what the API documents: {exc}"
            ) from None
        return result

    async def _send(
        self, call: Call, path: str, query: dict[str, Any], content: bytes | None
    ) -> Any:
        """One try: wait for a slot, a rate token and the pause to lift; send, log, decode."""
        async with self.limiter.slot() as generation:
            if self._rate is not None:
                await self._rate.acquire()
            # Last before sending: a rate limit seen while this request queued holds it too.
            await self.pause.wait()
            self.stats[f"{call.method} {call.path}"] += 1
            log_request_body(call, path, content)
            started = time.perf_counter()
            headers = {"Content-Type": "application/json"} if content is not None else None
            request = self._http.build_request(
                call.method, path, params=query or None, headers=headers, content=content
            )
            try:
                response = await self._http.send(request)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                log_outcome(call, path, query, type(exc).__name__, started)
                # from None: the httpx error may quote raw text; ours carries its redacted summary.
                raise transport_error(exc, call, self._host) from None
        # Let a request waiting for the slot just freed go out before this answer is parsed:
        # the wire stays busy while the CPU works.
        await asyncio.sleep(0)
        log_outcome(call, path, query, str(response.status_code), started)
        log_response_body(call, path, response)
        try:
            result = decode(response, call)
        except RateLimitedError as exc:
            self._rate_limited(exc, call, generation)
            raise
        self.limiter.on_success()
        return result

    def _rate_limited(self, exc: RateLimitedError, call: Call, generation: int) -> None:
        """Pause the whole run and lower its concurrency after a rate-limit answer."""
        retry_after: float | None = getattr(exc, "retry_after", None)
        wait = self.pause.rate_limit(self.policy.rate_limit_pause(retry_after, call.attempt))
        lowered = self.limiter.on_rate_limited(generation)
        log.info(
            "%s %s rate limited: every request waits %.2fs%s",
            call.method,
            call.path,
            wait,
            f"; concurrency lowered to {self.limiter.limit}" if lowered else "",
        )

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError):
            wait = self.pause.remaining()  # the shared pause does the waiting
        else:
            wait = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "retrying in %.2fs (attempt %d/%d failed): %s",
            wait,
            state.attempt_number,
            self.policy.max_attempts,
            exc,
        )

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET path; parsed JSON."""
        return await self.request("GET", path, params=params)

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """POST path (not retried after sending unless ``idempotent=True``)."""
        return await self.request("POST", path, params=params, json=json, idempotent=idempotent)

    async def put(
        self,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """PUT path (a full replace: idempotent unless told otherwise)."""
        return await self.request("PUT", path, params=params, json=json, idempotent=idempotent)

    async def patch(
        self,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """PATCH path (not retried after sending unless ``idempotent=True``)."""
        return await self.request("PATCH", path, params=params, json=json, idempotent=idempotent)

    async def delete(
        self,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """DELETE path (idempotent unless told otherwise)."""
        return await self.request("DELETE", path, params=params, json=json, idempotent=idempotent)

    # -- pagination -----------------------------------------------------------------------

    async def paginate(
        self,
        path: str,
        *,
        style: PageStyle,
        page_size: int,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        items_key: str | None = None,
        method: str | None = None,
        stop_on: Literal["short", "empty"] = "short",
    ) -> list[Any]:
        """Every item of a paged list, fetching pages one after another.

        ``offset``: query offset/limit; ``skip``: query skip/limit (report schedules);
        ``body``: offset/limit in the JSON body, sent with POST (users search). ``items_key``
        unwraps ``{"users": [...]}``. Paging always ends at an empty page, never at a short one:
        a server may cap the page size below ``page_size`` (``stop_on`` is kept for callers
        that say so explicitly; both values read to an empty page).
        Page reads are retried like GETs, whatever the method.
        """
        return await read_pages(
            self.request,
            self._format_error,
            path,
            style=style,
            page_size=page_size,
            max_pages=self.max_pages,
            params=params,
            body=body,
            items_key=items_key,
            method=method,
            stop_on=stop_on,
        )

    def _format_error(self, method: str, path: str, detail: str) -> ApiError:
        return ResponseFormatError(
            redact(detail, self._secrets), method=method, path=redact(path, self._secrets)
        )
