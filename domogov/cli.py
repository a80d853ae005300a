"""The ``domogov`` command line: click commands only; the work happens in reconcile and config."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import click

from domogov import __version__, runner
from domogov.connect import Connection, open_client
from domogov.errors import ConfigError, DomogovError, UsageError

EXIT_CHANGES = 2


# --- output ------------------------------------------------------------------------------


class Output:
    """Writes lines with rich styles on a TTY and plain text elsewhere (or with --no-color)."""

    def __init__(self, no_color: bool = False, stream: Any = None) -> None:
        from rich.console import Console

        self.stream = stream or sys.stdout
        tty = self.stream.isatty()
        self.console = Console(
            file=self.stream,
            no_color=no_color or not tty,
            force_terminal=tty and not no_color,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        self.color = tty and not no_color

    def lines(self, lines: list[tuple[str, str]]) -> None:
        if not self.color:
            # One write for the whole block: a large plan is ~100,000 lines, and a write per
            # line costs more than building the plan's text.
            if lines:
                self.stream.write("\n".join([text for text, _ in lines]) + "\n")
            self.stream.flush()
            return
        from rich.text import Text

        for text, style in lines:
            if self.color and style:
                self.console.print(Text(text, style=style))
            else:
                self.stream.write(text + "\n")
        self.stream.flush()

    def text(self, text: str) -> None:
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()


def err(message: str) -> None:
    click.echo(message, err=True)


def setup_logging(verbose: int) -> None:
    from domogov.client.policy import install_redaction

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("domogov")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    install_redaction("domogov")


def run_command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Turn domogov errors into a message and an exit code; no stack trace for user mistakes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            with runner.tuned_gc():
                code = fn(*args, **kwargs)
        except ConfigError as exc:
            for issue in exc.issues:
                err(str(issue))
            count = len(exc.issues)
            plural = "s" if count != 1 else ""
            err(f"{count} error{plural} in the manifests; nothing was sent to Domo.")
            sys.exit(exc.exit_code)
        except DomogovError as exc:
            err(f"Error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err("Interrupted.")
            sys.exit(130)
        except Exception as exc:  # a bug: one clear line, the traceback only with -vv
            from domogov.client.policy import REDACTION

            REDACTION.add_secret(os.environ.get("DOMO_TOKEN", "").strip())
            text = REDACTION.scrub(f"{type(exc).__name__}: {exc}")
            logging.getLogger("domogov").debug("internal error", exc_info=True)
            err(f"Error: internal error: {text}; please report it (run with -vv for details)")
            sys.exit(1)
        sys.exit(code or 0)

    return wrapper


# --- shared options ----------------------------------------------------------------------


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--instance",
            metavar="NAME",
            help="Domo instance: https://NAME.domo.com "
            "(or DOMO_INSTANCE, or `instance` in domogov.yaml).",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help="API base URL (a proxy or the simulator); plain http:// only to loopback.",
        ),
        click.option(
            "--sandbox",
            is_flag=True,
            help="Use the embedded simulator, state in "
            ".domogov/sandbox.json (seeded from a sample instance); needs no token.",
        ),
        click.option(
            "--token-file",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Read the token from FILE instead of DOMO_TOKEN.",
        ),
        click.option(
            "--rate-limit",
            type=float,
            metavar="RPS",
            help="At most RPS requests per second to Domo.",
        ),
        click.option("-v", "--verbose", count=True, help="-v logs each API call; -vv bodies."),
        click.option("--no-color", is_flag=True, help="No colour, even on a terminal."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def plan_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="ADDRESS",
            help="Only this address and what it depends on (repeatable; globs).",
        ),
        click.option(
            "--allow-destructive",
            is_flag=True,
            help="Allow more deletes and revokes than max_destructive.",
        ),
        click.option(
            "--parallelism",
            type=click.IntRange(1, 64),
            default=8,
            show_default=True,
            help="Requests in flight at once.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _connection(kw: dict[str, Any]) -> Connection:
    return Connection(
        instance=kw.get("instance"),
        base_url=kw.get("base_url"),
        sandbox=bool(kw.get("sandbox")),
        token_file=kw.get("token_file"),
        parallelism=int(kw.get("parallelism") or 8),
        rate_limit=kw.get("rate_limit"),
    )


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
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module, attr = self.LAZY[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
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

    conn = _connection(kw)
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

    conn = _connection(kw)
    project_instance = getattr(config.project, "instance", None)
    instance = conn.label(project_instance)
    async with open_client(conn, project_instance) as client:
        return await detect(config, client, instance, window, warnings), instance


@cli.command()
@click.argument("source", default=".", type=click.Path(exists=True))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for `yes`.")
@plan_options
@connection_options
@run_command
def apply(source: str, auto_approve: bool, **kw: Any) -> int:
    """Apply the manifests in a directory (after approval), or a plan saved with --out."""
    setup_logging(kw["verbose"])
    out = Output(kw["no_color"])
    if Path(source).is_file():
        return runner.run(_apply_saved(Path(source), kw, out))
    config = _load(source)
    return runner.run(_apply_dir(config, kw, out, auto_approve))


def _approve(out: Output) -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            "apply needs approval: no terminal to ask on; pass --auto-approve "
            "(or apply a reviewed plan file)"
        )
    answer = click.prompt(
        "Do you want to perform these actions? Only 'yes' will be accepted",
        default="",
        show_default=False,
    )
    if answer.strip() != "yes":
        raise UsageError("apply cancelled: the answer was not 'yes'; nothing was changed")


async def _apply_dir(config: Any, kw: dict[str, Any], out: Output, auto_approve: bool) -> int:
    from domogov.core.render import plan_lines
    from domogov.reconcile import PlanOptions, enforce_policy, make_plan

    conn = _connection(kw)
    project_instance = getattr(config.project, "instance", None)
    async with open_client(conn, project_instance) as client:
        options = PlanOptions(
            targets=tuple(kw.get("targets") or ()),
            allow_destructive=bool(kw.get("allow_destructive")),
            instance=conn.label(project_instance),
        )
        with _reading():
            result, ctx = await make_plan(config, client, options)
        out.lines(plan_lines(result))
        enforce_policy(ctx)
        if not result.changes:
            return 0
        if not auto_approve:
            _approve(out)
        return await _run_apply(result, ctx, conn, out)


async def _apply_saved(path: Path, kw: dict[str, Any], out: Output) -> int:
    from domogov.config import ProjectSpec
    from domogov.core.changes import Plan
    from domogov.core.render import plan_lines
    from domogov.reconcile import check_saved_plan, new_context

    try:
        saved = Plan.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a domogov plan file: {exc}") from exc
    conn = _connection(kw)
    if conn.instance is None and conn.base_url is None and not conn.sandbox:
        conn.instance = saved.instance or None  # a plan file names the instance it was made for
    label = conn.label()
    if saved.instance != label:
        raise UsageError(
            f"{path} was made for instance {saved.instance!r}, not {label!r}; "
            "plan again against this instance"
        )
    project = ProjectSpec()  # a saved plan is applied as made: no prune, guards already passed
    async with open_client(conn) as client:
        with _reading("Checking that the plan is still current"):
            await check_saved_plan(saved, project, client)
        out.lines(plan_lines(saved))
        if not saved.changes:
            return 0
        config = SimpleNamespace(project=project, groups=[], roles=[])
        ctx = new_context(client, config)
        return await _run_apply(saved, ctx, conn, out)


async def _run_apply(result: Any, ctx: Any, conn: Connection, out: Output) -> int:
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
    try:
        cli(prog_name="domogov")
    except SystemExit as exc:
        _exit_now(exc)
        raise


def _exit_now(exc: SystemExit) -> None:
    """End the process without tearing the interpreter down, once the output is flushed.

    Freeing the objects a large plan leaves behind one by one took over half a second
    after the last line was printed (mypy skips the teardown for the same reason). Skipped
    under a profiler or tracer (pyinstrument, coverage), which write their reports then.
    """
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    code = exc.code
    if isinstance(code, str):
        err(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    logging.shutdown()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
