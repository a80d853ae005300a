"""The ``domogov`` command line: click commands only; the work happens in reconcile and config."""

from __future__ import annotations

import click

from domogov import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="domogov")
def cli() -> None:
    """Declarative governance-as-code for Domo: plan and apply groups, roles, dataset shares,
    certifications, alert subscriptions and report schedules from YAML manifests."""


def _register_sim() -> None:
    from domogov.sim.cli import sim

    cli.add_command(sim)


_register_sim()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="domogov")
