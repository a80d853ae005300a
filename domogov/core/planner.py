"""Kind-agnostic plan assembly: dependency order, --target, and the plan-wide guards."""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Collection, Iterable, Mapping

from domogov.core.address import matches
from domogov.core.changes import Change
from domogov.errors import GuardError, PlanError


def order_changes(changes: list[Change]) -> list[Change]:
    """Changes in dependency order; among ready changes the order given (kind, then address).

    graphlib finds cycles; a heap-driven Kahn walk then keeps each change as close to its
    kind's place as its dependencies allow, so the plan reads kind by kind.
    """
    by_address: dict[str, Change] = {}
    for change in changes:
        if change.address in by_address:
            raise PlanError(f"internal error: two changes for {change.address}")
        by_address[change.address] = change
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for change in changes:
        deps = [d for d in change.depends_on if d in by_address and d != change.address]
        change.depends_on = sorted(set(deps))
        sorter.add(change.address, *change.depends_on)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise PlanError(f"changes depend on each other in a cycle: {cycle}") from exc
    position = {c.address: i for i, c in enumerate(changes)}
    waiting = {c.address: len(c.depends_on) for c in changes}
    dependents: dict[str, list[str]] = {a: [] for a in by_address}
    for change in changes:
        for dep in change.depends_on:
            dependents[dep].append(change.address)
    ready = [(position[a], a) for a, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[Change] = []
    while ready:
        _, address = heapq.heappop(ready)
        ordered.append(by_address[address])
        for nxt in dependents[address]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    return ordered


def select_targets(changes: list[Change], patterns: list[str]) -> list[Change]:
    """Keep the changes matching ``--target`` patterns and everything they depend on."""
    if not patterns:
        return changes
    by_address = {c.address: c for c in changes}
    keep: set[str] = set()
    stack = [c.address for c in changes if matches(c.address, patterns)]
    while stack:
        address = stack.pop()
        if address in keep:
            continue
        keep.add(address)
        stack.extend(d for d in by_address[address].depends_on if d in by_address)
    return [c for c in changes if c.address in keep]


def check_protected(
    changes: Iterable[Change],
    protected: Mapping[str, set[str]],
    identity_fields: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Refuse any change to an object listed under ``protect`` in domogov.yaml.

    ``identity_fields`` says, per kind, which keys of ``Change.key`` name the object itself
    (a role's key also names its template, which is not the role); every key when not given.
    """
    offending = []
    for change in changes:
        names = protected.get(change.kind, set())
        fields = identity_fields.get(change.kind) if identity_fields else None
        identity = {str(v) for k, v in change.key.items() if fields is None or k in fields}
        if names and identity & names:
            offending.append(change.address)
    if offending:
        listed = ", ".join(sorted(offending))
        raise GuardError(
            f"refusing to change protected objects: {listed} "
            "(listed under `protect` in domogov.yaml; remove them from the manifests or from "
            "`protect`)"
        )


def check_destructive(changes: list[Change], limit: int, allowed: bool) -> None:
    """Refuse more than ``max_destructive`` deletes and revokes unless --allow-destructive."""
    total = sum(c.destructive for c in changes)
    if total <= limit or allowed:
        return
    worst = sorted((c for c in changes if c.destructive), key=lambda c: -c.destructive)[:10]
    lines = "\n".join(f"  {c.address}: {c.destructive}" for c in worst)
    raise GuardError(
        f"this plan deletes or revokes {total} things, more than max_destructive ({limit}) "
        f"in domogov.yaml; review it and re-run with --allow-destructive if intended:\n{lines}"
    )
