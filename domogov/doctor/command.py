"""The ``domogov doctor`` command (registered lazily by ``domogov.cli``)."""

from __future__ import annotations

import json
from typing import Any

import click

from domogov import runner
from domogov.command import Output, connection_of, connection_options, run_command, setup_logging
from domogov.connect import open_client

from .report import Report, run_doctor


@click.command()
@click.argument("config_dir", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as versioned JSON.")
@connection_options
@run_command
def doctor(config_dir: str | None, as_json: bool, **kw: Any) -> int:
    """Check what this Domo instance does where the API documents say nothing (read-only).

    Reads what domogov relies on (against the manifests' objects when CONFIG_DIR is given)
    and reports each assumption (holds / does not hold / unknown, what was seen, where),
    which kinds are fully manageable, and how fast the API answers. Exit 0 when no kind is
    unsafe to manage, 1 when some kind is.
    """
    setup_logging(kw["verbose"])
    config = None
    if config_dir is not None:
        from domogov.config import load_config

        config = load_config(config_dir)
    report = runner.run(_doctor(config, kw))
    out = Output(kw["no_color"])
    if as_json:
        out.text(json.dumps(report.to_json(), indent=2))
    else:
        out.lines(report.lines())
    return report.exit_code


async def _doctor(config: Any, kw: dict[str, Any]) -> Report:
    conn = connection_of(kw)
    project_instance = getattr(getattr(config, "project", None), "instance", None)
    async with open_client(conn, project_instance) as client:
        return await run_doctor(client, config, conn.label(project_instance))
