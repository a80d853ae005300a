"""``domogov sim``: serve the Domo simulator over HTTP, or generate large simulator states."""

from __future__ import annotations

from pathlib import Path

import click

from domogov.sim.app import create_app
from domogov.sim.entities import StateFileError
from domogov.sim.faults import KINDS, FaultConfig
from domogov.sim.generate import generate_state
from domogov.sim.server import is_loopback, uvicorn_server
from domogov.sim.state import (
    DEFAULT_TOKEN,
    demo_state,
    dump_document,
    load_state_file,
    save_state_file,
)
from domogov.sim.variants import DEFAULT_RATE_LIMIT, VARIANTS, check_names


@click.group("sim")
def sim() -> None:
    """The Domo simulator: a stateful fake of the Domo API for tests, demos and benchmarks."""


def _kinds(text: str | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, weight = item.strip().partition("=")
        if name not in KINDS:
            raise click.BadParameter(f"{name!r} is not one of {', '.join(KINDS)}")
        try:
            weights[name] = float(weight or 1)
        except ValueError:
            raise click.BadParameter(f"bad weight in {item!r}") from None
    return weights


def _variants(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    try:
        return check_names(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address only.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="State file (YAML, or JSON by extension); created from the demo state if missing.",
)
@click.option("--token", envvar="DOMOGOV_SIM_TOKEN", help="Accepted developer token.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--jitter-ms", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--fault-seed", type=int, default=None)
@click.option("--fault-kinds", help=f"Comma list of kind[=weight] among {', '.join(KINDS)}.")
@click.option("--autosave/--no-autosave", default=False, help="Save after every write.")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    callback=_variants,
    metavar="NAME",
    help="Answer an undocumented behaviour the other way (repeatable): "
    + ", ".join(VARIANTS)
    + ". See GET /_sim/variants for what each does.",
)
@click.option(
    "--rate-limit-per-minute",
    type=click.IntRange(min=1),
    default=None,
    help="Limit /api requests per fixed one-minute window (429 with Retry-After beyond it); "
    "switches the rate_limit_per_minute variant on.",
)
def serve(
    host: str,
    port: int,
    state_path: Path | None,
    token: str | None,
    latency_ms: float,
    jitter_ms: float,
    fault_rate: float,
    fault_seed: int | None,
    fault_kinds: str | None,
    autosave: bool,
    variants: list[str],
    rate_limit_per_minute: int | None,
) -> None:
    """Serve the simulator over HTTP on loopback; the state is saved on shutdown."""
    if not is_loopback(host):
        raise click.UsageError(f"--host must be a loopback address, not {host!r}")
    try:
        state = load_state_file(state_path) if state_path and state_path.exists() else demo_state()
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    faults = FaultConfig(
        seed=fault_seed,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        rate=fault_rate,
        kinds=_kinds(fault_kinds),
    )
    if rate_limit_per_minute is not None:
        variants = check_names([*variants, "rate_limit_per_minute"])
    app = create_app(
        state,
        token=token,
        faults=faults,
        state_file=state_path,
        autosave=autosave,
        variants=variants,
        rate_limit_per_minute=rate_limit_per_minute or DEFAULT_RATE_LIMIT,
    )
    server = uvicorn_server(app, host, port)
    click.echo(f"Domo simulator listening on http://{host}:{port}")
    if variants:
        click.echo(f"Variants on: {', '.join(variants)}", err=True)
    accepted = token or state.token
    if accepted == DEFAULT_TOKEN:
        click.echo(f"Send the header X-DOMO-Developer-Token: {DEFAULT_TOKEN}", err=True)
    else:
        click.echo("Requests need the configured X-DOMO-Developer-Token header.", err=True)
    try:
        server.run()
    finally:
        if state_path is not None:
            save_state_file(state, state_path)
            click.echo(f"State saved to {state_path}", err=True)


@sim.command("generate")
@click.option("--users", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--groups", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--datasets", type=click.IntRange(min=0), default=50, show_default=True)
@click.option("--roles", type=click.IntRange(min=5), default=8, show_default=True)
@click.option("--alerts", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--schedules", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--cards", type=click.IntRange(min=0), default=None, help="Default: --datasets.")
@click.option("--members-per-group", type=click.IntRange(min=1), default=40, show_default=True)
@click.option("--grants-per-dataset", type=click.IntRange(min=0), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="State file to write (JSON when it ends in .json, else YAML).",
)
def generate(out: Path, **sizes: int) -> None:
    """Write a large, consistent simulator state (deterministic for a seed)."""
    doc = generate_state(**sizes)
    dump_document(doc, out)
    counts = ", ".join(f"{len(doc[k])} {k}" for k in ("users", "groups", "datasets", "alerts"))
    click.echo(f"Wrote {out}: {counts}, {len(doc['report_schedules'])} report schedules")
