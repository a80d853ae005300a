"""Fault injection (latency, rate limits, 5xx, dropped connections, lost responses) and stats.

Random faults: each /api request matching ``methods``/``path_glob`` gets, with probability
``rate``, one fault picked by weight from ``kinds`` (default: every kind but ``applied_400``;
``lost_write`` and ``applied_400`` only for writes). A
``script`` of ``{method, path_glob, fault, count, after}`` entries is consulted first: after
skipping ``after`` matching requests, the next ``count`` matching requests get ``fault``.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

DEFAULT_KINDS = (
    "429", "429_no_retry_after", "403_rate_limit", "500", "502", "503", "drop", "lost_write",
)  # fmt: skip
# Domo quirk (README "Roles"): some writes answer 400 although they were applied. Opt-in only.
KINDS = (*DEFAULT_KINDS, "applied_400")
# Kinds that run the write and then replace its answer; never picked for reads at random.
AFTER_WRITE_KINDS = ("lost_write", "applied_400")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class DropConnection(Exception):
    """Raised by the app after a partial response: the connection must close mid-response."""


def _number(doc: dict[str, Any], key: str, default: float, maximum: float | None = None) -> float:
    value = doc.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key} must be a non-negative number, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{key} must be at most {maximum}, got {value!r}")
    return float(value)


@dataclass
class ScriptEntry:
    """A deterministic fault for the next ``count`` matching requests (after skipping ``after``)."""

    fault: str
    count: int = 1
    method: str = "*"
    path_glob: str = "*"
    after: int = 0
    skipped: int = 0
    used: int = 0

    @classmethod
    def from_dict(cls, doc: Any) -> ScriptEntry:
        if not isinstance(doc, dict):
            raise ValueError("script entries are objects {method, path_glob, fault, count, after}")
        unknown = set(doc) - {"fault", "count", "method", "path_glob", "after"}
        if unknown:
            raise ValueError(f"unknown script key(s) {sorted(unknown)}")
        if doc.get("fault") not in KINDS:
            raise ValueError(f"script fault must be one of {list(KINDS)}, got {doc.get('fault')!r}")
        return cls(
            fault=doc["fault"],
            count=int(_number(doc, "count", 1)),
            method=str(doc.get("method") or "*").upper(),
            path_glob=str(doc.get("path_glob") or "*"),
            after=int(_number(doc, "after", 0)),
        )

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatchcase(path, self.path_glob)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path_glob": self.path_glob,
            "fault": self.fault,
            "count": self.count,
            "after": self.after,
            "remaining": self.count - self.used,
        }


@dataclass
class FaultConfig:
    """What faults to inject; ``kinds`` empty means every default kind with the same weight."""

    seed: int | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate: float = 0.0
    kinds: dict[str, float] = field(default_factory=dict)
    methods: list[str] | None = None
    path_glob: str | None = None
    script: list[ScriptEntry] = field(default_factory=list)

    @classmethod
    def from_dict(cls, doc: Any) -> FaultConfig:
        """Parse the ``POST /_sim/faults`` body; raises ValueError with a readable reason."""
        if not isinstance(doc, dict):
            raise ValueError("the fault configuration is a JSON object")
        allowed = {"seed", "latency_ms", "jitter_ms", "rate", "kinds", "methods", "path_glob"}
        unknown = set(doc) - allowed - {"script"}
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)}")
        kinds = doc.get("kinds") or {}
        if not isinstance(kinds, dict) or any(k not in KINDS for k in kinds):
            raise ValueError(f"kinds maps fault kinds {list(KINDS)} to weights")
        weights = {k: _number(kinds, k, 0) for k in kinds}
        methods = doc.get("methods")
        if methods is not None and (
            not isinstance(methods, list) or any(str(m).upper() not in METHODS for m in methods)
        ):
            raise ValueError(f"methods is a list of {list(METHODS)}")
        script = doc.get("script") or []
        if not isinstance(script, list):
            raise ValueError("script is a list")
        seed = doc.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        return cls(
            seed=seed,
            latency_ms=_number(doc, "latency_ms", 0),
            jitter_ms=_number(doc, "jitter_ms", 0),
            rate=_number(doc, "rate", 0, maximum=1),
            kinds=weights,
            methods=[str(m).upper() for m in methods] if methods is not None else None,
            path_glob=doc.get("path_glob"),
            script=[ScriptEntry.from_dict(e) for e in script],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
            "rate": self.rate,
            "kinds": dict(self.kinds),
            "methods": self.methods,
            "path_glob": self.path_glob,
            "script": [e.to_dict() for e in self.script],
        }


class FaultInjector:
    """Decides, request by request, the delay and the fault (if any)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; the random generators restart from the seed."""
        self.config = config
        # Separate generators: jitter draws never shift which requests get faults.
        self._rng = random.Random(config.seed)
        self._jitter_rng = random.Random(config.seed)

    def clear(self) -> None:
        self.configure(FaultConfig())

    def delay_seconds(self) -> float:
        cfg = self.config
        jitter = self._jitter_rng.uniform(0, cfg.jitter_ms) if cfg.jitter_ms else 0.0
        return (cfg.latency_ms + jitter) / 1000

    def pick(self, method: str, path: str, is_write: bool) -> str | None:
        """The fault for this request, or None."""
        for entry in self.config.script:
            if entry.used >= entry.count or not entry.matches(method, path):
                continue
            if entry.skipped < entry.after:
                entry.skipped += 1
                continue
            entry.used += 1
            return entry.fault
        cfg = self.config
        if cfg.rate <= 0:
            return None
        if cfg.methods is not None and method not in cfg.methods:
            return None
        if cfg.path_glob and not fnmatchcase(path, cfg.path_glob):
            return None
        if self._rng.random() >= cfg.rate:
            return None
        weights = cfg.kinds or dict.fromkeys(DEFAULT_KINDS, 1.0)
        choices = [
            (k, w) for k, w in weights.items() if w > 0 and (is_write or k not in AFTER_WRITE_KINDS)
        ]
        if not choices:
            return None
        return self._rng.choices([k for k, _ in choices], [w for _, w in choices])[0]

    def lost_write_outcome(self) -> str:
        """How a lost write's response is lost: a 504 or a dropped connection."""
        return self._rng.choice(("504", "drop"))


# (status, message, headers) of each fault kind answered before the request is handled.
FAULT_RESPONSES: dict[str, tuple[int, str, dict[str, str]]] = {
    "429": (429, "Too many requests; retry later.", {"Retry-After": "1"}),
    "429_no_retry_after": (429, "Too many requests; retry later.", {}),
    "403_rate_limit": (403, "API Rate limit reached.", {}),
    "500": (500, "An unexpected error occurred.", {}),
    "502": (502, "Bad Gateway", {}),
    "503": (503, "Service temporarily unavailable.", {}),
    "504": (504, "The request timed out at the gateway.", {}),
}


@dataclass
class Stats:
    """Request counters by route template, by method, and faults injected."""

    total: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)

    def count(self, method: str, template: str) -> None:
        self.total += 1
        self.by_endpoint[f"{method} {template}"] += 1
        self.by_method[method] += 1

    def fault(self, kind: str) -> None:
        self.faults_injected[kind] += 1

    def reset(self) -> None:
        self.total = 0
        self.by_endpoint.clear()
        self.by_method.clear()
        self.faults_injected.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "by_method": dict(sorted(self.by_method.items())),
            "faults_injected": dict(sorted(self.faults_injected.items())),
        }


class _HideDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DropConnection)


def quiet_drop_logs() -> None:
    """Keep uvicorn from logging a traceback for every deliberately dropped connection."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDrops) for f in logger.filters):
        logger.addFilter(_HideDrops())
