"""Helpers every kind shares: collection semantics (the ownership rule) and change building."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from domogov.core.changes import Action, ApiCall, Change
from domogov.core.diff import diff_objects

T = TypeVar("T")
R = TypeVar("R")


def mode_of(collection: Any) -> str:
    mode = getattr(collection, "mode", "authoritative")
    return str(getattr(mode, "value", mode))


def enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def merged(live: Iterable[str], collection: Any, desired: Iterable[str]) -> list[str]:
    """The ownership rule for one collection.

    Omitted (``None``): unmanaged, live stays.  ``mode: additive``: live plus desired.
    Otherwise authoritative: exactly desired (``[]`` means none).
    """
    live_set = set(live)
    if collection is None:
        return sorted(live_set)
    if mode_of(collection) == "additive":
        return sorted(live_set | set(desired))
    return sorted(set(desired))


def items(collection: Any) -> list[Any]:
    return list(getattr(collection, "items", None) or [])


def ensure_absent(spec: Any) -> bool:
    return bool(enum_value(getattr(spec, "ensure", "present")) == "absent")


def pinned_key(spec: Any, field: str) -> dict[str, Any]:
    """The identity of an object known by name (or title), with its pinned ``id`` if any."""
    key: dict[str, Any] = {field: getattr(spec, field)}
    if getattr(spec, "id", None) is not None:
        key["id"] = spec.id
    return key


def in_prune_scope(project: Any, section: str, name: str) -> bool:
    """Whether an undeclared live object of this kind and name may be pruned."""
    scope = project.prune_scope(section)
    return scope is not None and scope.covers(name)


def is_protected(project: Any, section: str, *names: Any) -> bool:
    listed = set(project.protected(section))
    return any(str(n) in listed for n in names if n is not None)


def make_change(
    *,
    kind: str,
    address: str,
    key: dict[str, Any],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    calls: list[ApiCall],
    depends_on: Iterable[str] = (),
    destructive: int = 0,
    notes: Iterable[str] = (),
    action: Action | None = None,
) -> Change | None:
    """A Change when something differs (or calls are needed), else None."""
    diffs = diff_objects(before, after)
    if action is None:
        if before is None:
            action = Action.CREATE
        elif after is None:
            action = Action.DELETE
        else:
            action = Action.UPDATE
    if action == Action.UPDATE and not diffs and not calls:
        return None
    # A call waiting for the id of an object this plan creates (a group, a user) depends on
    # the change creating it, whichever kind that is: apply runs it after.
    waits = placeholder_deps([(c.path, c.body, c.params) for c in calls]) - {address}
    return Change(
        address=address,
        kind=kind,
        action=action,
        key=key,
        before=None if before is None else dict(before),
        after=None if after is None else dict(after),
        diffs=diffs,
        calls=calls,
        depends_on=sorted(set(depends_on) | waits),
        destructive=destructive,
        notes=list(notes),
    )


def delete_change(
    kind: str,
    address: str,
    key: dict[str, Any],
    before: Mapping[str, Any],
    calls: list[ApiCall],
    *,
    pruned: bool = False,
    depends_on: Iterable[str] = (),
) -> Change:
    """The change deleting a live object: declared ``ensure: absent``, or pruned."""
    return Change(
        address=address,
        kind=kind,
        action=Action.DELETE,
        key=key,
        before=dict(before),
        after=None,
        diffs=diff_objects(before, None),
        calls=calls,
        depends_on=sorted(set(depends_on)),
        destructive=1,
        notes=["not declared, inside the prune scope" if pruned else "ensure: absent"],
    )


async def map_limited(func: Callable[[T], Awaitable[R]], items: Iterable[T], limit: int) -> list[R]:
    """``[await func(x) for x in items]``, at most ``limit`` at a time, in order.

    A few workers pulling from one iterator instead of one task per item: thousands of
    coroutines parked on the client's semaphore cost more CPU than the requests themselves.
    """
    work = list(enumerate(items))
    results: list[Any] = [None] * len(work)
    queue = iter(work)

    async def worker() -> None:
        for index, item in queue:
            results[index] = await func(item)

    await asyncio.gather(*(worker() for _ in range(max(1, min(limit, len(work))))))
    return results


def placeholder_deps(value: Any) -> set[str]:
    from domogov.core.address import placeholders_in

    return placeholders_in(value)
