"""The exception tree every domogov layer raises, and how each maps to an exit code.

    DomogovError                      base; ``exit_code`` says what the CLI returns
    ├── ConfigError                   bad manifests; carries every ConfigIssue (file:line:col)
    ├── PlanError                     the plan cannot be made (unknown reference, last owner, ...)
    │   └── GuardError                a guard refused the plan (max_destructive, protect, ...)
    ├── StalePlanError                a saved plan no longer matches live state
    ├── UsageError                    bad command-line use (plain http:// to a remote host, ...)
    └── ApiError                      Domo answered with an error, or did not answer
        ├── AuthError                 401: wrong or missing token
        ├── PermissionDeniedError     403 that is not the rate-limit form
        ├── NotFoundError             404
        ├── ConflictError             400/409 "already exists" and other conflicts
        ├── BadRequestError           other 4xx
        ├── RateLimitedError          429, or 403 "API Rate limit reached." (retryable)
        ├── ServerError               5xx (retryable)
        ├── TransportError            connection refused, reset, dropped, timed out (retryable)
        ├── ResponseFormatError       a 2xx whose body is not what the API documents
        └── AmbiguousWriteError       a write whose outcome is unknown (response lost):
                                      never retried blindly; read back first

Messages never contain the API token: the client redacts it before an ApiError is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class DomogovError(Exception):
    """Base of every error domogov raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from in the manifests: file path (as given), 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the manifests: where, the data path (``groups[1].members``), and what.

    ``address`` names the object the problem is about (``group.Marketing``) when it is known;
    then the message reads ``file:line:col: group.Marketing: owners: ...``, the path shown
    inside the object, so a reader need not count list entries to find it.
    """

    location: Location | None
    path: str
    message: str
    address: str = ""

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        path = self.path
        if self.address:
            path = _ENTRY.sub("", path, count=1)
            prefix += f"{self.address}: "
        shown = f"{path}: " if path else ""
        return f"{prefix}{shown}{self.message}"


#: The ``groups[3].`` that starts a data path inside one entry of a kind section.
_ENTRY = re.compile(r"^[a-z_]+\[\d+\]\.?")


class ConfigError(DomogovError):
    """The manifests are invalid; ``issues`` lists every problem found in the run."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.location or Location(""), i.path, i.message))
        super().__init__("\n".join(str(i) for i in self.issues))


class PlanError(DomogovError):
    """The plan cannot be made; ``issues`` name the manifest locations involved."""

    def __init__(self, message: str, issues: list[ConfigIssue] | None = None) -> None:
        self.issues = issues or []
        text = message
        if self.issues:
            text += "\n" + "\n".join(f"  {i}" for i in self.issues)
        super().__init__(text)


class GuardError(PlanError):
    """A safety guard refused the plan (max_destructive, protect, self-lockout, owner)."""


class StalePlanError(DomogovError):
    """A saved plan was made against live state that has changed since."""


class UsageError(DomogovError):
    """The command line asks for something domogov refuses to do."""


class ApiError(DomogovError):
    """Domo answered with an error, or did not answer; never carries the token."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        domo_message: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.domo_message = domo_message
        where = f"{method} {path}".strip()
        head = f"{where}: " if where else ""
        code = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"{head}{code}{message}")


class AuthError(ApiError):
    """401: the token is missing, wrong or expired."""


class PermissionDeniedError(ApiError):
    """403: the token's user may not do this."""


class NotFoundError(ApiError):
    """404: the object does not exist."""


class ConflictError(ApiError):
    """The object already exists, or the request conflicts with current state."""


class BadRequestError(ApiError):
    """Another 4xx: Domo refused the request as malformed or invalid."""


class RateLimitedError(ApiError):
    """429, or Domo's 403 "API Rate limit reached." form."""

    retryable = True


class ServerError(ApiError):
    """5xx from Domo."""

    retryable = True


class TransportError(ApiError):
    """No usable HTTP answer: refused, reset, dropped or timed out."""

    retryable = True


class ResponseFormatError(ApiError):
    """A success status whose body is not the documented shape."""


class AmbiguousWriteError(ApiError):
    """A non-idempotent write may or may not have been applied (its response was lost)."""
