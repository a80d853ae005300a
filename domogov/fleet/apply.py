"""Applying a fleet: plan (or check the saved plans), ask once, then apply every instance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from domogov.connect import open_client
from domogov.fleet.members import Member, failing_policy, members, plan_member, run_each, worst
from domogov.fleet.planfile import read_fleet_plan
from domogov.fleet.report import Line, plan_json, plan_only_lines, section_head, summary_lines


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
                out.lines([line for m in items for line in plan_only_lines(m)])
            return
        if not kw.get("as_json"):
            out.lines([line for m in items for line in plan_only_lines(m)])
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
        result += section_head(member)
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
