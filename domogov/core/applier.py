"""Runs a plan: dependency order, bounded parallelism, placeholders, outcomes per change."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from domogov.core.address import placeholders_in, substitute
from domogov.core.changes import ApiCall, Change, Plan
from domogov.errors import (
    AmbiguousWriteError,
    ApiError,
    BadRequestError,
    ConflictError,
    NotFoundError,
)

DONE, FAILED, SKIPPED = "done", "failed", "skipped"


class CallRunner(Protocol):
    """What the applier needs of the client."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any: ...


FindCreated = Callable[[Change], Awaitable[Any | None]]
ConfirmCall = Callable[[Change, ApiCall], Awaitable[bool]]
SettleCreated = Callable[[Change, Any], Awaitable[Any]]


@dataclass
class Outcome:
    """What happened to one change."""

    address: str
    status: str
    detail: str = ""
    calls: int = 0
    seconds: float = 0.0
    maybe_applied: bool = False  # failed, but a write was made or its answer was lost


@dataclass
class ApplyReport:
    """Every change's outcome, in plan order; ``exit_code`` per SPEC (0, 1 or 3)."""

    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    #: Verify after apply: changes Domo accepted that did not take effect (address, field,
    #: expected, shown, text), and the reads the check made; None when not verified.
    not_effective: list[dict[str, Any]] = field(default_factory=list)
    verify_reads: int | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        if self.not_effective:
            return 3  # some writes were made, and some of them did not take effect
        if self.count(FAILED) == 0 and self.count(SKIPPED) == 0 and not self.interrupted:
            return 0
        # Nothing applied at all is a plain error; some applied (or possibly applied: a
        # write whose answer was lost) and some not is "partial".
        partial = self.count(DONE) or any(o.maybe_applied for o in self.outcomes)
        return 3 if partial else 1

    @property
    def write_calls(self) -> int:
        return sum(o.calls for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        """The apply report as a document (``apply --json``)."""
        return {
            "format_version": "1",
            "summary": {s: self.count(s) for s in (DONE, FAILED, SKIPPED)},
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
            "write_calls": self.write_calls,
            "outcomes": [
                {"address": o.address, "status": o.status, "detail": o.detail, "calls": o.calls}
                for o in self.outcomes
            ],
            "verify": None
            if self.verify_reads is None
            else {"reads": self.verify_reads, "not_effective": self.not_effective},
        }


class Applier:
    """Applies changes as soon as what they depend on is done, at most ``parallelism`` at once."""

    def __init__(
        self,
        runner: CallRunner,
        find_created: FindCreated,
        *,
        parallelism: int = 8,
        on_outcome: Callable[[Outcome], None] | None = None,
        stop: asyncio.Event | None = None,
        confirm: ConfirmCall | None = None,
        settle: SettleCreated | None = None,
    ) -> None:
        self.runner = runner
        self.find_created = find_created
        self.confirm = confirm
        self.settle = settle
        self.parallelism = max(1, parallelism)
        self.on_outcome = on_outcome
        self.stop = stop or asyncio.Event()
        self.ids: dict[str, Any] = {}

    async def run(self, plan: Plan) -> ApplyReport:
        changes = {c.address: c for c in plan.changes}
        outcomes: dict[str, Outcome] = {}
        finished: dict[str, asyncio.Event] = {a: asyncio.Event() for a in changes}
        gate = asyncio.Semaphore(self.parallelism)
        report = ApplyReport()

        async def one(change: Change) -> None:
            try:
                for dep in change.depends_on:
                    if dep in finished:
                        await finished[dep].wait()
                failed_deps = [
                    d for d in change.depends_on if d in outcomes and outcomes[d].status != DONE
                ]
                if failed_deps:
                    outcome = Outcome(change.address, SKIPPED, f"depends on {failed_deps[0]}")
                elif self.stop.is_set():
                    outcome = Outcome(change.address, SKIPPED, "interrupted before it started")
                else:
                    async with gate:
                        if self.stop.is_set():
                            outcome = Outcome(change.address, SKIPPED, "interrupted")
                        else:
                            outcome = await self._apply(change)
                outcomes[change.address] = outcome
                if self.on_outcome:
                    self.on_outcome(outcome)
            finally:
                finished[change.address].set()

        await asyncio.gather(*(one(c) for c in plan.changes))
        report.outcomes = [outcomes[c.address] for c in plan.changes]
        report.interrupted = self.stop.is_set()
        return report

    async def _apply(self, change: Change) -> Outcome:
        start = time.monotonic()
        made = 0
        for index, call in enumerate(change.calls):
            missing = placeholders_in([call.path, call.body, call.params]) - set(self.ids)
            if missing:
                return Outcome(
                    change.address,
                    FAILED,
                    f"call {index + 1} needs the id of {sorted(missing)[0]}, which is not known",
                    made,
                    time.monotonic() - start,
                )
            try:
                made += await self._call(change, call)
            except ApiError as exc:
                lost = isinstance(exc, AmbiguousWriteError) or (
                    call.method != "GET" and exc.retryable
                )
                return Outcome(
                    change.address,
                    FAILED,
                    str(exc),
                    made,
                    time.monotonic() - start,
                    maybe_applied=made > 0 or lost,
                )
        return Outcome(change.address, DONE, "", made, time.monotonic() - start)

    async def _call(self, change: Change, call: ApiCall) -> int:
        """Run one call; returns how many requests it cost.  Raises ApiError on failure."""
        path = substitute(call.path, self.ids)
        body = substitute(call.body, self.ids)
        params = substitute(call.params, self.ids) if call.params else None
        try:
            answer = await self.runner.request(
                call.method, path, params=params, json=body, idempotent=call.idempotent
            )
        except NotFoundError:
            if call.method == "DELETE":
                return 1  # already gone: the goal of a delete is met
            raise
        except BadRequestError:
            # Some Domo writes answer 400 although they were applied (roles, above all):
            # where the kind can tell, the answer is confirmed by reading back.
            if call.confirm and self.confirm is not None and await self.confirm(change, call):
                return 1
            raise
        except (AmbiguousWriteError, ConflictError) as exc:
            if not call.produces:
                raise
            # The create may have happened (lost response) or the object already exists:
            # read back before anything else, and adopt what is there.
            found = await self.find_created(change)
            if found is not None:
                self.ids[call.produces] = found
                return 1
            if isinstance(exc, ConflictError):
                raise
            answer = await self.runner.request(
                call.method, path, params=params, json=body, idempotent=False
            )
        if call.produces:
            new_id = _id_from(answer, call)
            if self.settle is not None:
                # Where Domo lets two objects share a name, two concurrent applies could each
                # create one: the kind settles on a single survivor (see report_schedule).
                new_id = await self.settle(change, new_id)
            self.ids[call.produces] = new_id
        return 1


def _id_from(answer: Any, call: ApiCall) -> Any:
    if isinstance(answer, dict) and answer.get(call.id_key) is not None:
        return answer[call.id_key]
    raise ApiError(
        f"the create answered without an id ({call.id_key!r} missing)",
        method=call.method,
        path=call.path,
    )
