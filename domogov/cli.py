"""The ``domogov`` command line: click commands only; the work happens in reconcile and config."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import click

from domogov import __version__, runner
from domogov.command import (
    EXIT_CHANGES,
    Output,
    approve,
    connection_of,
    connection_options,
    err,
    plan_options,
    run_command,
    setup_logging,
)
from domogov.connect import Connection, open_client
from domogov.errors import UsageError


def fleet_option(fn: Any) -> Any:
    """``--all-instances``; on a fleet directory ``--instance a,b`` picks instances instead."""
    return click.option(
        "--all-instances",
        is_flag=True,
        help="Run every instance domogov.yaml declares under `instances`, at once (a fleet); "
        "on such a directory --instance a,b picks some of them.",
    )(fn)


def _fleet(config_dir: str, kw: dict[str, Any]) -> list[str] | None:
    from domogov.fleet.members import selection

    return selection(config_dir, kw)


def _load(config_dir: str) -> Any:
    from domogov.policy import load_checked

    return load_checked(config_dir)


# --- commands ----------------------------------------------------------------------------


class _LazyGroup(click.Group):
    """A command group whose heavier subcommands are imported only when they are used.

    ``sim`` (Starlette, uvicorn) and ``export``/``fmt`` are not needed to plan: importing
    them on every run cost about a tenth of a second of each plan's start-up.
    """

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "sim": ("domogov.sim.cli", "sim"),
        "export": ("domogov.export.commands", "export"),
        "fmt": ("domogov.export.commands", "fmt"),
        "doctor": ("domogov.doctor.command", "doctor"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module, attr = self.LAZY[cmd_name]
            command = getattr(importlib.import_module(module), attr)
            if cmd_name == "doctor":
                from domogov.fleet.commands import with_fleet_option

                command = with_fleet_option(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="domogov")
def cli() -> None:
    """Declarative governance-as-code for Domo: plan and apply groups, roles, dataset shares,
    certifications, alert subscriptions and report schedules from YAML manifests.

    Start with `domogov plan examples/config --sandbox`.
    """


@cli.command()
@click.argument("config_dir", default=".", type=click.Path(file_okay=False))
@run_command
def validate(config_dir: str) -> int:
    """Check the manifests offline: syntax, schema, duplicates, references. No network."""
    from domogov.config.validate import validate_dir

    _, line = validate_dir(config_dir)
    click.echo(line)
    return 0


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the manifest language (schemas/domogov.schema.json)."""
    from domogov.config.schema import render

    click.echo(render(), nl=False)


@cli.command()
@click.argument("config_dir", default=".", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Save the plan (JSON) for `domogov apply FILE`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as versioned JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as a pull-request comment.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 for no changes, 2 for changes.")
@click.option("--impact-only", is_flag=True, help="Print only who gains or loses access.")
@fleet_option
@plan_options
@connection_options
@run_command
def plan(
    config_dir: str,
    out_file: str | None,
    as_json: bool,
    markdown: bool,
    detailed_exitcode: bool,
    impact_only: bool,
    **kw: Any,
) -> int:
    """Read live state and show what apply would change, and the API calls that would do it."""
    from domogov.core.render import impact_lines, plan_lines, render_json, render_markdown

    setup_logging(kw["verbose"])
    from domogov.reconcile import enforce_policy

    names = _fleet(config_dir, kw)
    if names is not None:
        from domogov.fleet.commands import plan_command

        view = {"out_file": out_file, "as_json": as_json, "markdown": markdown}
        view["detailed_exitcode"] = detailed_exitcode
        return plan_command(config_dir, names, kw, Output(kw["no_color"]), view)
    config = _load(config_dir)
    result, ctx = runner.run(_make_plan(config, kw))
    failing = [p for p in result.policy if not p.get("waived_by")]
    if out_file and not failing:  # a plan that breaks a policy is never saved for apply
        Path(out_file).write_text(result.dumps(pretty=False), encoding="utf-8")
    out = Output(kw["no_color"])
    if impact_only:
        if as_json:
            out.text(json.dumps({"impact": result.impact}, indent=2))
        else:
            out.lines(impact_lines(result))
    elif as_json:
        out.text(render_json(result))
    elif markdown:
        out.text(render_markdown(result))
    else:
        out.lines(plan_lines(result))
        if out_file and not failing:
            out.text(f"\nSaved the plan to {out_file}; apply it with `domogov apply {out_file}`.")
    enforce_policy(ctx)
    if detailed_exitcode and result.changes:
        return EXIT_CHANGES
    return 0


async def _make_plan(config: Any, kw: dict[str, Any]) -> tuple[Any, Any]:
    from domogov.reconcile import PlanOptions, make_plan

    conn = connection_of(kw)
    project_instance = getattr(config.project, "instance", None)
    async with open_client(conn, project_instance) as client:
        options = PlanOptions(
            targets=tuple(kw.get("targets") or ()),
            allow_destructive=bool(kw.get("allow_destructive")),
            instance=conn.label(project_instance),
        )
        with _reading():
            return await make_plan(config, client, options)


@cli.command()
@click.argument("config_dir", default=".", type=click.Path(file_okay=False))
@click.option(
    "--since",
    default="7d",
    show_default=True,
    metavar="SPAN",
    help="How far back to search the activity log (30m, 24h, 7d, 2w).",
)
@click.option("--json", "as_json", is_flag=True, help="Print drift as JSON.")
@click.option("--markdown", is_flag=True, help="Print drift as markdown (for an issue).")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)
@fleet_option
@connection_options
@run_command
def drift(config_dir: str, since: str, as_json: bool, markdown: bool, **kw: Any) -> int:
    """Find what changed outside domogov and who changed it (exit 0: none, 2: drift)."""
    from domogov.drift import (
        drift_json,
        parse_since,
        render_drift_markdown,
        render_drift_text,
    )

    setup_logging(kw["verbose"])
    try:
        window = parse_since(since)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    names = _fleet(config_dir, kw)
    if names is not None:
        from domogov.fleet.commands import drift_command

        view = "json" if as_json else "markdown" if markdown else "text"
        return drift_command(config_dir, names, kw, Output(kw["no_color"]), window, view)
    config = _load(config_dir)
    warnings: list[str] = []
    entries, instance = runner.run(_drift(config, kw, window, warnings))
    for warning in warnings:
        err(f"warning: {warning}")
    out = Output(kw["no_color"])
    if as_json:
        out.text(json.dumps(drift_json(entries), indent=2))
    elif markdown:
        out.text(render_drift_markdown(entries, instance))
    else:
        out.text(render_drift_text(entries))
    return EXIT_CHANGES if entries else 0


async def _drift(
    config: Any, kw: dict[str, Any], window: Any, warnings: list[str]
) -> tuple[list[Any], str]:
    from domogov.drift import detect

    conn = connection_of(kw)
    project_instance = getattr(config.project, "instance", None)
    instance = conn.label(project_instance)
    async with open_client(conn, project_instance) as client:
        return await detect(config, client, instance, window, warnings), instance


@cli.command()
@click.argument("source", default=".", type=click.Path(exists=True))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for `yes`.")
@click.option(
    "--no-verify",
    is_flag=True,
    help="Skip re-reading the changed objects after apply (verify finds writes Domo "
    "accepted but did not carry out; they exit 3).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the apply report (outcomes, verify) as JSON instead of text; needs "
    "--auto-approve or a plan file.",
)
@fleet_option
@plan_options
@connection_options
@run_command
def apply(source: str, auto_approve: bool, no_verify: bool, as_json: bool, **kw: Any) -> int:
    """Apply the manifests in a directory (after approval), or a plan saved with --out."""
    setup_logging(kw["verbose"])
    if as_json and not auto_approve and not Path(source).is_file():
        raise UsageError("apply --json prints no plan to approve: add --auto-approve")
    kw["verify"], kw["as_json"] = not no_verify, as_json
    out = Output(kw["no_color"])
    if Path(source).is_file() or Path(source).is_dir():
        from domogov.fleet.apply import apply_command
        from domogov.fleet.planfile import is_fleet_plan

        if Path(source).is_file() and is_fleet_plan(Path(source)):
            return apply_command(source, None, kw, out, auto_approve)
        names = _fleet(source, kw) if Path(source).is_dir() else None
        if names is not None:
            return apply_command(source, names, kw, out, auto_approve)
    if Path(source).is_file():
        return runner.run(_apply_saved(Path(source), kw, out))
    config = _load(source)
    return runner.run(_apply_dir(config, kw, out, auto_approve))


async def _apply_dir(config: Any, kw: dict[str, Any], out: Output, auto_approve: bool) -> int:
    from domogov.core.render import plan_lines
    from domogov.reconcile import PlanOptions, enforce_policy, make_plan

    conn = connection_of(kw)
    project_instance = getattr(config.project, "instance", None)
    async with open_client(conn, project_instance) as client:
        options = PlanOptions(
            targets=tuple(kw.get("targets") or ()),
            allow_destructive=bool(kw.get("allow_destructive")),
            instance=conn.label(project_instance),
        )
        with _reading():
            result, ctx = await make_plan(config, client, options)
        if not kw["as_json"]:
            out.lines(plan_lines(result))
        enforce_policy(ctx)
        if not result.changes:
            return _empty_report(out) if kw["as_json"] else 0
        if not auto_approve:
            approve(out)
        return await _run_apply(result, ctx, conn, out, kw)


async def _apply_saved(path: Path, kw: dict[str, Any], out: Output) -> int:
    from domogov.core.render import plan_lines
    from domogov.reconcile import prepare_saved_plan, read_plan_file

    saved = read_plan_file(path)
    conn = connection_of(kw)
    if conn.instance is None and conn.base_url is None and not conn.sandbox:
        conn.instance = saved.instance or None  # a plan file names the instance it was made for
    async with open_client(conn) as client:
        with _reading("Checking that the plan is still current"):
            ctx = await prepare_saved_plan(saved, path, conn.label(), client)
        if not kw["as_json"]:
            out.lines(plan_lines(saved))
        if not saved.changes:
            return _empty_report(out) if kw["as_json"] else 0
        return await _run_apply(saved, ctx, conn, out, kw)


def _empty_report(out: Output) -> int:
    from domogov.core.applier import ApplyReport

    out.text(json.dumps(ApplyReport().to_json(), indent=2))
    return 0


async def _run_apply(
    result: Any, ctx: Any, conn: Connection, out: Output, kw: dict[str, Any]
) -> int:
    from domogov.core.render import report_lines
    from domogov.reconcile import apply_plan

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals
        pass
    progress = _progress(len(result.changes))
    try:
        report = await apply_plan(
            result,
            ctx,
            parallelism=conn.parallelism,
            on_outcome=progress.advance if progress else None,
            stop=stop,
        )
    finally:
        if progress:
            progress.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    if kw["verify"] and not report.interrupted:
        from domogov.verify import verify_apply

        with _reading("Verifying the changes took effect"):
            await verify_apply(result, report, ctx.client, ctx.project)
    if kw["as_json"]:
        out.text(json.dumps(report.to_json(), indent=2))
        return report.exit_code
    out.text("")
    out.lines(report_lines(report))
    return report.exit_code


class _Progress:
    """A progress bar on stderr while apply runs, only on a terminal."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(transient=True, console=Console(stderr=True))
        self.task = self.bar.add_task("Applying", total=total)
        self.bar.start()

    def advance(self, outcome: Any) -> None:
        self.bar.advance(self.task)

    def close(self) -> None:
        self.bar.stop()


def _progress(total: int) -> _Progress | None:
    return _Progress(total) if sys.stderr.isatty() and total > 1 else None


@contextlib.contextmanager
def _reading(what: str = "Reading live state from Domo") -> Iterator[None]:
    """A spinner on stderr while live state is read, only on a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what + "…"):
        yield


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="domogov")
