"""``plan``, ``drift`` and ``doctor`` on a fleet: what cli.py calls when a run is a fleet run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domogov.connect import open_client
from domogov.errors import UsageError
from domogov.fleet.members import Member, failing_policy, members, plan_member, selection, worst
from domogov.fleet.planfile import dumps_fleet_plan
from domogov.fleet.report import (
    MARKDOWN_LIMIT,
    Line,
    drift_cell,
    plan_json,
    plan_markdown,
    plan_text,
    section_head,
)
from domogov.fleet.workers import run_members


def plan_command(
    config_dir: str, names: list[str], kw: dict[str, Any], out: Any, view: dict[str, Any]
) -> int:
    """``plan --all-instances``: every instance planned at once, one combined report."""
    from domogov.command import EXIT_CHANGES, connection_of

    items = members(config_dir, names, connection_of(kw))
    run_members(items, lambda m: plan_member(m, kw))
    if view.get("detailed_exitcode"):
        for m in items:
            if not m.error and m.exit_code == 0 and m.plan is not None and m.plan.changes:
                m.exit_code = EXIT_CHANGES
    overall = worst([m.exit_code for m in items])
    out_file = view.get("out_file")
    saved = False
    if out_file and all(m.plan is not None and not failing_policy(m.plan) for m in items):
        # One file for the fleet, written only when every instance planned cleanly: a
        # partial fleet plan would apply some instances and silently skip the others.
        Path(out_file).write_text(dumps_fleet_plan(items), encoding="utf-8")
        saved = True
    if view.get("as_json"):
        out.text(plan_json(items, overall))
    elif view.get("markdown"):
        out.text(plan_markdown(items, overall))
    else:
        out.lines(plan_text(items, overall))
        if saved:
            out.text(
                f"\nSaved the fleet plan to {out_file}; apply it with `domogov apply {out_file}`."
            )
        elif out_file:
            out.text(f"\nNot saved to {out_file}: some instance has no clean plan.")
    return overall


def drift_command(
    config_dir: str, names: list[str], kw: dict[str, Any], out: Any, window: Any, view: str
) -> int:
    """``drift --all-instances``: each instance's drift, a section each (exit 2: some drift)."""
    from domogov.command import EXIT_CHANGES, connection_of
    from domogov.drift import detect, drift_json, render_drift_markdown, render_drift_text

    items = members(config_dir, names, connection_of(kw))

    async def one(member: Member) -> None:
        async with open_client(member.conn) as client:
            member.drift = await detect(
                member.config, client, member.label, window, member.warnings
            )
        member.exit_code = EXIT_CHANGES if member.drift else 0

    run_members(items, one)
    overall = worst([m.exit_code for m in items])
    if view == "json":
        doc = {
            "fleet": [
                {
                    "instance": m.name,
                    "exit_code": m.exit_code,
                    "error": m.error or None,
                    "warnings": m.warnings,
                    **(drift_json(m.drift) if m.drift is not None else {"drift": None}),
                }
                for m in items
            ],
            "exit_code": overall,
        }
        out.text(json.dumps(doc, indent=2))
        return overall
    if view == "markdown":
        head = [f"## domogov drift on a fleet of {len(items)} instances", ""]
        head += ["| instance | drift | exit |", "|---|---|---|"]
        head += [f"| `{m.name}` | {drift_cell(m)} | {m.exit_code} |" for m in items]
        text = "\n".join(head) + "\n\n"
        share = max(1_000, (MARKDOWN_LIMIT - len(text) - 200) // max(1, len(items)))
        for m in items:
            body = (
                f"Error: {m.error}\n" if m.error else render_drift_markdown(m.drift or [], m.label)
            )
            if len(body) > share:
                body = body[: share - 80] + "\n\n_cut for length; see the job log._\n"
            text += (
                f"<details><summary>{m.name}: {drift_cell(m)}</summary>\n\n{body}\n</details>\n\n"
            )
        out.text(text)
        return overall
    lines: list[Line] = []
    for m in items:
        lines += section_head(m)
        lines += [(f"warning: {w}", "yellow") for w in m.warnings]
        if m.error:
            lines.append((f"Error: {m.error}", "red"))
        else:
            lines += [(t, "") for t in render_drift_text(m.drift or []).rstrip("\n").split("\n")]
    lines += [("", ""), (f"Fleet drift: {len(items)} instances", "bold")]
    lines += [(f"  {m.name}: {drift_cell(m)} (exit {m.exit_code})", "") for m in items]
    lines.append((f"Exit code: {overall} (the worst of the instances)", ""))
    out.lines(lines)
    return overall


def doctor_command(
    config_dir: str | None, names: list[str], kw: dict[str, Any], out: Any, as_json: bool
) -> int:
    """``doctor --all-instances``: each instance's assumptions checked at once."""
    from domogov.command import connection_of
    from domogov.doctor.report import run_doctor

    items = members(config_dir, names, connection_of(kw))

    async def one(member: Member) -> None:
        async with open_client(member.conn) as client:
            member.doctor = await run_doctor(client, member.config, member.label)
        member.exit_code = member.doctor.exit_code

    run_members(items, one)
    overall = worst([m.exit_code for m in items])
    if as_json:
        doc = {
            "fleet": [
                {
                    "instance": m.name,
                    "exit_code": m.exit_code,
                    "error": m.error or None,
                    "doctor": m.doctor.to_json() if m.doctor is not None else None,
                }
                for m in items
            ],
            "exit_code": overall,
        }
        out.text(json.dumps(doc, indent=2))
        return overall
    lines: list[Line] = []
    for m in items:
        lines += section_head(m)
        lines += m.doctor.lines() if m.doctor is not None else [(f"Error: {m.error}", "red")]
    lines += [("", ""), (f"Fleet doctor: {len(items)} instances", "bold")]
    lines += [(f"  {m.name}: exit {m.exit_code}{' (error)' if m.error else ''}", "") for m in items]
    lines.append((f"Exit code: {overall} (the worst of the instances)", ""))
    out.lines(lines)
    return overall


def with_fleet_option(command: Any) -> Any:
    """``doctor`` with ``--all-instances``: the fleet branch, else the command as it was.

    doctor lives in its own module; wrapping it here keeps the fleet in one place.
    """
    import click

    from domogov.command import Output, run_command, setup_logging

    inner = command.callback

    @run_command
    def callback(**kw: Any) -> int:
        config_dir = kw.get("config_dir")
        if config_dir is None:
            if kw.pop("all_instances", False):
                raise UsageError("doctor --all-instances needs the configuration directory")
            return int(inner(**kw) or 0)
        names = selection(config_dir, kw)
        kw.pop("all_instances", None)
        if names is None:
            return int(inner(**kw) or 0)
        setup_logging(kw["verbose"])
        return doctor_command(config_dir, names, kw, Output(kw["no_color"]), kw["as_json"])

    option = click.Option(
        ["--all-instances"],
        is_flag=True,
        help="Check every instance domogov.yaml declares under `instances`, at once; on "
        "such a directory --instance a,b picks some of them.",
    )
    return click.Command(
        name=command.name,
        params=[*command.params, option],
        callback=callback,
        help=command.help,
        short_help=command.short_help,
        context_settings=command.context_settings,
    )
