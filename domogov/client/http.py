"""DomoClient: async httpx client with auth, base URL rules, retries, limits and pagination."""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
from collections import Counter
from importlib import metadata
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter
from tenacity import RetryCallState

from domogov.errors import ApiError, ResponseFormatError, UsageError

from .baseurl import resolve_base_url
from .policy import REDACTION, RetryPolicy, Sleep, install_redaction, redact
from .responses import Call, decode, transport_error
from .shapes import ShapeError, check_answer
from .transport import use_asyncio_backend

__all__ = ["DomoClient", "resolve_base_url"]

TOKEN_HEADER = "X-DOMO-Developer-Token"
DEBUG_BODY_CHARS = 2_000
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

log = logging.getLogger("domogov.http")

# httpx/httpcore at DEBUG describe connections and requests; keep them quiet so a -vv run
# never prints transport internals, and scrub whatever they do log.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)
install_redaction("domogov", "domogov.http", "httpx", "httpcore")


def _version() -> str:
    try:
        return metadata.version("domogov")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"domogov/{_version()}"


def _clip(text: str, limit: int = DEBUG_BODY_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


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


def _transport_for(client: httpx.AsyncClient, url: str) -> httpx.AsyncBaseTransport | None:
    """The transport ``client`` would send to ``url`` through: its pool, or the proxy that
    HTTPS_PROXY/ALL_PROXY/NO_PROXY choose for that host. None if httpx no longer says.

    Every request goes to this one origin, so requests are handed to that transport
    directly: the client's own layers (URL merging, the cookie jar, the auth and redirect
    loops) were a fifth of each request's CPU and do nothing here: Domo's API is
    authenticated by a header, no cookie is wanted, and redirects are refused anyway.
    """
    pick = getattr(client, "_transport_for_url", None)
    if not callable(pick):
        return None
    transport = pick(httpx.URL(url))
    return transport if isinstance(transport, httpx.AsyncBaseTransport) else None


class DomoClient:
    """Async client for Domo's product API.

    Every request goes through a concurrency bound (``max_concurrency`` in flight), an
    optional client-side rate limit (``rate_limit`` requests per second) and the retry
    policy. ``stats`` counts requests sent by ``"METHOD /path"``; ``retries`` counts retries.
    ``sleep`` replaces the backoff sleep (tests pass a recorder).
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
        max_pages: int = 1_000,
        sleep: Sleep | None = None,
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
        self.policy = RetryPolicy(max_retries, backoff_base, backoff_max, sleep)
        self.max_pages = max_pages
        self.stats: Counter[str] = Counter()
        self.retries = 0
        self.max_concurrency = max_concurrency
        self._semaphore = asyncio.Semaphore(max_concurrency)
        # One token per 1/rate s and no burst: Domo's limits are per minute and unforgiving.
        self._limiter = AsyncLimiter(1, 1.0 / rate_limit) if rate_limit else None
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
        self._headers = headers
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        self._transport = _transport_for(self._http, self.base_url)
        if self._transport is not None:
            use_asyncio_backend(self._transport)

    def __repr__(self) -> str:
        return f"DomoClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> DomoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

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
        """One try: wait for a slot and a rate token, send, log, decode."""
        async with self._semaphore:
            if self._limiter is not None:
                await self._limiter.acquire()
            self.stats[f"{call.method} {call.path}"] += 1
            if log.isEnabledFor(logging.DEBUG) and content is not None:
                body = _clip(redact(content.decode(errors="replace"), self._secrets))
                log.debug("%s %s request body: %s", call.method, path, body)
            started = time.perf_counter()
            try:
                response = await self._exchange(call.method, path, query, content)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                self._log_line(call, path, query, type(exc).__name__, started)
                # from None: the httpx error may quote raw text; ours carries its redacted summary.
                raise transport_error(exc, call) from None
        # Let a request waiting for the slot just freed go out before this answer is parsed:
        # the wire stays busy while the CPU works.
        await asyncio.sleep(0)
        self._log_line(call, path, query, str(response.status_code), started)
        if log.isEnabledFor(logging.DEBUG) and response.content:
            # Redacted before it is cut: a cut through an echoed token would keep its start.
            body = _clip(redact(response.text or "", self._secrets))
            log.debug("%s %s response body: %s", call.method, path, body)
        return decode(response, call)

    async def _exchange(
        self, method: str, path: str, query: dict[str, Any], content: bytes | None
    ) -> httpx.Response:
        """Send one request and read the whole answer."""
        headers = self._headers
        if content is not None:
            headers = {**headers, "Content-Type": "application/json"}
        request = httpx.Request(
            method,
            self.base_url + path,
            params=query or None,
            headers=headers,
            content=content,
            extensions=self._extensions,
        )
        if self._transport is None:
            return await self._http.send(request)
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()  # closes the stream once read
        except BaseException:
            await response.aclose()
            raise
        return response

    def _log_line(
        self, call: Call, path: str, query: dict[str, Any], outcome: str, started: float
    ) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        elapsed = (time.perf_counter() - started) * 1000
        shown = str(httpx.URL(path, params=query or None))
        note = f" (attempt {call.attempt}/{call.max_attempts})" if call.attempt > 1 else ""
        log.info("%s %s %s %dms%s", call.method, shown, outcome, elapsed, note)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
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
        style: Literal["offset", "skip", "body"],
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
        unwraps ``{"users": [...]}``. Paging stops at a page shorter than ``page_size`` (or,
        with ``stop_on="empty"``, only at an empty page, for servers that cap the limit).
        Page reads are retried like GETs, whatever the method.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        verb = (method or ("POST" if style == "body" else "GET")).upper()
        start_key = "skip" if style == "skip" else "offset"
        items: list[Any] = []
        start = 0
        previous: list[Any] | None = None
        for _ in range(self.max_pages):
            if style == "body":
                page_body = {**(body or {}), "offset": start, "limit": page_size}
                page_params = params
            else:
                page_body = body
                page_params = {**(params or {}), start_key: start, "limit": page_size}
            answer = await self.request(
                verb, path, params=page_params, json=page_body, idempotent=True
            )
            rows = self._rows(answer, items_key, verb, path)
            if len(rows) > page_size:
                raise self._format_error(
                    verb,
                    path,
                    f"a page of {len(rows)} items came back for limit={page_size}; "
                    "the endpoint seems to ignore limit",
                )
            if rows and rows == previous:
                raise self._format_error(
                    verb,
                    path,
                    f"the same page came back for {start_key}={start}; "
                    f"the endpoint seems to ignore {start_key}",
                )
            items.extend(rows)
            if not rows or (stop_on == "short" and len(rows) < page_size):
                return items
            start += len(rows)
            previous = rows
        raise self._format_error(
            verb,
            path,
            f"paging did not end after {self.max_pages} pages of {page_size} items "
            "(max_pages); the endpoint keeps returning full pages",
        )

    def _rows(self, answer: Any, items_key: str | None, method: str, path: str) -> list[Any]:
        if answer is None:
            return []
        if items_key is not None:
            if not isinstance(answer, dict) or items_key not in answer:
                raise self._format_error(
                    method, path, f"expected an object with a {items_key!r} list"
                )
            answer = answer[items_key]
            if answer is None:
                return []
        if not isinstance(answer, list):
            raise self._format_error(
                method, path, f"expected a JSON array, got {type(answer).__name__}"
            )
        return answer

    def _format_error(self, method: str, path: str, detail: str) -> ApiError:
        return ResponseFormatError(
            redact(detail, self._secrets), method=method, path=redact(path, self._secrets)
        )
