"""Access impact of a plan: who gains or loses what, with group shares expanded to members.

A reviewer approving a plan needs the effect on people, not on objects: a membership change
in one group changes access to every dataset shared to that group. Impact is computed over the
objects the plan read (declared datasets, roles, alerts, schedules), from the same normalised
before/after state the planner compared.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from typing import Any

from domogov.core.changes import Action, Change
from domogov.resources.context import LiveContext
from domogov.resources.group import email_lookup
from domogov.resources.role import KIND as ROLE

LEVELS = {"CAN_VIEW": 1, "CAN_SHARE": 2, "CAN_EDIT": 3, "CO_OWNER": 4, "OWNER": 5}
Members = Callable[[str], frozenset[str]]
Access = dict[str, tuple[str, str]]  # email -> (level, via)
# (rank, tier, -position in grants, emails, (level, via)); the first three order the offers.
Offer = tuple[int, int, int, Iterable[str], tuple[str, str]]
_GROUP, _DIRECT, _OWNER = 0, 1, 2  # tiers: among equal levels the owner, then direct grants
_STRENGTH = operator.itemgetter(0, 1, 2)
_BY_OWNER = ("OWNER", "owner")


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


def dataset_impact(
    ctx: LiveContext, changes: list[Change], live_shares: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    by_address = {c.address: c for c in changes}
    members_before, members_after = _group_members(ctx, by_address)
    out: list[dict[str, Any]] = []
    moved = {c.key.get("name") for c in changes if c.kind == "group"} | set(
        ctx.group_renames.values()
    )
    for address, before in sorted(live_shares.items()):
        change = by_address.get(address)
        after_grants = change.after["grants"] if change and change.after else before["grants"]
        groups = {
            g.removeprefix("group:").rsplit(" ", 1)[0]
            for g in after_grants + before["grants"]
            if g.startswith("group:")
        }
        if change is None and not groups & moved:
            continue  # neither the grants nor the granted groups' members change
        old = effective_access(before["grants"], before.get("owner"), members_before)
        new = effective_access(after_grants, before.get("owner"), members_after)
        label = before.get("name") or before["dataset"]
        # Only users whose (level, via) differs can have an entry: compare items in C.
        for email in sorted({e for e, _ in old.items() ^ new.items()}):
            was, now = old.get(email), new.get(email)
            if (was and was[0]) == (now and now[0]):
                continue
            sign = "+" if was is None else "-" if now is None else "~"
            via = (now or was)[1]  # type: ignore[index]
            out.append(
                {
                    "type": "dataset_access",
                    "sign": sign,
                    "user": email,
                    "object": address,
                    "before": was[0] if was else None,
                    "after": now[0] if now else None,
                    "text": _access_text(sign, email, was, now, label, via),
                }
            )
    return out


def _access_text(
    sign: str,
    email: str,
    was: tuple[str, str] | None,
    now: tuple[str, str] | None,
    label: str,
    via: str,
) -> str:
    how = f"({via})" if via != "direct" else "(direct grant)"
    if sign == "+":
        return f'+ {email}  {now[0]} on "{label}" {how}'  # type: ignore[index]
    if sign == "-":
        return f'- {email}  loses {was[0]} on "{label}" {how}'  # type: ignore[index]
    return f'~ {email}  {was[0]} -> {now[0]} on "{label}" {how}'  # type: ignore[index]


async def role_impact(
    ctx: LiveContext, changes: list[Change], live_roles: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Users gaining or losing authorities: role authority edits and users moving roles."""
    role_changes = [c for c in changes if c.kind == "role"]
    if not role_changes:
        return []
    auths_before: dict[str, set[str]] = {
        r["name"]: set(r["authorities"]) for r in live_roles.values()
    }
    auths_after = dict(auths_before)
    role_after: dict[str, str] = {}  # email -> role name after the plan
    for change in role_changes:
        name = change.key["name"]
        if change.after is None:
            auths_after.pop(name, None)
        else:
            auths_after[name] = set(change.after["authorities"])
        for diff in change.diffs:
            if diff.field == "users":
                for email in diff.added:
                    role_after[email] = name
                for email in diff.removed:
                    role_after.setdefault(email, str(ctx.project.default_role or "?"))
        if change.action == Action.DELETE and change.before:
            for email in change.before["users"]:
                role_after.setdefault(email, str(ctx.project.default_role or "?"))
    affected: dict[str, tuple[str, str]] = {}
    for email, user in ctx.users_by_email.items():
        current = ctx.roles_by_id.get(user.get("roleId") or -1, {}).get("name")
        if current is None:
            continue
        new_role = role_after.get(email, current)
        changed_auths = auths_before.get(current) != auths_after.get(new_role)
        if new_role != current or (current in auths_after and changed_auths):
            affected[email] = (current, new_role)
    needed = {r for pair in affected.values() for r in pair} - set(auths_before)
    for name in sorted(needed):
        role = ctx.roles_by_name.get(name)
        if role is not None:
            auths = set(await ROLE.authorities_of(ctx, role["id"]))  # the shared catalogue
            auths_before[name] = auths
            auths_after.setdefault(name, auths)
    out = []
    for email, (old_role, new_role) in sorted(affected.items()):
        old = auths_before.get(old_role, set())
        new = auths_after.get(new_role, set())
        where = f"role {new_role}" if old_role == new_role else f"role {old_role} -> {new_role}"
        for authority in sorted(new - old):
            out.append(_role_entry("+", email, authority, where, "gains"))
        for authority in sorted(old - new):
            out.append(_role_entry("-", email, authority, where, "loses"))
    return out


def _role_entry(sign: str, email: str, authority: str, where: str, verb: str) -> dict[str, Any]:
    return {
        "type": "authority",
        "sign": sign,
        "user": email,
        "authority": authority,
        "text": f"{sign} {email}  {verb} {authority} ({where})",
    }


def recipient_impact(changes: list[Change]) -> list[dict[str, Any]]:
    """Alert subscribers and report recipients gained or lost."""
    out = []
    for change in changes:
        if change.kind not in ("alert", "report_schedule"):
            continue
        state = change.after or change.before or {}
        if change.kind == "alert":
            what = f"alert {state.get('id')} ({state.get('name')})"
            field, gain, lose = "subscribers", "subscribed to", "unsubscribed from"
        else:
            what = f'report "{state.get("title")}"'
            field, gain, lose = "recipients", "receives", "no longer receives"
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
                    "text": f"{sign} {principal}  {verb} {what}",
                }
            )
    return out


async def compute_impact(
    ctx: LiveContext, changes: list[Change], live: dict[str, dict[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Every impact entry of a plan; ``live`` is the normalised live state by kind name."""
    entries = dataset_impact(ctx, changes, live.get("dataset_share", {}))
    entries += await role_impact(ctx, changes, live.get("role", {}))
    entries += recipient_impact(changes)
    return entries
