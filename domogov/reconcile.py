"""The verbs wired together: load -> read live -> plan -> (stale check) -> apply."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from domogov import __version__
from domogov.config.project import ProjectSpec
from domogov.core.address import substitute
from domogov.core.applier import Applier, ApplyReport, Outcome
from domogov.core.changes import Action, ApiCall, Change, Plan, fingerprint
from domogov.core.planner import (
    check_destructive,
    check_protected,
    order_changes,
    select_targets,
)
from domogov.errors import PlanError, StalePlanError, UsageError
from domogov.policy import check_plan_policies, raise_for_violations, unused_waivers
from domogov.resources import ALL_KINDS, KINDS_BY_NAME, Kind
from domogov.resources.common import ensure_absent
from domogov.resources.context import LiveContext
from domogov.resources.directory import load_directory, load_me
from domogov.resources.impact import compute_impact


@dataclass
class PlanOptions:
    """What the CLI passes to planning."""

    targets: tuple[str, ...] = ()
    allow_destructive: bool = False
    instance: str = ""


def _specs(config: Any, section: str) -> list[Any]:
    return list(getattr(config, section, None) or [])


def new_context(client: Any, config: Any) -> LiveContext:
    ctx = LiveContext(client=client, project=config.project, config=config)
    for spec in _specs(config, "groups"):
        (ctx.absent_groups if ensure_absent(spec) else ctx.declared_groups).add(spec.name)
    ctx.declared_roles = {s.name for s in _specs(config, "roles") if not ensure_absent(s)}
    ctx.pinned_groups = [
        s for s in _specs(config, "groups") if not ensure_absent(s) and getattr(s, "id", None)
    ]
    return ctx


async def make_plan(config: Any, client: Any, options: PlanOptions) -> tuple[Plan, LiveContext]:
    """Read live state for what the manifests name and decide every change."""
    ctx = new_context(client, config)
    await load_me(ctx)  # fail fast (auth, DNS, TLS) before fanning out

    async def read(kind: Kind) -> tuple[dict[str, Any], dict[str, Any]]:
        keys = [kind.key_of(s) for s in _specs(config, kind.section)]
        live, prunable = await asyncio.gather(kind.fetch(ctx, keys), kind.fetch_prunable(ctx))
        return live, prunable

    # The directory (users, groups, roles) and every kind's reads start together; kinds
    # wait for the directory only to label what they read.
    loading = asyncio.ensure_future(load_directory(ctx))
    results = await asyncio.gather(*(read(k) for k in ALL_KINDS), return_exceptions=True)
    await loading  # its error, if any, is the one to report
    reads: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        reads.append(result)
    changes: list[Change] = []
    live_by_kind = {kind.name: live for kind, (live, _) in zip(ALL_KINDS, reads, strict=True)}
    for kind, (live, prunable) in zip(ALL_KINDS, reads, strict=True):
        planned = kind.plan(ctx, _specs(config, kind.section), live, prunable)
        changes.extend(sorted(planned, key=lambda c: c.address))
    if ctx.issues:
        raise PlanError("the plan cannot be made:", ctx.issues)
    _link_reference_removals(changes)
    protected = {kind.name: set(config.project.protected(kind.section)) for kind in ALL_KINDS}
    check_protected(changes, protected, {k.name: k.identity_fields for k in ALL_KINDS})
    ordered = select_targets(order_changes(changes), list(options.targets))
    check_destructive(
        ordered, int(getattr(config.project, "max_destructive", 25)), options.allow_destructive
    )
    plan = Plan(
        instance=options.instance,
        changes=ordered,
        impact=await compute_impact(ctx, ALL_KINDS, ordered, live_by_kind),
        warnings=sorted(set(ctx.warnings)),
        unreadable=sorted(ctx.unreadable_parts.values(), key=lambda u: (u.address, u.field)),
        created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        domogov_version=__version__,
        config_dir=str(getattr(config, "root", "")),
    )
    violations = check_plan_policies(config, plan)
    plan.policy = [v.to_json() for v in violations]
    plan.warnings += unused_waivers(config, violations)
    ctx.cache["policy"] = violations
    return plan, ctx


def enforce_policy(ctx: LiveContext) -> None:
    """Refuse (exit 1) a plan with unwaived policy violations; call after showing the plan."""
    raise_for_violations(ctx.cache.get("policy", []))


def _link_reference_removals(changes: list[Change]) -> None:
    """A deleted group's references (grants, subscriptions, recipients) go before the group."""
    deleted = {
        c.address.split(".", 1)[1]: c
        for c in changes
        if c.kind == "group" and c.action == Action.DELETE
    }
    if not deleted:
        return
    for change in changes:
        if change.kind == "group":
            continue
        for diff in change.diffs:
            for entry in diff.removed:
                if not entry.startswith("group:"):
                    continue
                rest = entry.removeprefix("group:")
                # Share entries carry the level after the name ("group:X CAN_VIEW").
                for name in {rest, rest.rsplit(" ", 1)[0]}:
                    if name in deleted:
                        deleted[name].depends_on.append(change.address)


async def stale_changes(plan: Plan, config_project: Any, client: Any) -> list[str]:
    """Re-read exactly the objects the plan touches; the addresses whose live state moved."""
    ctx = LiveContext(client=client, project=config_project, config=None)
    # Re-read with the same view of renamed groups the plan was made with.
    await load_me(ctx)
    ctx.holder_roles = {str(c.key.get("name")) for c in plan.changes if c.kind == "role"}
    ctx.pinned_groups = [
        SimpleNamespace(id=c.key["id"], name=c.key["name"])
        for c in plan.changes
        if c.kind == "group" and "id" in c.key and c.action != Action.DELETE
    ]
    await load_directory(ctx)
    by_kind: dict[str, list[Change]] = {}
    for change in plan.changes:
        by_kind.setdefault(change.kind, []).append(change)
    stale: list[str] = []

    async def check(kind_name: str, changes: list[Change]) -> None:
        kind = KINDS_BY_NAME[kind_name]
        live = await kind.fetch(ctx, [c.key for c in changes])
        for change in changes:
            current = live.get(change.address.split("#", 1)[0])
            if fingerprint(current) != change.fingerprint:
                stale.append(change.address)

    await asyncio.gather(*(check(k, cs) for k, cs in by_kind.items()))
    return sorted(stale)


async def apply_plan(
    plan: Plan,
    ctx: LiveContext,
    *,
    parallelism: int = 8,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: asyncio.Event | None = None,
) -> ApplyReport:
    """Make the plan's calls; see core.applier for ordering and failure handling."""

    async def find_created(change: Change) -> Any | None:
        return await KINDS_BY_NAME[change.kind].find_created(ctx, change)

    async def confirm(change: Change, call: ApiCall) -> bool:
        kind = KINDS_BY_NAME[change.kind]
        checker = getattr(kind, "confirm_call", None)
        if checker is None:
            return False
        path, body = substitute(call.path, applier.ids), substitute(call.body, applier.ids)
        return bool(await checker(ctx, change, path, body))

    async def settle(change: Change, new_id: Any) -> Any:
        settler = getattr(KINDS_BY_NAME[change.kind], "settle_created", None)
        return new_id if settler is None else await settler(ctx, change, new_id)

    applier = Applier(
        ctx.client,
        find_created,
        parallelism=parallelism,
        on_outcome=on_outcome,
        stop=stop,
        confirm=confirm,
        settle=settle,
    )
    return await applier.run(plan)


def read_plan_file(path: Path) -> Plan:
    """A plan saved with ``plan --out``; a file that is not one is a usage error (exit 1)."""
    try:
        return Plan.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a domogov plan file: {exc}") from exc


async def prepare_saved_plan(plan: Plan, path: Path, instance: str, client: Any) -> LiveContext:
    """Check a saved plan may be applied here and now; the context to apply it with.

    Refuses a plan made for another instance, and a stale one (its objects changed since).
    A saved plan is applied as made: no prune, and its guards passed when it was planned.
    """
    if plan.instance != instance:
        raise UsageError(
            f"{path} was made for instance {plan.instance!r}, not {instance!r}; "
            "plan again against this instance"
        )
    project = ProjectSpec()
    await check_saved_plan(plan, project, client)
    return LiveContext(client=client, project=project, config=None)


async def check_saved_plan(plan: Plan, project: Any, client: Any) -> None:
    """Refuse a saved plan whose objects changed since it was made (exit 1, naming them)."""
    stale = await stale_changes(plan, project, client)
    if stale:
        listed = "\n".join(f"  {a}" for a in stale)
        raise StalePlanError(
            "the saved plan is stale: these objects changed in Domo since it was made:\n"
            f"{listed}\nRun `domogov plan` again and review the new plan."
        )
