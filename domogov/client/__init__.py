"""domogov.client: the async Domo API client (DomoClient) and its retry/redaction policy."""

from .http import DomoClient, resolve_base_url
from .policy import REDACTION, RedactingFilter, RetryPolicy, redact

__all__ = [
    "REDACTION",
    "DomoClient",
    "RedactingFilter",
    "RetryPolicy",
    "redact",
    "resolve_base_url",
]
