"""The variant matrix: every undocumented answer, on the examples and on a generated instance.

For each simulator variant (``domogov.sim.variants``), the manifests are planned against an
instance answering that way, applied, and planned again. The outcome must be one of:
  - converged: the second plan is empty;
  - refused: the plan fails with exit 1, naming the objects it will not touch;
  - not effective: apply reports what Domo ignored (exit 3), and the next plan plans nothing
    the manifests did not ask for.
And in every case the simulator's write log shows no wrong write: each write is a call of the
approved plan, and the plan under the variant removes, deletes or creates nothing the same
manifests would not on an instance answering as documented (the reference plan).

Per-kind variant tests with exact expectations are in ``test_variants_*.py``; this matrix is
the cross-check over whole governance directories.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from domogov.client.http import DomoClient
from domogov.connect import sample_state_path
from domogov.core.address import placeholders_in
from domogov.core.changes import Action, Plan
from domogov.errors import PlanError
from domogov.policy import load_checked
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import SimState, SimTransport, create_app, load_state_file, write_log
from domogov.sim.variants import VARIANTS
from domogov.verify import verify_apply

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))
from bench import scenario  # noqa: E402  (the benchmark's generated instance and manifests)

#: The rate-limit variant is about pacing, not answers: the matrix runs it with a limit the
#: run exceeds, so requests wait for the next window (the clock below makes that instant).
RATE_LIMIT = 40
NAMES = sorted(VARIANTS)


class Instance:
    """One in-process simulator with a state, a variant switched on, and a fake minute clock."""

    def __init__(self, state: SimState, variants: list[str]) -> None:
        self.now = 0.0
        rate = RATE_LIMIT if "rate_limit_per_minute" in variants else None
        self.app = create_app(
            state, variants=variants, rate_limit_per_minute=rate, rate_clock=self.clock
        )
        self.state = state

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds  # a client waiting for the rate window moves the clock there

    def client(self) -> DomoClient:
        return DomoClient(
            "http://127.0.0.1",
            self.state.token,
            transport=SimTransport(self.app),
            sleep=self.sleep,
        )


def _removed(plan: Plan) -> set[tuple[str, str, str]]:
    out = set()
    for change in plan.changes:
        if change.action == Action.DELETE:
            out.add((change.address, "(delete)", ""))
        for diff in change.diffs:
            out.update((change.address, diff.field, entry) for entry in diff.removed)
    return out


def _created(plan: Plan) -> set[str]:
    return {c.address for c in plan.changes if c.action == Action.CREATE}


def _call_patterns(plan: Plan) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for change in plan.changes:
        for call in change.calls:
            path = re.escape(call.path)
            for ref in placeholders_in(call.path):
                path = path.replace(re.escape("${" + ref + ".id}"), "[^/]+")
            patterns.append((call.method, re.compile(path + r"\Z")))
    return patterns


def assert_no_wrong_write(reference: Plan, plans: list[Plan], writes: list[dict[str, Any]]) -> None:
    """Nothing removed or created beyond the reference; every write a call of an applied plan."""
    for plan in plans:
        extra_removals = _removed(plan) - _removed(reference)
        assert not extra_removals, f"removals the manifests do not ask for: {extra_removals}"
        extra_creates = _created(plan) - _created(reference)
        assert not extra_creates, f"creates the manifests do not ask for: {extra_creates}"
    patterns = [p for plan in plans for p in _call_patterns(plan)]
    for write in writes:
        if write["handled_status"] is None:
            continue  # answered by the rate limit before any handler ran: nothing happened
        method, path = write["method"], write["path"]
        assert any(m == method and rx.match(path) for m, rx in patterns), (
            f"a write no approved plan holds: {method} {path} {write['effect']}"
        )


async def run_matrix(config_dir: Path, make_state: Any, variant: str) -> str:
    """Plan on a documented instance (the reference), then plan -> apply -> plan under the
    variant; the outcome's name."""
    config = load_checked(config_dir)
    options = PlanOptions(instance="matrix", allow_destructive=True)
    reference_env = Instance(make_state(), [])
    async with reference_env.client() as client:
        reference, _ = await make_plan(config, client, options)
    assert reference.changes, "the manifests must change something for the matrix to mean much"

    env = Instance(make_state(), [variant])
    async with env.client() as client:
        try:
            plan, ctx = await make_plan(config, client, options)
        except PlanError as exc:
            assert exc.issues, str(exc)
            # A clear refusal names the objects (kind.identity) it will not plan.
            assert any(re.search(r": [a-z_]+\.\S", str(issue)) for issue in exc.issues), str(exc)
            assert write_log(env.app) == [], "a refused plan must write nothing"
            return "refused"
        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
        try:
            after, _ = await make_plan(config, client, options)
        except PlanError as exc:
            # What Domo did not carry out may now be unreadable (a certification left
            # pending): the next plan refuses it, naming the objects, and writes nothing.
            assert report.not_effective, str(exc)
            assert any(re.search(r": [a-z_]+\.\S", str(issue)) for issue in exc.issues), str(exc)
            after = Plan(instance="matrix", changes=[])
    assert_no_wrong_write(reference, [plan], write_log(env.app))
    assert_no_wrong_write(reference, [after], [])
    if report.not_effective:
        assert report.exit_code == 3
        return "not effective"
    assert report.exit_code == 0, [o for o in report.outcomes if o.status != "done"]
    assert not after.changes, [c.address for c in after.changes]
    return "converged"


def sandbox_state() -> SimState:
    return load_state_file(sample_state_path())


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    sc = scenario.build("S", seed=3)
    root = tmp_path_factory.mktemp("generated")
    scenario.write_manifests(sc.specs, root, None)
    return root, sc.state


@pytest.mark.parametrize("variant", NAMES)
async def test_variant_on_the_examples(variant: str) -> None:
    outcome = await run_matrix(ROOT / "examples" / "config", sandbox_state, variant)
    assert outcome in ("converged", "refused", "not effective")


@pytest.mark.parametrize("variant", NAMES)
async def test_variant_on_a_generated_instance(
    variant: str, generated: tuple[Path, dict[str, Any]]
) -> None:
    root, doc = generated
    outcome = await run_matrix(root, lambda: SimState.from_document(doc), variant)
    assert outcome in ("converged", "refused", "not effective")


# Two whole directories under every variant: CI runs the matrix; the fast loop (-m "not slow")
# keeps the per-kind variant tests (test_variants_*.py).
pytestmark = pytest.mark.slow
