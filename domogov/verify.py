"""Verify after apply: re-read every changed object; report what Domo accepted but ignored.

Some of Domo's writes answer 200 and change nothing (a group revoked through the bulk users
``DELETE``, a share that does not lower a level, a certification left pending). So apply
re-reads each object it changed, through its kind's own ``fetch`` (the same bulk reads a plan
makes), and compares it with the plan's ``after``: every added entry must be there, every
removed one gone, every scalar as planned, a deleted object absent. Anything else is reported
``not effective`` with the field and what Domo shows, and apply exits 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from domogov.core.applier import DONE, ApplyReport
from domogov.core.changes import Action, Change, FieldDiff, Plan
from domogov.resources import KINDS_BY_NAME
from domogov.resources.context import LiveContext
from domogov.resources.directory import load_directory


@dataclass(frozen=True)
class NotEffective:
    """A change Domo accepted that its re-read does not show."""

    address: str
    field: str
    expected: Any
    shown: Any

    @property
    def text(self) -> str:
        return (
            f"not effective: {self.address}: {self.field}: expected {self.expected}, "
            f"Domo shows {self.shown}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "field": self.field,
            "expected": self.expected,
            "shown": self.shown,
            "text": self.text,
        }


def compare(change: Change, live: Mapping[str, Any] | None) -> list[NotEffective]:
    """What of ``change`` the re-read ``live`` object does not show."""
    address = change.address
    if change.action == Action.DELETE and change.after is None:
        return [] if live is None else [NotEffective(address, "(object)", "absent", "present")]
    if live is None:
        return [NotEffective(address, "(object)", "present", "absent")]
    out: list[NotEffective] = []
    for diff in change.diffs:
        out.extend(_compare_field(address, diff, live))
    return out


def _compare_field(address: str, diff: FieldDiff, live: Mapping[str, Any]) -> list[NotEffective]:
    if diff.field not in live:
        return []  # a field this kind does not read back (an id, a create-only template)
    shown = live[diff.field]
    if diff.collection:
        have = set(shown or [])
        out = [
            NotEffective(address, diff.field, f"+ {e}", "it absent")
            for e in diff.added
            if e not in have
        ]
        out += [
            NotEffective(address, diff.field, f"- {e}", "it still there")
            for e in diff.removed
            if e in have
        ]
        for entry in diff.changed:  # "<entry> OLD -> NEW": the entry must now read "<entry> NEW"
            head, _, new = entry.rpartition(" -> ")
            name = head.rsplit(" ", 1)[0]
            if f"{name} {new}" not in have:
                now = sorted(e for e in have if e.rsplit(" ", 1)[0] == name)
                shown = ", ".join(now) or "it absent"
                out.append(NotEffective(address, diff.field, f"~ {entry}", shown))
        return out
    if shown != diff.new:
        return [NotEffective(address, diff.field, diff.new, shown)]
    return []


async def verify_apply(plan: Plan, report: ApplyReport, client: Any, project: Any) -> None:
    """Re-read what ``report`` says was done; fill its ``not_effective`` and ``verify_reads``."""
    done = {o.address for o in report.outcomes if o.status == DONE}
    changes = [c for c in plan.changes if c.address in done]
    before = sum(getattr(client, "stats", {}).values())
    problems: list[NotEffective] = []
    if changes:
        ctx = LiveContext(client=client, project=project, config=None)
        # Re-read with the view of renamed groups the plan was made with (pinned ids).
        ctx.pinned_groups = [
            SimpleNamespace(id=c.key["id"], name=c.key["name"])
            for c in changes
            if c.kind == "group" and "id" in c.key and c.action != Action.DELETE
        ]
        # Holders of the roles the plan changed are read from each role's own list.
        ctx.holder_roles = {str(c.key.get("name")) for c in changes if c.kind == "role"}
        await load_directory(ctx)
        by_kind: dict[str, list[Change]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, []).append(change)

        async def check(kind_name: str, group: list[Change]) -> None:
            live = await KINDS_BY_NAME[kind_name].fetch(ctx, [c.key for c in group])
            for change in group:
                problems.extend(compare(change, live.get(change.address.split("#", 1)[0])))

        await asyncio.gather(*(check(k, cs) for k, cs in by_kind.items()))
    report.not_effective = [p.to_json() for p in sorted(problems, key=lambda p: p.text)]
    report.verify_reads = sum(getattr(client, "stats", {}).values()) - before
