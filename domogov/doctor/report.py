"""Running every probe, judging the kinds, and the report (text and JSON)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from domogov.client.http import DomoClient
from domogov.errors import ApiError, AuthError, ResponseFormatError
from domogov.resources import ALL_KINDS

from .probes import Finding, Status
from .session import Session
from .table import ASSUMPTIONS, RATE_LIMITS, Assumption

log = logging.getLogger("domogov")

VERIFY_SEEN = "checked after each apply (verify): a write no read can test"
JSON_VERSION = 1


@dataclass(frozen=True)
class Result:
    assumption: Assumption
    finding: Finding

    @property
    def endpoint(self) -> str:
        return self.finding.endpoint or self.assumption.endpoint

    def to_json(self) -> dict[str, Any]:
        a = self.assumption
        return {
            "id": a.id,
            "assumes": a.assumes,
            "status": self.finding.status.value,
            "seen": self.finding.seen,
            "endpoint": self.endpoint,
            "kinds": list(a.kinds),
            "affects": a.affects,
            "simulator_variants": list(a.variants),
        }


@dataclass
class Report:
    """What one doctor run found."""

    instance: str
    results: list[Result]
    latency: dict[str, Any]
    rate_limiting: dict[str, Any]
    kinds: list[str] = field(default_factory=lambda: [k.name for k in ALL_KINDS])

    def result(self, assumption_id: str) -> Result:
        return next(r for r in self.results if r.assumption.id == assumption_id)

    def _by_kind(self, status: Status) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {}
        for r in self.results:
            if r.finding.status is status:
                for kind in r.assumption.kinds:
                    out.setdefault(kind, []).append(r)
        return {k: out[k] for k in self.kinds if k in out}

    @property
    def not_manageable(self) -> dict[str, list[Result]]:
        """Kinds with an assumption that does not hold: plans of them are not safe."""
        return self._by_kind(Status.FAILS)

    @property
    def not_confirmed(self) -> dict[str, list[Result]]:
        """Kinds with an assumption doctor found nothing to test on (and none failing)."""
        failing = self.not_manageable
        return {k: v for k, v in self._by_kind(Status.UNKNOWN).items() if k not in failing}

    @property
    def manageable(self) -> list[str]:
        blocked = {*self.not_manageable, *self.not_confirmed}
        return [k for k in self.kinds if k not in blocked]

    @property
    def exit_code(self) -> int:
        """1 when some kind cannot be managed safely; 0 otherwise (SPEC §5)."""
        return 1 if self.not_manageable else 0

    def to_json(self) -> dict[str, Any]:
        def why(groups: dict[str, list[Result]]) -> dict[str, list[dict[str, str]]]:
            return {
                kind: [
                    {"assumption": r.assumption.id, "seen": r.finding.seen, "endpoint": r.endpoint}
                    for r in results
                ]
                for kind, results in groups.items()
            }

        return {
            "version": JSON_VERSION,
            "instance": self.instance,
            "assumptions": [r.to_json() for r in self.results],
            "kinds": {
                "manageable": self.manageable,
                "not_manageable": why(self.not_manageable),
                "not_confirmed": why(self.not_confirmed),
            },
            "latency": self.latency,
            "rate_limiting": self.rate_limiting,
            "exit_code": self.exit_code,
        }

    def lines(self) -> list[tuple[str, str]]:
        """The text report as (line, rich style) pairs."""
        styles = {
            Status.HOLDS: "green",
            Status.FAILS: "bold red",
            Status.UNKNOWN: "yellow",
            Status.VERIFY: "cyan",
            Status.OBSERVED: "yellow",
        }
        head = ("assumption", "holds?", "seen", "endpoint")
        rows = [
            (r.assumption.id, r.finding.status.label, r.finding.seen, r.endpoint)
            for r in self.results
        ]
        widths = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(2)]
        seen_width = min(72, max(len(head[2]), *(len(row[2]) for row in rows)))

        def line(cells: tuple[str, str, str, str]) -> str:
            return (
                f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  "
                f"{cells[2]:<{seen_width}}  {cells[3]}"
            ).rstrip()

        out: list[tuple[str, str]] = [
            (f"domogov doctor: {self.instance} (read-only)", "bold"),
            ("", ""),
            (line(head), "bold"),
        ]
        for r, row in zip(self.results, rows, strict=True):
            out.append((line(row), styles[r.finding.status]))
        out.append(("", ""))
        out.append(("kinds fully manageable: " + (", ".join(self.manageable) or "none"), ""))
        if self.not_manageable:
            out.append(
                ("kinds not safely manageable: " + _because(self.not_manageable), "bold red")
            )
        if self.not_confirmed:
            out.append(("kinds not confirmed: " + _because(self.not_confirmed), "yellow"))
        out.append((self.latency_line(), ""))
        variants = [v for r in self.results if r.finding.status is Status.FAILS
                    for v in r.assumption.variants]  # fmt: skip
        if variants:
            out.append(
                (
                    "rehearse against the simulator: domogov sim serve "
                    + " | ".join(f"--variant {v}" for v in variants),
                    "",
                )
            )
        return out

    def latency_line(self) -> str:
        lat, rate = self.latency, self.rate_limiting
        if lat["requests"]:
            text = (
                f"latency: median {lat['median_ms']} ms, 95th {lat['p95_ms']} ms over "
                f"{lat['requests']} requests"
            )
        else:
            text = "latency: no request timed"
        if rate["rate_limited"]:
            text += (
                f"; rate limiting: {rate['rate_limited']} rate-limited answers, paused "
                f"{rate['paused_seconds']} s"
            )
        else:
            text += "; rate limiting: none seen"
        return text


def _because(groups: dict[str, list[Result]]) -> str:
    return "; ".join(
        f"{kind} (because {', '.join(f'{r.assumption.id}: {r.finding.seen}' for r in results)})"
        for kind, results in groups.items()
    )


async def _run_probe(session: Session, assumption: Assumption) -> Finding:
    if assumption.probe is None:
        return Finding(Status.VERIFY, VERIFY_SEEN)
    try:
        return await assumption.probe(session)
    except AuthError:
        raise  # a refused token is the run's failure, not a finding
    except ResponseFormatError as exc:
        return Finding(Status.FAILS, f"the answer is not what domogov reads: {exc}")
    except ApiError as exc:
        # Not permitted, not found, a server error after retries: the read could not be made,
        # which says nothing about the assumption either way.
        log.info("doctor: %s could not be tested: %s", assumption.id, exc)
        return Finding(Status.UNKNOWN, f"could not read: {exc}")


async def run_doctor(client: DomoClient, config: Any = None, instance: str = "") -> Report:
    """Run every probe once, one after another (so latency is the API's, not a queue's)."""
    # A refused token or an unreachable host fails here, once, with its reason.
    session = Session(client, config)
    started = time.perf_counter()
    await client.check_connection()
    session.timings.append(time.perf_counter() - started)
    results = [Result(a, await _run_probe(session, a)) for a in ASSUMPTIONS]
    metrics = client.metrics()
    limited = int(metrics["rate_limited"])
    rate = {"rate_limited": limited, "paused_seconds": metrics["paused_seconds"]}
    if limited:
        seen = (
            f"{limited} rate-limited answers (429 or 403 'API Rate limit reached.'), "
            f"paused {metrics['paused_seconds']} s in {metrics['requests']} requests"
        )
        results.append(Result(RATE_LIMITS, Finding(Status.OBSERVED, seen)))
    else:
        seen = f"none in {metrics['requests']} requests"
        results.append(Result(RATE_LIMITS, Finding(Status.HOLDS, seen)))
    return Report(instance, results, session.latency(), rate)
