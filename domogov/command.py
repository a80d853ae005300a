"""What every command shares: output streams, logging, error-to-exit-code handling, and the
connection and plan options (used by ``cli`` and by ``export``'s commands)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from domogov import runner
from domogov.connect import Connection
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


def connection_of(kw: dict[str, Any]) -> Connection:
    return Connection(
        instance=kw.get("instance"),
        base_url=kw.get("base_url"),
        sandbox=bool(kw.get("sandbox")),
        token_file=kw.get("token_file"),
        parallelism=int(kw.get("parallelism") or 8),
        rate_limit=kw.get("rate_limit"),
    )


def approve(out: Output) -> None:
    """Ask for `yes` on the terminal before apply; refuse without a terminal."""
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
