"""Referential integrity of a whole state: every id an entity names must exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domogov.sim.state import SimState


def integrity_problems(state: SimState) -> list[str]:
    """Every dangling reference or duplicate in the state, as readable sentences."""
    problems: list[str] = []
    users, groups = state.users, state.groups

    def principal_exists(ptype: str, pid: int) -> bool:
        if ptype == "USER":
            return pid in users
        return pid in groups and groups[pid].active

    if not users:
        problems.append("the state needs at least one user (the token's user, 'me')")
    elif state.me not in users:
        problems.append(f"me: user {state.me} not found")
    seen_emails: dict[str, int] = {}
    for user in users.values():
        other = seen_emails.setdefault(user.email.lower(), user.id)
        if other != user.id:
            problems.append(f"users {other} and {user.id} share the e-mail {user.email}")
        if user.role_id not in state.roles:
            problems.append(f"user {user.id}: role {user.role_id} not found")
    role_names: dict[str, int] = {}
    for role in state.roles.values():
        if role_names.setdefault(role.name.lower(), role.id) != role.id:
            problems.append(f"role {role.id}: the name '{role.name}' is already used")
        problems += [
            f"role {role.id}: authority '{a}' not found"
            for a in role.authorities
            if a not in state.authorities
        ]
    group_names: dict[str, int] = {}
    for group in groups.values():
        if group.active and group_names.setdefault(group.name.lower(), group.id) != group.id:
            problems.append(f"group {group.id}: the name '{group.name}' is already used")
        for what, ids in (("member", group.members), ("owner", group.owners)):
            problems += [
                f"group {group.id}: {what} user {u} not found" for u in ids if u not in users
            ]
        for what, ids in (("member", group.member_groups), ("owner", group.owner_groups)):
            problems += [
                f"group {group.id}: {what} group {g} not found" for g in ids if g not in groups
            ]
    for ds in state.datasets.values():
        if ds.owner not in users:
            problems.append(f"dataset {ds.id}: owner user {ds.owner} not found")
        seen: set[tuple[str, int]] = set()
        for grant in ds.permissions:
            key = (grant.type, grant.id)
            if not principal_exists(*key):
                problems.append(f"dataset {ds.id}: {grant.type} {grant.id} not found")
            if key in seen:
                problems.append(f"dataset {ds.id}: {grant.type} {grant.id} is granted twice")
            if key == ("USER", ds.owner):
                problems.append(f"dataset {ds.id}: the owner {ds.owner} cannot also be a grant")
            seen.add(key)
    for card in state.cards.values():
        if card.dataset_id and card.dataset_id not in state.datasets:
            problems.append(f"card {card.id}: dataset {card.dataset_id} not found")
    for etype, eid in state.certifications:
        if etype == "DATA_SOURCE" and eid not in state.datasets:
            problems.append(f"certification: dataset {eid} not found")
        if etype == "CARD" and (not eid.isdigit() or int(eid) not in state.cards):
            problems.append(f"certification: card {eid} not found")
    sub_ids: set[int] = set()
    for alert in state.alerts.values():
        if alert.resource_type == "DATASET" and alert.resource_id not in state.datasets:
            problems.append(f"alert {alert.id}: dataset {alert.resource_id} not found")
        if alert.resource_type == "CARD" and (
            not alert.resource_id.isdigit() or int(alert.resource_id) not in state.cards
        ):
            problems.append(f"alert {alert.id}: card {alert.resource_id} not found")
        if alert.owner not in users:
            problems.append(f"alert {alert.id}: owner user {alert.owner} not found")
        for sub in alert.subscriptions:
            if not principal_exists(sub.type, sub.subscriber_id):
                problems.append(f"alert {alert.id}: {sub.type} {sub.subscriber_id} not found")
            if sub.id in sub_ids:
                problems.append(f"alert {alert.id}: subscription id {sub.id} is used twice")
            sub_ids.add(sub.id)
    for rs in state.report_schedules.values():
        if rs.owner_id not in users:
            problems.append(f"report schedule {rs.id}: owner user {rs.owner_id} not found")
        for rec in rs.schedule.recipients:
            if rec.type == "EMAIL" and "@" not in rec.value:
                problems.append(f"report schedule {rs.id}: '{rec.value}' is not an e-mail")
            elif rec.type != "EMAIL" and (
                not rec.value.isdigit() or not principal_exists(rec.type, int(rec.value))
            ):
                problems.append(f"report schedule {rs.id}: {rec.type} {rec.value} not found")
    problems += _content_problems(state, principal_exists)
    return problems


def _content_problems(state: SimState, exists: Callable[[str, int], bool]) -> list[str]:
    """Pages' and cards' shares, files' entries and workflows' grants name live principals."""
    problems: list[str] = []
    for what, table in (("page", state.pages), ("card", state.cards)):
        for obj in table.values():
            shares = obj.shares
            if shares.owner is not None and shares.owner not in state.users:
                problems.append(f"{what} {obj.id}: owner user {shares.owner} not found")
            problems += [
                f"{what} {obj.id}: shared {ptype} {pid} not found"
                for ptype, ids in (("USER", shares.users), ("GROUP", shares.groups))
                for pid in ids
                if not exists(ptype, pid)
            ]
    for f in state.files.values():
        if f.owner not in state.users:
            problems.append(f"file {f.id}: owner user {f.owner} not found")
        problems += [
            f"file {f.id}: {e.entity_type} {e.entity_id} not found"
            for e in f.entries
            if not exists(e.entity_type, e.entity_id)
        ]
    for flow in state.workflows.values():
        if flow.owner not in state.users:
            problems.append(f"workflow {flow.id}: owner user {flow.owner} not found")
        problems += [
            f"workflow {flow.id}: {g.type} {g.id} not found"
            for g in flow.permissions
            if not exists(g.type, g.id)
        ]
    return problems
