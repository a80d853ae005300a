"""A fleet: one configuration directory governing several instances (SPEC §7, issue 16).

``plan``, ``apply``, ``drift`` and ``doctor`` with ``--all-instances`` (or ``--instance a,b`` on
a directory whose ``domogov.yaml`` declares ``instances``) run every selected instance at
once, each with its own client, token (``DOMO_TOKEN_<NAME>``), rate limit and sandbox, and
print one report: a section per instance, then a summary table. One instance failing never
stops the others; the exit code is the worst of them (0 < 2 changes < 1 error < 3 partial).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domogov.config.loader import PROJECT_FILE, SourceFile, read_file
from domogov.connect import Connection, open_client
from domogov.core.changes import Plan
from domogov.errors import DomogovError, UsageError

#: What a saved fleet plan says it is; a single-instance plan file has no such key.
FLEET_FORMAT = "domogov-fleet-plan"
FLEET_FORMAT_VERSION = 1
#: How bad each exit code is, for "the overall exit code is the worst" (SPEC §7).
_SEVERITY = {0: 0, 2: 1, 1: 2, 3: 3}
MARKDOWN_LIMIT = 65_000


def worst(codes: list[int]) -> int:
    """The worst exit code: an error beats changes, a partial apply beats an error."""
    return max(codes, key=lambda c: _SEVERITY.get(c, 10), default=0)


# --- which instances ---------------------------------------------------------------------


def declared_instances(config_dir: str) -> list[str]:
    """The instance names ``domogov.yaml`` declares (read alone, before any manifest)."""
    path = Path(config_dir) / PROJECT_FILE
    if not Path(config_dir).is_dir() or not path.is_file():
        return []
    sf = SourceFile(path, PROJECT_FILE, str(path), True)
    read_file(sf)  # a broken file is reported by the full load that follows
    instances = sf.data.get("instances") if isinstance(sf.data, dict) else None
    return [str(name) for name in instances] if isinstance(instances, dict) else []


def selection(config_dir: str, kw: dict[str, Any]) -> list[str] | None:
    """The fleet instances a command runs on, or None for a single-instance run.

    On a fleet directory ``--instance`` names fleet instances (``a,b``); elsewhere it keeps
    its meaning (the Domo instance to reach).
    """
    declared = declared_instances(config_dir)
    every = bool(kw.get("all_instances"))
    if not declared:
        if every:
            raise UsageError(
                f"--all-instances: {config_dir}/{PROJECT_FILE} declares no instances "
                "(instances: {NAME: {vars: {...}}})"
            )
        return None
    if every:
        return declared
    asked = [n.strip() for n in str(kw.get("instance") or "").split(",") if n.strip()]
    if not asked:
        raise UsageError(
            f"{config_dir} governs a fleet ({', '.join(declared)}): pass --all-instances "
            "or --instance NAME[,NAME]"
        )
    unknown = [n for n in asked if n not in declared]
    if unknown:
        raise UsageError(
            f"unknown instance {', '.join(unknown)}; {PROJECT_FILE} declares: {', '.join(declared)}"
        )
    return list(dict.fromkeys(asked))


def connection_for(name: str, base: Connection) -> Connection:
    """One instance's connection: its own name, token variable and sandbox state.

    A ``--base-url`` holding ``{instance}`` is filled in per instance (a proxy or a
    simulator serving each instance on its own address).
    """
    base_url = base.base_url.replace("{instance}", name) if base.base_url else None
    return dataclasses.replace(base, instance=name, base_url=base_url, fleet_name=name)


# --- running -----------------------------------------------------------------------------


@dataclass
class Member:
    """One instance's part of a fleet run and what came of it."""

    name: str
    conn: Connection
    config: Any = None
    plan: Plan | None = None
    ctx: Any = None
    report: Any = None  # ApplyReport, after apply
    drift: list[Any] | None = None
    doctor: Any = None
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    exit_code: int = 0

    @property
    def label(self) -> str:
        return self.conn.label()

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, DomogovError):
            self.error, self.exit_code = str(exc), exc.exit_code
        else:  # a bug in one instance's run is reported there, not a crash of the fleet
            self.error, self.exit_code = f"internal error: {type(exc).__name__}: {exc}", 1


def members(config_dir: str | None, names: list[str], base: Connection) -> list[Member]:
    """Load each instance's configuration (vars substituted, overlay merged)."""
    from domogov.config.manifest import load_config
    from domogov.errors import ConfigError
    from domogov.policy import config_issues

    out: list[Member] = []
    problems: list[Any] = []
    for name in names:
        member = Member(name, connection_for(name, base))
        if config_dir is not None:
            try:
                member.config = load_config(config_dir, name)
                issues = config_issues(member.config)
                if issues:
                    raise ConfigError(issues)
            except ConfigError as exc:
                problems.extend(i for i in exc.issues if i not in problems)
        out.append(member)
    if problems:  # manifests are checked offline before any instance is read
        raise ConfigError(problems)
    return out


async def run_each(items: list[Member], work: Callable[[Member], Awaitable[None]]) -> None:
    """Run ``work`` for every member at once; a failure is recorded on its member."""

    async def one(member: Member) -> None:
        try:
            await work(member)
        except (DomogovError, Exception) as exc:
            member.fail(exc)

    await asyncio.gather(*(one(m) for m in items))


async def plan_member(member: Member, options: dict[str, Any], client: Any = None) -> None:
    """Plan one instance (with its own client unless one is given); policy failures exit 1."""
    from domogov.reconcile import PlanOptions, make_plan

    plan_options = PlanOptions(
        targets=tuple(options.get("targets") or ()),
        allow_destructive=bool(options.get("allow_destructive")),
        instance=member.label,
    )
    if client is None:
        async with open_client(member.conn) as own:
            member.plan, member.ctx = await make_plan(member.config, own, plan_options)
    else:
        member.plan, member.ctx = await make_plan(member.config, client, plan_options)
    member.exit_code = 1 if failing_policy(member.plan) else 0


def failing_policy(plan: Plan) -> list[dict[str, Any]]:
    return [p for p in plan.policy if not p.get("waived_by")]


async def plan_fleet(items: list[Member], options: dict[str, Any]) -> None:
    await run_each(items, lambda m: plan_member(m, options))


# --- saved fleet plans -------------------------------------------------------------------


def dumps_fleet_plan(items: list[Member]) -> str:
    """One file holding every instance's plan; each is checked for staleness on apply."""
    doc = {
        "format": FLEET_FORMAT,
        "format_version": FLEET_FORMAT_VERSION,
        "instances": {m.name: m.plan.to_json() for m in items if m.plan is not None},
    }
    return json.dumps(doc, separators=(",", ":"))


def is_fleet_plan(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format":"{FLEET_FORMAT}"' in head.replace(" ", "")


def read_fleet_plan(path: Path) -> dict[str, Plan]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FLEET_FORMAT or doc.get("format_version") != FLEET_FORMAT_VERSION:
            raise ValueError("unsupported fleet plan format")
        return {str(n): Plan.from_json(p) for n, p in doc["instances"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path} is not a domogov fleet plan file: {exc}") from exc


# --- apply -------------------------------------------------------------------------------


async def apply_member(
    member: Member, client: Any, kw: dict[str, Any], *, saved: Path | None = None
) -> None:
    """Apply one instance's plan (made on ``client``, or saved and now checked for staleness)."""
    from domogov.reconcile import apply_plan, enforce_policy, prepare_saved_plan

    plan = member.plan
    assert plan is not None
    if saved is not None:
        ctx = await prepare_saved_plan(plan, saved, member.label, client)
    else:
        ctx = member.ctx
        enforce_policy(ctx)
    if not plan.changes:
        return
    report = await apply_plan(plan, ctx, parallelism=member.conn.parallelism)
    if kw.get("verify", True) and not report.interrupted:
        from domogov.verify import verify_apply

        await verify_apply(plan, report, client, ctx.project)
    member.report = report
    member.exit_code = report.exit_code


async def apply_fleet(
    items: list[Member],
    kw: dict[str, Any],
    approve: Callable[[list[Member]], None],
    saved: Path | None = None,
) -> None:
    """Plan (or check the saved plans), ask once for the whole fleet, then apply each.

    Every client stays open from planning to apply: a plan's context holds its client.
    An instance whose plan failed (or is stale) is not applied; the others are.
    """
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        clients: dict[str, Any] = {}

        async def open_one(member: Member) -> None:
            clients[member.name] = await stack.enter_async_context(open_client(member.conn))

        await run_each(items, open_one)
        ready = [m for m in items if m.name in clients]
        if saved is None:
            await run_each(ready, lambda m: plan_member(m, kw, clients[m.name]))
        ready = [m for m in ready if not m.error and m.exit_code == 0]
        approve(ready)
        todo = [m for m in ready if m.plan is not None and (m.plan.changes or saved)]
        await run_each(todo, lambda m: apply_member(m, clients[m.name], kw, saved=saved))


# --- reports -----------------------------------------------------------------------------

Line = tuple[str, str]


def _row(member: Member) -> tuple[str, str, str, str, str]:
    if member.error:
        return (member.name, "-", "-", "-", f"error (exit {member.exit_code})")
    plan = member.plan
    if plan is None:
        return (member.name, "-", "-", "-", f"exit {member.exit_code}")
    s = plan.summary
    if member.report is not None:
        result = f"applied (exit {member.exit_code})"
    elif failing_policy(plan):
        result = "policy violation (exit 1)"
    else:
        result = "changes" if plan.changes else "no changes"
    return (member.name, str(s["add"]), str(s["change"]), str(s["destroy"]), result)


def summary_lines(items: list[Member], what: str, overall: int) -> list[Line]:
    header = ("INSTANCE", "ADD", "CHANGE", "DESTROY", "RESULT")
    rows = [header, *(_row(m) for m in items)]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out: list[Line] = [("", ""), (f"Fleet {what}: {len(items)} instances", "bold")]
    for row in rows:
        numbers = zip(row[1:4], widths[1:4], strict=True)
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in numbers)]
        out.append(("  " + "  ".join([*cells, row[4]]), ""))
    out.append((f"Exit code: {overall} (the worst of the instances)", ""))
    return out


def _section_head(member: Member) -> list[Line]:
    return [("", ""), (f"=== {member.name} ({member.label}) ===", "bold")]


def plan_text(items: list[Member], overall: int, what: str = "plan") -> list[Line]:
    from domogov.core.render import plan_lines, policy_entry_lines, report_lines

    out: list[Line] = []
    for member in items:
        out += _section_head(member)
        if member.plan is not None:
            out += plan_lines(member.plan)
            if failing_policy(member.plan) and member.report is None:
                out += policy_entry_lines(failing_policy(member.plan))
        if member.report is not None:
            out += [("", ""), *report_lines(member.report)]
        if member.error:
            out.append((f"Error: {member.error}", "red"))
    return out + summary_lines(items, what, overall)


def plan_markdown(items: list[Member], overall: int, limit: int = MARKDOWN_LIMIT) -> str:
    """One comment for the fleet: the summary table, then each instance collapsed."""
    from domogov.core.render import render_markdown

    head = [f"## domogov plan for a fleet of {len(items)} instances", ""]
    head += ["| instance | add | change | destroy | result |", "|---|---|---|---|---|"]
    head += ["| `{}` | {} | {} | {} | {} |".format(*_row(m)) for m in items]
    head += ["", f"**Exit code: {overall}** (the worst of the instances)", ""]
    out = "\n".join(head) + "\n"
    # Each instance gets an equal share of what is left; a short plan leaves the rest unused
    # rather than lending it, so the whole comment stays under GitHub's 65,536 limit.
    share = max(1_000, (limit - len(out) - 200) // max(1, len(items)))
    for member in items:
        title = f"{member.name}: " + (
            f"error (exit {member.exit_code})" if member.error else _row(member)[4]
        )
        if member.error:
            body = f"Error: {member.error}\n"
        elif member.plan is not None:
            body = render_markdown(member.plan, limit=share - 200)
        else:
            body = ""
        block = f"<details><summary>{title}</summary>\n\n{body}\n</details>\n\n"
        if len(out) + len(block) > limit - 200:
            out += f"_{member.name}: cut for length; see the job log._\n\n"
            continue
        out += block
    return out


def plan_json(items: list[Member], overall: int) -> str:
    doc = {
        "fleet": [
            {
                "instance": m.name,
                "label": m.label,
                "exit_code": m.exit_code,
                "error": m.error or None,
                "plan": m.plan.to_json() if m.plan is not None else None,
                "apply": m.report.to_json() if m.report is not None else None,
            }
            for m in items
        ],
        "exit_code": overall,
    }
    return json.dumps(doc, indent=2)


# --- the commands (cli.py calls these when a run is a fleet run) -------------------------


def plan_command(
    config_dir: str, names: list[str], kw: dict[str, Any], out: Any, view: dict[str, Any]
) -> int:
    """``plan --all-instances``: every instance planned at once, one combined report."""
    from domogov import runner
    from domogov.command import EXIT_CHANGES, connection_of

    items = members(config_dir, names, connection_of(kw))
    runner.run(plan_fleet(items, kw))
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


def apply_command(
    source: str, names: list[str] | None, kw: dict[str, Any], out: Any, auto_approve: bool
) -> int:
    """``apply --all-instances DIR`` or ``apply FLEET_PLAN``: each instance applied at once."""
    from domogov import runner
    from domogov.command import connection_of

    base = connection_of(kw)
    saved: Path | None = None
    if names is None:  # a saved fleet plan
        saved = Path(source)
        plans = read_fleet_plan(saved)
        items = members(None, list(plans), base)
        for m in items:
            m.plan = plans[m.name]
    else:
        items = members(source, names, base)

    def approve(ready: list[Member]) -> None:
        if saved is not None:
            if not kw.get("as_json"):
                out.lines([line for m in items for line in _plan_only(m)])
            return
        if not kw.get("as_json"):
            out.lines([line for m in items for line in _plan_only(m)])
        if auto_approve or not any(m.plan is not None and m.plan.changes for m in ready):
            return
        from domogov.command import approve

        approve(out)

    runner.run(apply_fleet(items, kw, approve, saved))
    overall = worst([m.exit_code for m in items])
    if kw.get("as_json"):
        out.text(plan_json(items, overall))
        return overall
    result: list[Line] = []
    from domogov.core.render import report_lines

    for member in items:
        result += _section_head(member)
        if member.report is not None:
            result += report_lines(member.report)
        elif member.error:
            result.append((f"Error: {member.error}", "red"))
        elif member.plan is not None and failing_policy(member.plan):
            result.append(("Not applied: the plan breaks a policy.", "red"))
        else:
            result.append(("No changes.", ""))
    out.lines(result + summary_lines(items, "apply", overall))
    return overall


def _plan_only(member: Member) -> list[Line]:
    from domogov.core.render import plan_lines

    lines = _section_head(member)
    if member.plan is not None:
        lines += plan_lines(member.plan)
    if member.error:
        lines.append((f"Error: {member.error}", "red"))
    return lines


def drift_command(
    config_dir: str, names: list[str], kw: dict[str, Any], out: Any, window: Any, view: str
) -> int:
    """``drift --all-instances``: each instance's drift, a section each (exit 2: some drift)."""
    from domogov import runner
    from domogov.command import EXIT_CHANGES, connection_of
    from domogov.drift import detect, drift_json, render_drift_markdown, render_drift_text

    items = members(config_dir, names, connection_of(kw))

    async def one(member: Member) -> None:
        async with open_client(member.conn) as client:
            member.drift = await detect(
                member.config, client, member.label, window, member.warnings
            )
        member.exit_code = EXIT_CHANGES if member.drift else 0

    runner.run(run_each(items, one))
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
        head += [f"| `{m.name}` | {_drift_cell(m)} | {m.exit_code} |" for m in items]
        text = "\n".join(head) + "\n\n"
        share = max(1_000, (MARKDOWN_LIMIT - len(text) - 200) // max(1, len(items)))
        for m in items:
            body = (
                f"Error: {m.error}\n" if m.error else render_drift_markdown(m.drift or [], m.label)
            )
            if len(body) > share:
                body = body[: share - 80] + "\n\n_cut for length; see the job log._\n"
            text += (
                f"<details><summary>{m.name}: {_drift_cell(m)}</summary>\n\n{body}\n</details>\n\n"
            )
        out.text(text)
        return overall
    lines: list[Line] = []
    for m in items:
        lines += _section_head(m)
        lines += [(f"warning: {w}", "yellow") for w in m.warnings]
        if m.error:
            lines.append((f"Error: {m.error}", "red"))
        else:
            lines += [(t, "") for t in render_drift_text(m.drift or []).rstrip("\n").split("\n")]
    lines += [("", ""), (f"Fleet drift: {len(items)} instances", "bold")]
    lines += [(f"  {m.name}: {_drift_cell(m)} (exit {m.exit_code})", "") for m in items]
    lines.append((f"Exit code: {overall} (the worst of the instances)", ""))
    out.lines(lines)
    return overall


def _drift_cell(member: Member) -> str:
    if member.error:
        return "error"
    count = len(member.drift or [])
    return f"{count} drifted" if count else "none"


def doctor_command(
    config_dir: str | None, names: list[str], kw: dict[str, Any], out: Any, as_json: bool
) -> int:
    """``doctor --all-instances``: each instance's assumptions checked at once."""
    from domogov import runner
    from domogov.command import connection_of
    from domogov.doctor.report import run_doctor

    items = members(config_dir, names, connection_of(kw))

    async def one(member: Member) -> None:
        async with open_client(member.conn) as client:
            member.doctor = await run_doctor(client, member.config, member.label)
        member.exit_code = member.doctor.exit_code

    runner.run(run_each(items, one))
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
        lines += _section_head(m)
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
