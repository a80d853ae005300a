"""Which instances a fleet run covers, and each one's connection, configuration and run."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domogov.config.loader import PROJECT_FILE, SourceFile, read_file
from domogov.connect import Connection, open_client
from domogov.core.changes import Plan
from domogov.errors import DomogovError, UsageError

#: How bad each exit code is, for "the overall exit code is the worst" (SPEC §7).
_SEVERITY = {0: 0, 2: 1, 1: 2, 3: 3}


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
    from domogov.config.manifest import build_config, read_tree
    from domogov.errors import ConfigError
    from domogov.policy import config_issues

    out: list[Member] = []
    problems: list[Any] = []
    tree = read_tree(config_dir) if config_dir is not None else None  # parsed once for all
    for name in names:
        member = Member(name, connection_for(name, base))
        if tree is not None:
            try:
                member.config = build_config(tree, name)
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
