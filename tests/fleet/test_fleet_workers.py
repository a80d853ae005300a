"""A fleet's instances run in worker processes (domogov.fleet.workers): each member ends up
with its own results, one worker's death or error stays with its own members, and a run in
workers reports exactly what a run in one process reports."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from domogov.cli import cli
from domogov.connect import Connection
from domogov.errors import UsageError
from domogov.fleet.members import Member
from domogov.fleet.workers import MAX_WORKERS, run_members, worker_count

ROOT = Path(__file__).parents[2]
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux")


def fleet(*names: str) -> list[Member]:
    return [Member(name, Connection(fleet_name=name)) for name in names]


@linux_only
def test_each_member_runs_in_a_worker_and_keeps_its_own_results() -> None:
    async def work(member: Member) -> None:
        member.warnings.append(f"pid {os.getpid()}")
        member.exit_code = 2 if member.name == "b" else 0

    items = fleet("a", "b", "c")
    run_members(items, work, workers=2)
    pids = {m.warnings[0] for m in items}
    assert f"pid {os.getpid()}" not in pids  # none ran here
    assert len(pids) == 2  # two workers; a and c share one (round robin)
    assert items[0].warnings == items[2].warnings
    assert [m.exit_code for m in items] == [0, 2, 0]
    assert all(not m.error for m in items)


@linux_only
def test_a_worker_that_dies_fails_only_its_own_members() -> None:
    async def work(member: Member) -> None:
        if member.name == "b":
            os._exit(7)  # as a crash or an out-of-memory kill would end it
        member.warnings.append("done")

    items = fleet("a", "b")
    run_members(items, work, workers=2)
    a, b = items
    assert a.warnings == ["done"] and not a.error and a.exit_code == 0
    assert "worker process for b ended without a result (exit code 7)" in b.error
    assert b.exit_code == 1


@linux_only
def test_an_error_is_reported_on_its_member_with_its_exit_code() -> None:
    error = UsageError("no token for a")

    async def work(member: Member) -> None:
        if member.name == "a":
            raise error

    items = fleet("a", "b")
    run_members(items, work, workers=2)
    assert items[0].error == "no token for a" and items[0].exit_code == error.exit_code
    assert not items[1].error and items[1].exit_code == 0


@linux_only
def test_a_result_that_cannot_be_sent_back_is_its_members_error() -> None:
    async def work(member: Member) -> None:
        member.warnings.append("planned")
        if member.name == "a":
            member.drift = [lambda: None]  # type: ignore[list-item]  # cannot be pickled

    items = fleet("a", "b")
    run_members(items, work, workers=2)
    a, b = items
    assert a.exit_code == 1 and "could not be sent back from the worker process" in a.error
    assert b.warnings == ["planned"] and not b.error


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOMOGOV_FLEET_WORKERS", raising=False)
    assert worker_count(1) == 1  # one instance: nothing to spread
    monkeypatch.setenv("DOMOGOV_FLEET_WORKERS", "1")
    assert worker_count(5) == 1  # turned off
    if sys.platform != "linux":
        return
    monkeypatch.setenv("DOMOGOV_FLEET_WORKERS", "3")
    assert worker_count(5) == 3 and worker_count(2) == 2
    monkeypatch.setenv("DOMOGOV_FLEET_WORKERS", "not a number")
    assert worker_count(5) == 5 and worker_count(64) == MAX_WORKERS  # one per instance
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:  # forking a process that holds another thread can deadlock: no workers then
        assert worker_count(5) == 1
    finally:
        stop.set()
        thread.join()


@linux_only
def test_workers_report_exactly_what_one_process_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "examples" / "fleet", tmp_path / "fleet")
    monkeypatch.chdir(tmp_path)

    def plan(workers: str) -> dict[str, object]:
        env = {"DOMO_TOKEN": "", "DOMOGOV_FLEET_WORKERS": workers}
        args = ["plan", "fleet", "--sandbox", "--all-instances", "--json"]
        result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.output)
        for entry in doc["fleet"]:
            entry["plan"].pop("created_at")
        return doc

    in_workers, in_one_process = plan("2"), plan("1")
    assert [e["instance"] for e in in_workers["fleet"]] == ["acme", "acme-emea"]
    assert all(e["plan"]["changes"] for e in in_workers["fleet"])
    assert in_workers == in_one_process
