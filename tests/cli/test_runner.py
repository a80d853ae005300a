"""How a command runs: garbage collection tuned and restored, the process ended promptly."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from domogov import runner
from domogov.cli import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "config"


def test_a_command_runs_with_fewer_collections_and_leaves_the_collector_as_it_was() -> None:
    seen: list[tuple[tuple[int, int, int], int]] = []

    async def probe() -> None:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))

    before = gc.get_threshold()
    with runner.tuned_gc():
        runner.run(probe())
    ((threshold, frozen),) = seen
    assert threshold[0] == runner.GC_GEN0_THRESHOLD
    assert frozen > 0  # what existed when the coroutine started was out of the collector's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_run_hands_back_the_result_and_restores_on_error() -> None:
    async def answer() -> dict[str, int]:
        return {"n": 1}

    async def fail() -> None:
        raise ValueError("boom")

    assert runner.run(answer()) == {"n": 1}
    with pytest.raises(ValueError, match=r"^boom$"):
        runner.run(fail())
    assert gc.get_freeze_count() == 0


def test_cli_commands_restore_the_collector() -> None:
    before = gc.get_threshold()
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLES)], catch_exceptions=False)
    assert result.exit_code == 0
    assert gc.get_threshold() == before


def test_the_process_exit_keeps_the_exit_code_and_all_output(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    with out.open("w") as fh:
        done = subprocess.run(
            [sys.executable, "-m", "domogov", "schema"], stdout=fh, stderr=subprocess.PIPE
        )
    assert done.returncode == 0
    assert out.read_text() == (REPO / "schemas" / "domogov.schema.json").read_text()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "groups.yaml").write_text("groups: [\n")
    failed = subprocess.run(
        [sys.executable, "-m", "domogov", "validate", str(tmp_path / "bad")],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().endswith("nothing was sent to Domo.")
