"""The click commands ``domogov export`` and ``domogov fmt``: options, output and exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from domogov import runner
from domogov.command import connection_of, connection_options, err, run_command, setup_logging
from domogov.connect import open_client
from domogov.errors import UsageError
from domogov.resources import KINDS_BY_NAME
from domogov.spec.types import check_dataset_id

KINDS_HELP = ", ".join(KINDS_BY_NAME)


class _Bar:
    """A rich progress bar on stderr, one step at a time; only on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: Any = None
        self.bar.start()

    def start(self, what: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(what, total=total)

    def advance(self, count: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, count)

    def close(self) -> None:
        self.bar.stop()


def _dataset_ids(text: str | None) -> tuple[str, ...]:
    ids = []
    for word in (w.strip() for w in (text or "").split(",")):
        if not word:
            continue
        try:
            ids.append(check_dataset_id(word))
        except ValueError as exc:  # pydantic's error type is a ValueError
            raise UsageError(f"--datasets: {exc}") from None
    return tuple(ids)


def _project_instance(out: Path) -> str | None:
    """The instance an earlier export (or the team) wrote in OUT/domogov.yaml, if any."""
    from domogov.config import load_config
    from domogov.errors import ConfigError

    path = out / "domogov.yaml"
    if not path.is_file():
        return None
    try:
        return load_config(path).project.instance
    except ConfigError:
        return None


@click.command("export")
@click.option(
    "--kinds",
    metavar="KIND,...",
    help=f"Only these kinds ({KINDS_HELP}); default: all.",
)
@click.option(
    "--datasets",
    "datasets_text",
    metavar="ID,...",
    help="Export the shares (and certification) of these datasets.",
)
@click.option(
    "--all-datasets",
    is_flag=True,
    help="Export every dataset the search API lists (POST /api/search/v1/query, read in "
    "partitions of at most 10,000 on larger instances).",
)
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory to write the manifests to (created if missing).",
)
@click.option(
    "--include-builtin",
    is_flag=True,
    help="Also export the built-in roles and dynamic, directory and system groups.",
)
@connection_options
@run_command
def export(
    kinds: str | None,
    datasets_text: str | None,
    all_datasets: bool,
    out_dir: str,
    include_builtin: bool,
    **kw: Any,
) -> int:
    """Write the live state of an instance as manifests; `plan` on them shows no changes."""
    from domogov.export import ExportOptions, export_instance, parse_kinds

    setup_logging(kw["verbose"])
    datasets = _dataset_ids(datasets_text)
    if datasets and all_datasets:
        raise UsageError("give --datasets ID,... or --all-datasets, not both")
    out = Path(out_dir)
    conn = connection_of(kw)
    project_instance = _project_instance(out)
    instance = None
    if not conn.sandbox and not conn.base_url:
        instance = conn.instance or os.environ.get("DOMO_INSTANCE") or project_instance
    options = ExportOptions(
        out=out,
        sections=parse_kinds(kinds),
        datasets=datasets,
        all_datasets=all_datasets,
        include_builtin=include_builtin,
        instance=instance,
        source=conn.label(project_instance),
    )
    bar = _Bar() if sys.stderr.isatty() else None

    async def go() -> Any:
        async with open_client(conn, project_instance) as client:
            return await export_instance(client, options, bar)

    try:
        result = runner.run(go())
    finally:
        if bar is not None:
            bar.close()
    for warning in result.warnings:
        err(f"Warning: {warning}")
    for note in result.notes:
        err(f"Note: {note}")
    click.echo(f"Exported to {out}:")
    width = max([len(rel) for rel, _, _ in result.files] or [0])
    for rel, count, what in result.files:
        click.echo(f"  {rel:<{width}}  {count} {what}")
    project = "written" if result.project_written else "kept as it was"
    click.echo(f"  domogov.yaml ({project})")
    click.echo(f"Check it with `domogov plan {out}`: the plan should show no changes.")
    return 0


@click.command("fmt")
@click.argument("config_dir", default=".", type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file would change (CI).")
@run_command
def fmt(config_dir: str, check: bool) -> int:
    """Rewrite manifests in canonical form: indentation, section and key order; comments kept."""
    from domogov.fmt import format_dir

    result = format_dir(config_dir, check=check)
    verb = "would reformat" if check else "reformatted"
    for name in result.changed:
        click.echo(f"{verb} {name}")
    same = result.checked - len(result.changed)
    click.echo(f"{len(result.changed)} file(s) {verb}, {same} already formatted.")
    return 1 if check and result.changed else 0
