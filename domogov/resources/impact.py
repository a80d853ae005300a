"""Access impact of a plan: who gains or loses what, with group shares expanded to members.

A reviewer approving a plan needs the effect on people, not on objects: a membership change
in one group changes access to every dataset shared to that group. Impact is computed over the
objects the plan read (declared datasets, roles, alerts, schedules), from the same normalised
before/after state the planner compared.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domogov.core.changes import Action, Change
from domogov.resources.context import LiveContext, email_lookup

if TYPE_CHECKING:
    from domogov.resources.base import KindBase

LEVELS = {"CAN_VIEW": 1, "CAN_SHARE": 2, "CAN_EDIT": 3, "CO_OWNER": 4, "OWNER": 5}
Members = Callable[[str], frozenset[str]]
Access = dict[str, tuple[str, str]]  # email -> (level, via)
# (rank, tier, -position in grants, emails, (level, via)); the first three order the offers.
Offer = tuple[int, int, int, Iterable[str], tuple[str, str]]
_GROUP, _DIRECT, _OWNER = 0, 1, 2  # tiers: among equal levels the owner, then direct grants
_STRENGTH = operator.itemgetter(0, 1, 2)
_BY_OWNER = ("OWNER", "owner")


@dataclass
class ImpactView:
    """What a kind needs to tell who gains or loses what: the plan and group membership
    before and after it (groups expanded, each set built once)."""

    changes: list[Change]
    by_address: dict[str, Change]
    #: This kind's live objects as read for the plan, by address.
    live: Mapping[str, Mapping[str, Any]]
    members_before: Members
    members_after: Members
    #: Group names whose members or name the plan changes.
    moved_groups: set[str]


def _group_members(ctx: LiveContext, by_address: dict[str, Change]) -> tuple[Members, Members]:
    """Members of a group by name, before and after the plan (each set built once)."""
    email_of = email_lookup(ctx)

    @functools.cache
    def before(name: str) -> frozenset[str]:
        group = ctx.groups_by_name.get(name)
        return frozenset(map(email_of, group["members"])) if group else frozenset()

    @functools.cache
    def after(name: str) -> frozenset[str]:
        change = by_address.get(f"group.{name}")
        if change is None:
            return before(name)
        if change.action == Action.DELETE or change.after is None:
            return frozenset()
        return frozenset(change.after.get("members", []))

    return before, after


def affected(
    view: ImpactView, granted_groups: Callable[[Mapping[str, Any]], set[str]]
) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(address, before, after)`` of each live object whose access the plan may change:
    the object itself changes, or a group it is granted to changes its members or its name
    (``granted_groups`` names the groups an object grants to)."""
    for address, before in sorted(view.live.items()):
        change = view.by_address.get(address)
        if change is None and not granted_groups(before) & view.moved_groups:
            continue  # neither the grants nor the granted groups' members change
        after = change.after if change is not None and change.after else before
        yield address, before, after


def effective_access(grants: list[str], owner: str | None, members: Members) -> Access:
    """``{email: (level, via)}``: each user's strongest access, directly or through groups.

    The strongest level wins; among equally strong offers the first one keeps its ``via``:
    the owner, then direct grants, then groups, each in grant order.
    """
    # Offers are applied weakest first, so the winner for each user is the last to write:
    # whole groups are settled by C-level dict updates, not one comparison per member.
    offers: list[Offer] = []
    if owner and owner.startswith("user:"):
        offers.append((LEVELS["OWNER"], _OWNER, 0, (owner.removeprefix("user:"),), _BY_OWNER))
    for position, grant in enumerate(grants):
        principal, _, level = grant.rpartition(" ")
        kind, _, name = principal.partition(":")
        if kind == "user":
            offers.append((LEVELS.get(level, 0), _DIRECT, -position, (name,), (level, "direct")))
        elif kind == "group":
            via = (level, f"via group {name}")
            offers.append((LEVELS.get(level, 0), _GROUP, -position, members(name), via))
    offers.sort(key=_STRENGTH)
    best: Access = {}
    for _, _, _, emails, access in offers:
        best.update(dict.fromkeys(emails, access))
    return best


def recipient_impact(
    view: ImpactView,
    kind: str,
    field: str,
    what: Callable[[Mapping[str, Any]], str],
    gain: str,
    lose: str,
) -> list[dict[str, Any]]:
    """Principals gaining or losing a subscription-like list (``field``) on ``kind`` objects:
    alert subscribers, report recipients."""
    out = []
    for change in view.changes:
        if change.kind != kind:
            continue
        state = change.after or change.before or {}
        entries: list[tuple[str, str]] = []
        if change.action == Action.CREATE:
            entries = [("+", p) for p in (change.after or {}).get(field, [])]
        elif change.action == Action.DELETE and change.after is None:
            entries = [("-", p) for p in (change.before or {}).get(field, [])]
        else:
            for diff in change.diffs:
                if diff.field == field:
                    entries += [("+", p) for p in diff.added] + [("-", p) for p in diff.removed]
        for sign, principal in entries:
            verb = gain if sign == "+" else lose
            out.append(
                {
                    "type": "recipient",
                    "sign": sign,
                    "principal": principal,
                    "object": change.address,
                    "text": f"{sign} {principal}  {verb} {what(state)}",
                }
            )
    return out


async def compute_impact(
    ctx: LiveContext,
    kinds: Iterable[KindBase[Any, Any]],
    changes: list[Change],
    live: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """Every impact entry of a plan, kind by kind; ``live`` is the live state by kind name."""
    by_address = {c.address: c for c in changes}
    before, after = _group_members(ctx, by_address)
    moved = {str(c.key.get("name")) for c in changes if c.kind == "group"}
    moved |= set(ctx.group_renames.values())
    entries: list[dict[str, Any]] = []
    for kind in kinds:
        view = ImpactView(changes, by_address, live.get(kind.name, {}), before, after, moved)
        entries += await kind.impact(ctx, view)
    return entries
