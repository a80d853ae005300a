"""domogov.client: the async Domo API client (DomoClient) and the rules it follows.

http.py       DomoClient: requests through httpx's public API; counters; check_connection
limiter.py    AdjustableLimiter: in-flight bound that halves on a rate limit, then recovers
pause.py      SharedPause: the one rate-limit gate every request of a run waits at
policy.py     retry/backoff/Retry-After rules (tenacity) and token redaction
responses.py  answers and failures -> parsed JSON or the ApiError (what fails at once)
paging.py     reading paged lists whole, refusing endpoints that ignore paging
shapes.py     the documented shape of each answer
wirelog.py    the per-request log lines (never the token)
baseurl.py    --instance / --base-url rules
"""

from .http import ME_PATH, DomoClient, resolve_base_url
from .limiter import AdjustableLimiter
from .pause import SharedPause
from .policy import REDACTION, RedactingFilter, RetryPolicy, redact

__all__ = [
    "ME_PATH",
    "REDACTION",
    "AdjustableLimiter",
    "DomoClient",
    "RedactingFilter",
    "RetryPolicy",
    "SharedPause",
    "redact",
    "resolve_base_url",
]
