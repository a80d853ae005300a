"""Applier: ordering, placeholders, skipping dependents of failures, ambiguous creates.

These unit tests drive the applier with a recording runner; the end-to-end tests in tests/e2e
exercise it against the simulator through the real client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from domogov.core.address import placeholder
from domogov.core.applier import DONE, FAILED, SKIPPED, Applier
from domogov.core.changes import Action, ApiCall, Change, Plan
from domogov.errors import (
    AmbiguousWriteError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServerError,
)


class Runner:
    def __init__(self, answers: dict[str, list[Any]] | None = None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.answers = answers or {}

    async def request(self, method: str, path: str, *, params=None, json=None, idempotent=None):
        self.calls.append((method, path, json))
        queue = self.answers.get(f"{method} {path}")
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return True


def create_group(name: str) -> Change:
    address = f"group.{name}"
    return Change(
        address=address,
        kind="group",
        action=Action.CREATE,
        key={"name": name},
        before=None,
        after={"name": name},
        calls=[
            ApiCall("POST", "/groups", body={"name": name}, idempotent=False, produces=address),
            ApiCall("PUT", "/groups/access", body=[{"groupId": placeholder(address)}]),
        ],
    )


def share(dataset: str, *deps: str) -> Change:
    return Change(
        address=f"dataset_share.{dataset}",
        kind="dataset_share",
        action=Action.UPDATE,
        key={"dataset": dataset},
        before={"grants": []},
        after={"grants": ["group:F CAN_VIEW"]},
        calls=[
            ApiCall(
                "POST",
                f"/datasets/{dataset}/share",
                body={"permissions": [{"id": placeholder(d), "type": "GROUP"} for d in deps]},
            )
        ],
        depends_on=list(deps),
    )


async def nothing(change: Change) -> Any:
    return None


def run(applier: Applier, changes: list[Change]):
    return asyncio.run(applier.run(Plan(instance="t", changes=changes)))


def test_new_group_id_flows_into_later_calls() -> None:
    runner = Runner({"POST /groups": [{"id": "777"}]})
    report = run(Applier(runner, nothing), [create_group("F"), share("d1", "group.F")])
    assert [o.status for o in report.outcomes] == [DONE, DONE]
    assert runner.calls[1] == ("PUT", "/groups/access", [{"groupId": "777"}])
    assert runner.calls[2][2] == {"permissions": [{"id": "777", "type": "GROUP"}]}
    assert report.exit_code == 0


def test_dependents_of_a_failure_are_skipped_and_exit_is_3_when_some_applied() -> None:
    runner = Runner({"POST /groups": [ServerError("boom", status=500)]})
    report = run(Applier(runner, nothing), [create_group("F"), share("d1", "group.F"), share("d2")])
    status = {o.address: o.status for o in report.outcomes}
    assert status == {
        "group.F": FAILED,
        "dataset_share.d1": SKIPPED,
        "dataset_share.d2": DONE,
    }
    assert "depends on group.F" in report.outcomes[1].detail
    assert report.exit_code == 3


def test_nothing_applied_is_exit_1() -> None:
    runner = Runner({"POST /groups": [BadRequestError("bad name", status=400)]})
    assert run(Applier(runner, nothing), [create_group("F")]).exit_code == 1


def test_a_write_that_may_have_applied_is_exit_3_even_with_nothing_done() -> None:
    runner = Runner({"PUT /groups/access": [ServerError("gateway", status=502)]})
    change = create_group("F")
    change.calls = change.calls[1:]  # only the access call, which fails with its answer lost
    change.calls[0].body = [{"groupId": "1"}]
    report = run(Applier(runner, nothing), [change])
    assert report.outcomes[0].maybe_applied and report.exit_code == 3


def test_ambiguous_create_reads_back_and_adopts_instead_of_creating_again() -> None:
    runner = Runner({"POST /groups": [AmbiguousWriteError("lost", status=504)]})

    async def found(change: Change) -> Any:
        return "555"

    report = run(Applier(runner, found), [create_group("F")])
    assert report.outcomes[0].status == DONE
    assert [c[0] for c in runner.calls] == ["POST", "PUT"]
    assert runner.calls[1][2] == [{"groupId": "555"}]


def test_ambiguous_create_not_found_is_retried_once() -> None:
    runner = Runner({"POST /groups": [AmbiguousWriteError("lost"), {"id": "9"}]})
    report = run(Applier(runner, nothing), [create_group("F")])
    assert report.outcomes[0].status == DONE
    assert [c[0] for c in runner.calls] == ["POST", "POST", "PUT"]


def test_already_exists_is_adopted() -> None:
    runner = Runner({"POST /groups": [ConflictError("already exists", status=400)]})

    async def found(change: Change) -> Any:
        return "1"

    assert run(Applier(runner, found), [create_group("F")]).outcomes[0].status == DONE


def test_delete_of_something_already_gone_counts_as_done() -> None:
    gone = Change(
        address="group.Old",
        kind="group",
        action=Action.DELETE,
        key={"name": "Old"},
        before={"name": "Old"},
        after=None,
        calls=[ApiCall("DELETE", "/groups", body=[1])],
    )
    runner = Runner({"DELETE /groups": [NotFoundError("gone", status=404)]})
    assert run(Applier(runner, nothing), [gone]).outcomes[0].status == DONE


def test_stop_event_skips_changes_not_yet_started() -> None:
    stop = asyncio.Event()
    stop.set()
    report = run(Applier(Runner(), nothing, stop=stop), [share("d1")])
    assert report.outcomes[0].status == SKIPPED
    assert report.interrupted and report.exit_code == 1


def test_parallelism_bounds_changes_in_flight() -> None:
    in_flight = 0
    peak = 0

    class Slow(Runner):
        async def request(self, *a: Any, **k: Any) -> Any:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return True

    report = run(Applier(Slow(), nothing, parallelism=3), [share(f"d{i}") for i in range(10)])
    assert report.count(DONE) == 10
    assert peak == 3
