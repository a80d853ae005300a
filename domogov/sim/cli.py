"""``domogov sim``: serve the Domo simulator over HTTP, or generate large simulator states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from domogov.sim.app import create_app
from domogov.sim.entities import StateFileError
from domogov.sim.faults import KINDS, FaultConfig
from domogov.sim.generate import generate_state
from domogov.sim.server import is_loopback, uvicorn_server
from domogov.sim.state import DEFAULT_TOKEN, demo_state
from domogov.sim.statefile import dump_document, load_state_file, save_state_file
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
@click.option(
    "--instance",
    "instances",
    multiple=True,
    metavar="NAME",
    help="Host a fleet: one simulated instance per NAME (repeatable), each under "
    "http://HOST:PORT/NAME with its own state (--state-dir/NAME.json) and token "
    "(DOMOGOV_SIM_TOKEN_<NAME>, else sim-token-NAME). Plan them with "
    "`domogov plan DIR --all-instances --base-url http://HOST:PORT/{instance}`.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --instance: the directory of the instances' state files.",
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
    instances: tuple[str, ...],
    state_dir: Path | None,
) -> None:
    """Serve the simulator over HTTP on loopback; the state is saved on shutdown."""
    if not is_loopback(host):
        raise click.UsageError(f"--host must be a loopback address, not {host!r}")
    if instances:
        if state_path is not None or token is not None:
            raise click.UsageError("with --instance use --state-dir and per-instance tokens")
        _serve_fleet(
            host, port, instances, state_dir, latency_ms, jitter_ms, rate_limit_per_minute, variants
        )
        return
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
@click.option("--pages", type=click.IntRange(min=1), default=None, help="Default: --schedules / 2.")
@click.option("--files", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--workflows", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--pdp-policies", type=click.IntRange(min=0), default=0, show_default=True,
    help="PDP policies, spread over the datasets (up to three each).",
)  # fmt: skip
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


def _serve_fleet(
    host: str,
    port: int,
    names: tuple[str, ...],
    state_dir: Path | None,
    latency_ms: float,
    jitter_ms: float,
    rate_limit_per_minute: int | None,
    variants: list[str],
) -> None:
    """Several instances on one port, each mounted under /NAME with its own state, token and
    rate limit (a fleet, SPEC §7): a base URL with a path is what a proxy in front of Domo
    looks like too, so the client needs nothing new."""
    import os

    if len(set(names)) != len(names):
        raise click.UsageError("--instance names must be different")
    if rate_limit_per_minute is not None:
        variants = check_names([*variants, "rate_limit_per_minute"])
    states = {}
    apps = {}
    for name in names:
        path = (state_dir / f"{name}.json") if state_dir else None
        try:
            state = load_state_file(path) if path and path.exists() else demo_state()
        except StateFileError as exc:
            raise click.ClickException(str(exc)) from None
        env = "DOMOGOV_SIM_TOKEN_" + name.upper().replace("-", "_")
        token = os.environ.get(env) or f"sim-token-{name}"
        state.token = token
        states[name] = (state, path)
        # Each instance its own faults (latency) and its own rate limit window.
        faults = FaultConfig(latency_ms=latency_ms, jitter_ms=jitter_ms)
        app = create_app(
            state,
            token=token,
            faults=faults,
            state_file=path,
            variants=variants,
            rate_limit_per_minute=rate_limit_per_minute or DEFAULT_RATE_LIMIT,
        )
        apps[name] = app
    server = uvicorn_server(_ByPrefix(apps), host, port)
    for name in names:
        click.echo(f"{name}: http://{host}:{port}/{name}")
    click.echo("Tokens: DOMOGOV_SIM_TOKEN_<NAME> when set, else sim-token-NAME.", err=True)
    try:
        server.run()
    finally:
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            for state, path in states.values():
                if path is not None:
                    save_state_file(state, path)
            click.echo(f"States saved to {state_dir}", err=True)


class _ByPrefix:
    """Send /NAME/rest to instance NAME's app as /rest, as if it were served alone.

    Not Starlette's Mount: it keeps the prefix in ``path`` (moving it to root_path), and the
    simulator's middleware checks the token and counts requests by ``path``.
    """

    def __init__(self, apps: dict[str, Any]) -> None:
        self.apps = apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        name, _, rest = str(scope.get("path", "")).lstrip("/").partition("/")
        app = self.apps.get(name)
        if scope["type"] != "http" or app is None:
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("no such instance", status_code=404)(scope, receive, send)
            return
        path = "/" + rest
        await app({**scope, "path": path, "raw_path": path.encode()}, receive, send)
