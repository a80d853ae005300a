"""Before/after in one run: the scale benchmark against an older commit, then against this tree.

    python bench/compare.py 0ec4992 --scale L

The older commit is checked out in a throwaway ``git worktree`` (removed at the end). Each side
runs with its own package: the benchmark runs with that checkout as its working directory and
on ``PYTHONPATH``, so the simulator and every CLI child (``python -m domogov``, which puts the
working directory first on sys.path) import that checkout's ``domogov``; the script checks this
from the ``domogov_package`` each results file records and stops if it is wrong.

By default both sides are measured by this checkout's benchmark code (bench/run.py, harness.py,
scenario.py): that is sound when the measuring code is the same at the older commit (the script
says whether harness.py and scenario.py differ there). ``--own-bench`` runs each checkout's own
bench/run.py instead. Either way the comparison re-judges both results files with this
checkout's targets, so both sides are held to the same limits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import run as bench_run  # noqa: E402  (bench/run.py: evaluate() and information())
import scenario  # noqa: E402


def git(*args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    return proc.stdout.strip()


@contextlib.contextmanager
def worktree(rev: str, keep: bool) -> Iterator[Path]:
    """A detached worktree of ``rev`` in a new temporary directory; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"domogov-{rev[:12]}-"))
    git("worktree", "add", "--detach", str(path), rev)
    try:
        yield path
    finally:
        if keep:
            print(f"worktree kept at {path} (git worktree remove {path})")
        else:
            # --force: the runs leave __pycache__ and *.egg-info behind, nothing else.
            git("worktree", "remove", "--force", str(path))
            print(f"worktree {path} removed")


def uptime() -> str:
    proc = subprocess.run(["uptime"], capture_output=True, text=True, check=False, timeout=30)
    return proc.stdout.strip() or f"load average {os.getloadavg()}"


def run_side(
    label: str, tree: Path, script: Path, scale: str, out: Path, extra: list[str]
) -> dict[str, Any]:
    """One benchmark run with ``tree``'s package; returns its results file."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    load = uptime()
    print(f"\n=== {label}: {tree} (uptime: {load})", flush=True)
    argv = [sys.executable, str(script), "--scale", scale, "--out", str(out), *extra]
    proc = subprocess.run(argv, cwd=tree, env=env, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"{label}: the benchmark exited {proc.returncode}; no comparison")
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    results["compare"] = {"label": label, "tree": str(tree), "uptime_before": load}
    package = results.get("host", {}).get("domogov_package") or _package_of(tree, env)
    expected = tree.resolve() / "domogov" / "__init__.py"
    if Path(package).resolve() != expected:
        raise SystemExit(f"{label}: the CLI imported {package}, not {expected}")
    results["compare"]["domogov_package"] = package
    print(f"=== {label}: domogov imported from {package}", flush=True)
    return results


def _package_of(tree: Path, env: dict[str, str]) -> str:
    """What a child started like the CLI imports (for a bench that does not record it)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import domogov; print(domogov.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return proc.stdout.strip()


# --- comparison --------------------------------------------------------------------------

Figure = Callable[[dict[str, Any]], float]


def _phase(name: str, key: str) -> Figure:
    return lambda r: float(r["phases"][name][key])


def _ratio(r: dict[str, Any]) -> float:
    plan = r["phases"]["plan"]
    return float(plan["wall_s"] / plan["lower_bound_s"]) if plan["lower_bound_s"] else 0.0


def _speedup(r: dict[str, Any]) -> float:
    p1, plan = r["phases"]["plan_p1"], r["phases"]["plan"]
    return float(p1["wall_s"] / plan["wall_s"]) if plan["wall_s"] else 0.0


# (label, figure, format)
ROWS: list[tuple[str, Figure, str]] = [
    ("plan wall s", _phase("plan", "wall_s"), ".1f"),
    ("plan lower bound s", _phase("plan", "lower_bound_s"), ".1f"),
    ("plan wall / bound", _ratio, ".2f"),
    ("plan requests", _phase("plan", "requests"), ".0f"),
    ("minimum requests", lambda r: float(r["minimum_requests"]["total"]), ".0f"),
    ("plan CPU s", _phase("plan", "cpu_s"), ".1f"),
    ("plan RSS MB", _phase("plan", "peak_rss_mb"), ".0f"),
    ("plan --parallelism 1 wall s", _phase("plan_p1", "wall_s"), ".1f"),
    ("speed-up over -p 1 (info)", _speedup, ".2f"),
    ("apply wall s", _phase("apply", "wall_s"), ".1f"),
    ("apply CPU s", _phase("apply", "cpu_s"), ".1f"),
    ("apply RSS MB", _phase("apply", "peak_rss_mb"), ".0f"),
    ("no-op plan wall s", _phase("noop_plan", "wall_s"), ".1f"),
    ("no-op plan CPU s", _phase("noop_plan", "cpu_s"), ".1f"),
    ("rate-limited plan wall s", _phase("rate_limited_plan", "wall_s"), ".1f"),
    ("load average before run", lambda r: float(r["host"]["load_average_before"]), ".2f"),
    ("load average after run", lambda r: float(r["host"]["load_average_after"]), ".2f"),
    ("whole benchmark s", lambda r: float(r["total_wall_s"]), ".0f"),
]


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """This checkout's targets and checks applied to a results file (any commit's)."""
    expected = sum(results["scenario_changes"].values())
    judged: list[dict[str, Any]] = bench_run.evaluate(
        results["phases"], results["minimum_requests"]["total"], expected
    )
    return judged


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for label, figure, fmt in ROWS:
        b, a = figure(before), figure(after)
        change = f"{(a - b) / b * 100:+.0f}%" if b else ""
        rows.append({"figure": label, "before": b, "after": a, "change": change, "format": fmt})
    judged_b, judged_a = judge(before), judge(after)
    targets = []
    for tb, ta in zip(judged_b, judged_a, strict=True):
        targets.append(
            {
                "name": ta["name"],
                "kind": ta["kind"],
                "before": {k: tb[k] for k in ("met", "value", "limit")},
                "after": {k: ta[k] for k in ("met", "value", "limit")},
            }
        )
    return {"rows": rows, "targets": targets}


def print_comparison(
    cmp: dict[str, Any], before: dict[str, Any], after: dict[str, Any], lines: str
) -> None:
    bl, al = before["compare"]["label"], after["compare"]["label"]
    print()
    print(f"before/after at scale {after['scale']}: before = {bl}, after = {al}")
    for side in (before, after):
        c = side["compare"]
        print(f"  {c['label']}: domogov from {c['domogov_package']}; uptime {c['uptime_before']}")
    print()
    head = f"{'figure':<30}{'before':>10}{'after':>10}{'change':>9}"
    print(head)
    print("-" * len(head))
    for row in cmp["rows"]:
        fmt = row["format"]
        print(
            f"{row['figure']:<30}{format(row['before'], fmt):>10}"
            f"{format(row['after'], fmt):>10}{row['change']:>9}"
        )
    print()
    print("targets and checks (this checkout's, applied to both results files), information:")
    table: list[tuple[str, str, str, str]] = []
    for kind in ("target", "check"):
        for t in cmp["targets"]:
            if t["kind"] == kind:
                cells = [
                    f"{'met' if s['met'] else 'NOT met'}: {s['value']} (limit {s['limit']})"
                    for s in (t["before"], t["after"])
                ]
                table.append((kind, t["name"], cells[0], cells[1]))
    infos = zip(
        bench_run.information(before["phases"]), bench_run.information(after["phases"]), strict=True
    )
    for info_b, info_a in infos:
        table.append(("info", info_a["name"], info_b["value"], info_a["value"]))
    header = ("kind", "name", "before", "after")
    w_kind, w_name, w_before = (max(len(row[i]) for row in [header, *table]) for i in range(3))
    for kind, name, cell_b, cell_a in [header, *table]:
        print(f"  {kind:<{w_kind}}  {name:<{w_name}}  {cell_b:<{w_before}}  {cell_a}")
    if lines:
        print()
        print(f"domogov/ changed between the two: {lines}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("rev", help="the commit to measure as 'before'")
    parser.add_argument(
        "--after",
        metavar="REV",
        help="measure this commit (in its own worktree) as 'after'; default: this working tree",
    )
    parser.add_argument("--scale", choices=sorted(scenario.SCALES), default="L")
    parser.add_argument(
        "--out-dir", type=Path, help="keep before.json, after.json and compare.json here"
    )
    parser.add_argument(
        "--own-bench", action="store_true", help="run each checkout's own bench/run.py"
    )
    parser.add_argument("--keep-worktree", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rev = git("rev-parse", "--verify", f"{args.rev}^{{commit}}")
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="domogov-compare-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    measuring = ["bench/harness.py", "bench/scenario.py"]
    differs = git("diff", "--stat", rev, "--", *measuring)
    print(
        f"measuring code (harness.py, scenario.py) at {rev[:12]}: "
        + (f"differs from here (read the diff; --own-bench):\n{differs}" if differs else "the same")
    )
    extra = ["--seed", str(args.seed)]

    with contextlib.ExitStack() as stack:
        before_tree = stack.enter_context(worktree(rev, args.keep_worktree))
        if args.after:
            after_rev = git("rev-parse", "--verify", f"{args.after}^{{commit}}")
            after_tree = stack.enter_context(worktree(after_rev, args.keep_worktree))
            after_label = after_rev[:12]
        else:
            after_rev = git("rev-parse", "HEAD")
            after_tree = ROOT
            dirty = git("status", "--short", "--", "domogov")
            after_label = f"working tree at {after_rev[:12]}" + (
                " (uncommitted changes in domogov/)" if dirty else ""
            )
        scripts = {
            side: (tree if args.own_bench else ROOT) / "bench" / "run.py"
            for side, tree in (("before", before_tree), ("after", after_tree))
        }
        before = run_side(
            rev[:12], before_tree, scripts["before"], args.scale, out_dir / "before.json", extra
        )
        after = run_side(
            after_label, after_tree, scripts["after"], args.scale, out_dir / "after.json", extra
        )
    # Against the working tree when "after" is the working tree (uncommitted changes count).
    span = [rev, after_rev] if args.after else [rev]
    lines = git("diff", "--shortstat", *span, "--", "domogov")
    cmp = compare(before, after)
    print_comparison(cmp, before, after, lines)
    doc = {
        "before": {"rev": rev, **before["compare"]},
        "after": {"rev": after_rev, **after["compare"]},
        "scale": args.scale,
        "domogov_diff_shortstat": lines,
        **cmp,
    }
    (out_dir / "compare.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"\nresults in {out_dir} (before.json, after.json, compare.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
