"""The benchmark scenario: a generated Domo state, manifests covering it, and a known diff."""

from __future__ import annotations

import importlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domogov.sim.generate import WORDS, generate_state

SYSTEM_ROLES = ("Admin", "Privileged", "Editor", "Participant", "Social")
PARTICIPANT = 4
ME = 1001  # the token's user in generated states: never moved, never removed
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ACCESS = ("CO_OWNER", "CAN_EDIT", "CAN_SHARE", "CAN_VIEW")

# Share of the declared objects of each kind whose manifest differs from live state.
CHANGED_SHARE = {
    "group": 0.80,
    "dataset_share": 0.73,
    "certification": 0.50,
    "alert": 0.70,
    "report_schedule": 0.67,
    "role_users": 0.30,
    "role_authorities": 0.10,
    # The newer kinds (issues 14 and 15).
    "user": 0.30,
    "pdp_policy": 0.60,
    "page_share": 0.60,
    "file_permission": 0.60,
    "workflow_permission": 0.60,
}


def _users_search_batch() -> int:
    """Emails named in one users search (``domogov.resources.directory.EMAILS_PER_SEARCH``;
    50 in a checkout without it)."""
    try:
        module = importlib.import_module("domogov.resources.directory")
    except ImportError:
        return 50
    return int(getattr(module, "EMAILS_PER_SEARCH", 50))


EMAILS_PER_SEARCH = _users_search_batch()


@dataclass(frozen=True)
class Newer:
    """Sizes of the newer kinds (issues 14 and 15): users declared in ``users`` (joiners, the
    users created, included), datasets with PDP policies, cards declared in ``page_shares``
    (every page is declared), files and workflows."""

    users: int
    user_creates: int
    pdp: int
    cards: int
    files: int
    workflows: int


@dataclass(frozen=True)
class Scale:
    """Sizes of one benchmark scale; ``creates`` = (groups, roles, schedules) created."""

    name: str
    users: int
    groups: int
    roles: int
    datasets: int
    certifications: int
    alerts: int
    schedules: int
    creates: tuple[int, int, int]
    ratelimit_subset: int | None  # objects per kind in the rate-limited run; None: all
    newer: Newer

    @property
    def pages(self) -> int:
        """Pages ``generate_state`` makes when not told (``schedules // 2``): all declared."""
        return max(1, self.schedules // 2)

    def sizes(self) -> dict[str, int]:
        return {
            "users": self.users,
            "groups": self.groups,
            "roles": self.roles,
            "datasets": self.datasets,
            "certifications": self.certifications,
            "alerts": self.alerts,
            "report_schedules": self.schedules,
            "users declared (joiners incl.)": self.newer.users,
            "pdp_policies (datasets)": self.newer.pdp,
            "page_shares (pages + cards)": self.pages + self.newer.cards,
            "file_permissions": self.newer.files,
            "workflow_permissions": self.newer.workflows,
        }


SCALES = {
    "S": Scale("S", 200, 20, 8, 30, 10, 5, 3, (1, 1, 1), None, Newer(20, 1, 5, 4, 5, 4)),
    "M": Scale(
        "M", 5_000, 500, 30, 750, 250, 125, 75, (3, 1, 2), 20, Newer(250, 3, 50, 63, 75, 50)
    ),
    "L": Scale(
        "L",
        20_000,
        2_000,
        100,
        3_000,
        1_000,
        500,
        300,
        (10, 2, 5),
        20,
        Newer(1_000, 10, 200, 250, 300, 200),
    ),
}


@dataclass
class Scenario:
    """The live state document, the desired specs by section, and what was changed."""

    scale: Scale
    state: dict[str, Any]
    specs: dict[str, list[dict[str, Any]]]
    changed: Counter[str] = field(default_factory=Counter)
    created: dict[str, list[str]] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return str(self.state["token"])


# --- the live state ----------------------------------------------------------------------


def live_state(scale: Scale, seed: int) -> dict[str, Any]:
    """``sim generate``'s document, adjusted to the issue's shape (roles held, ~4 subscribers
    per alert, ~5 recipients per schedule, certifications on the declared objects)."""
    doc = generate_state(
        users=scale.users,
        groups=scale.groups,
        datasets=scale.datasets,
        roles=scale.roles,
        alerts=scale.alerts,
        schedules=scale.schedules,
        members_per_group=40,
        grants_per_dataset=6,
        # The newer kinds: pages keep generate's default (schedules // 2); cards are made
        # one per dataset either way. Content and PDP draw from their own random streams,
        # so the objects of the six original kinds are as they were without them.
        files=scale.newer.files,
        workflows=scale.newer.workflows,
        pdp_policies=scale.newer.pdp,
        shares_per_object=3,
        seed=seed,
    )
    rng = random.Random(seed + 1)
    custom = [r["id"] for r in doc["roles"] if r["id"] > 5]
    # generate puts users in only the first few custom roles; spread a fifth of them out.
    for user in doc["users"]:
        if custom and user["id"] != ME and user["roleId"] == PARTICIPANT and rng.random() < 0.2:
            user["roleId"] = rng.choice(custom)
    user_ids = [u["id"] for u in doc["users"]]
    group_ids = [g["id"] for g in doc["groups"]]
    sub_id = 0
    for alert in doc["alerts"]:
        subs = []
        for ptype, pid in _principals(rng, user_ids, group_ids, rng.randint(3, 5)):
            sub_id += 1
            subs.append({"id": sub_id, "subscriberId": pid, "type": ptype, "subscribedBy": ME})
        alert["subscriptions"] = subs
    for n, sched in enumerate(doc["report_schedules"], start=1):
        picks = _principals(rng, user_ids, group_ids, rng.randint(3, 5))
        recipients = [{"type": t, "value": str(i)} for t, i in picks]
        if rng.random() < 0.5:
            recipients.append({"type": "EMAIL", "value": f"external{n:04d}@partner.example"})
        sched["schedule"]["additionalRecipients"] = recipients
    return doc


def _principals(
    rng: random.Random, user_ids: list[int], group_ids: list[int], k: int
) -> list[tuple[str, int]]:
    chosen: dict[tuple[str, int], None] = {}
    while len(chosen) < min(k, len(user_ids) + len(group_ids)):
        if group_ids and rng.random() < 0.5:
            chosen[("GROUP", rng.choice(group_ids))] = None
        else:
            chosen[("USER", rng.choice(user_ids))] = None
    return list(chosen)


# --- the desired state -------------------------------------------------------------------


class _Names:
    """Id → display reference (email or group name) for the manifests."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.email = {u["id"]: u["emailAddress"].lower() for u in doc["users"]}
        self.group = {g["id"]: g["name"] for g in doc["groups"]}

    def principal(self, ptype: str, pid: Any) -> dict[str, str]:
        if ptype == "GROUP":
            return {"group": self.group[int(pid)]}
        return {"user": self.email[int(pid)]}


def build(scale_name: str, seed: int = 0) -> Scenario:
    """The scenario for a scale: live state plus manifests differing from it by a known diff."""
    scale = SCALES[scale_name]
    doc = live_state(scale, seed)
    rng = random.Random(seed + 2)
    sc = Scenario(scale, doc, {})
    names = _Names(doc)
    # Users free to be moved into a role: Participants nobody else claims.
    free_users = [u["id"] for u in doc["users"] if u["roleId"] == PARTICIPANT and u["id"] != ME]
    rng.shuffle(free_users)
    sc.specs["groups"] = _groups(sc, rng, names)
    sc.specs["roles"] = _roles(sc, rng, names, free_users)
    sc.specs["dataset_shares"] = _shares(sc, rng, names)
    sc.specs["certifications"] = _certifications(sc, rng)
    sc.specs["alerts"] = _alerts(sc, rng, names)
    sc.specs["report_schedules"] = _schedules(sc, rng, names)
    # The newer kinds draw from a stream of their own: the six above stay as they were.
    newer = random.Random(seed + 3)
    sc.specs["users"] = _users(sc, newer, names)
    sc.specs["pdp_policies"] = _pdp(sc, newer, names)
    sc.specs["page_shares"] = _page_shares(sc, newer, names)
    sc.specs["file_permissions"] = _files(sc, newer, names)
    sc.specs["workflow_permissions"] = _workflows(sc, newer, names)
    return sc


def _pick_changed(rng: random.Random, count: int, share: float) -> set[int]:
    """Indexes (out of ``count``) of the objects to change: ``share`` of them, at least one."""
    if count == 0:
        return set()
    return set(rng.sample(range(count), max(1, round(count * share))))


def _groups(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    doc = sc.state
    user_ids = [u["id"] for u in doc["users"] if u["id"] != ME]
    specs: list[dict[str, Any]] = []
    manageable = [g for g in doc["groups"] if g["type"] in ("open", "closed")]
    changed = _pick_changed(rng, len(manageable), CHANGED_SHARE["group"])
    index = {g["id"]: i for i, g in enumerate(manageable)}
    for group in doc["groups"]:
        spec: dict[str, Any] = {"name": group["name"], "description": group["description"]}
        if group["type"] not in ("open", "closed"):
            specs.append(spec)  # dynamic: Domo manages the members; only the name is declared
            continue
        spec["type"] = group["type"]
        members = list(group["members"])
        owners = list(group["owners"])
        if index[group["id"]] in changed:
            sc.changed["group"] += 1
            have = set(members)
            adds = [u for u in rng.sample(user_ids, 6) if u not in have][: rng.randint(1, 3)]
            removable = [m for m in members if m not in owners and m != ME]
            drops = rng.sample(removable, min(len(removable), rng.randint(0, 2)))
            members = sorted(set(members) - set(drops) | set(adds))
            roll = rng.random()
            if roll < 0.03 and len(members) > len(owners):
                owners = sorted(set(owners) | {rng.choice(members)})
            elif roll < 0.04:
                spec["description"] = f"{group['description']} (reviewed)"
        spec["members"] = [names.email[m] for m in members]
        spec["owners"] = [names.email[o] for o in owners]
        specs.append(spec)
    created = []
    for n in range(1, sc.scale.creates[0] + 1):
        name = f"bench-new-group-{n:03d}"
        members = sorted(rng.sample(user_ids, min(20, len(user_ids))))
        specs.append(
            {
                "name": name,
                "description": "Created by the benchmark",
                "type": "closed",
                "members": [names.email[m] for m in members],
                "owners": [names.email[members[0]]],
            }
        )
        created.append(name)
    sc.created["group"] = created
    sc.changed["group"] += len(created)
    return specs


def _roles(
    sc: Scenario, rng: random.Random, names: _Names, free_users: list[int]
) -> list[dict[str, Any]]:
    doc = sc.state
    catalog = [a["authority"] for a in doc["authorities"]]
    holders: dict[int, list[int]] = {}
    for user in doc["users"]:
        holders.setdefault(user["roleId"], []).append(user["id"])
    custom = [r for r in doc["roles"] if r["id"] > 5]
    move_in = _pick_changed(rng, len(custom), CHANGED_SHARE["role_users"])
    new_auths = _pick_changed(rng, len(custom), CHANGED_SHARE["role_authorities"])
    move_out = _pick_changed(rng, len(custom), CHANGED_SHARE["role_authorities"] / 2)
    specs = []
    for i, role in enumerate(custom):
        users = sorted(holders.get(role["id"], []))
        auths = sorted(role["authorities"])
        if i in move_in:
            users = sorted(users + [free_users.pop() for _ in range(rng.randint(2, 5))])
        if i in move_out and users:
            users.remove(rng.choice(users))  # falls back to default_role
        if i in new_auths:
            extra = [a for a in catalog if a not in auths]
            auths = sorted([*auths, rng.choice(extra)]) if extra else auths[1:]
        if i in move_in | move_out | new_auths:
            sc.changed["role"] += 1
        specs.append(
            {
                "name": role["name"],
                "authorities": auths,
                "users": [names.email[u] for u in users],
            }
        )
    created = []
    for n in range(1, sc.scale.creates[1] + 1):
        name = f"bench-new-role-{n:02d}"
        specs.append(
            {
                "name": name,
                "description": "Created by the benchmark",
                "from_role": "Participant",
                "authorities": sorted(rng.sample(catalog, 3)),
                "users": sorted(names.email[free_users.pop()] for _ in range(3)),
            }
        )
        created.append(name)
    sc.created["role"] = created
    sc.changed["role"] += len(created)
    return specs


def _shares(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    doc = sc.state
    user_ids = [u["id"] for u in doc["users"] if u["id"] != ME]
    group_ids = [g["id"] for g in doc["groups"]]
    datasets = doc["datasets"]
    changed = _pick_changed(rng, len(datasets), CHANGED_SHARE["dataset_share"])
    specs = []
    for i, ds in enumerate(datasets):
        grants = {(p["type"], p["id"]): p["accessLevel"] for p in ds["permissions"]}
        if i in changed:
            sc.changed["dataset_share"] += 1
            roll = rng.random()
            taken = set(grants) | {("USER", ds["owner"])}
            fresh = [
                p for p in _principals(rng, user_ids, group_ids, 4) if p not in taken
            ]  # new grantees
            if roll < 0.45 or not grants:
                for p in fresh[: rng.randint(1, 2)]:
                    grants[p] = rng.choice(ACCESS)
            elif roll < 0.70:
                p = rng.choice(sorted(grants))
                grants[p] = rng.choice([a for a in ACCESS if a != grants[p]])
            elif roll < 0.90:
                grants.pop(rng.choice(sorted(grants)))
            else:
                grants.pop(rng.choice(sorted(grants)))
                for p in fresh[:1]:
                    grants[p] = rng.choice(ACCESS)
        specs.append(
            {
                "dataset": ds["id"],
                "grants": [
                    {**names.principal(t, pid), "access": level}
                    for (t, pid), level in sorted(grants.items())
                ],
            }
        )
    return specs


def _certifications(sc: Scenario, rng: random.Random) -> list[dict[str, Any]]:
    doc = sc.state
    total = min(sc.scale.certifications, len(doc["datasets"]) + len(doc["cards"]))
    n_ds = min(len(doc["datasets"]), round(total * 0.7))
    chosen = [("DATA_SOURCE", d["id"]) for d in rng.sample(doc["datasets"], n_ds)]
    chosen += [("CARD", c["id"]) for c in rng.sample(doc["cards"], total - n_ds)]
    live = {(c["entityType"], c["entityId"]): c for c in doc["certifications"]}
    # Live state of the declared objects: about 40% certified, so flips go both ways.
    for key in chosen:
        if rng.random() < 0.4:
            live.setdefault(
                key, {"entityType": key[0], "entityId": key[1], "state": "ACTIVE", "updated": 0}
            )
            live[key]["updated"] = 1_650_000_000_000
        else:
            live.pop(key, None)
    doc["certifications"] = list(live.values())
    flips = _pick_changed(rng, len(chosen), CHANGED_SHARE["certification"])
    specs = []
    for i, key in enumerate(chosen):
        certified = key in live
        if i in flips:
            certified = not certified
            sc.changed["certification"] += 1
        ident = {"dataset": key[1]} if key[0] == "DATA_SOURCE" else {"card": key[1]}
        specs.append({**ident, "certified": certified})
    return specs


def _alerts(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    doc = sc.state
    user_ids = [u["id"] for u in doc["users"] if u["id"] != ME]
    group_ids = [g["id"] for g in doc["groups"]]
    changed = _pick_changed(rng, len(doc["alerts"]), CHANGED_SHARE["alert"])
    specs = []
    for i, alert in enumerate(doc["alerts"]):
        subs = [(s["type"], s["subscriberId"]) for s in alert["subscriptions"]]
        if i in changed:
            sc.changed["alert"] += 1
            roll = rng.random()
            fresh = [p for p in _principals(rng, user_ids, group_ids, 3) if p not in subs]
            if roll < 0.60 or len(subs) < 2:
                subs.append(fresh[0])
            elif roll < 0.85:
                subs.remove(rng.choice(subs))
            else:
                subs.remove(rng.choice(subs))
                subs.append(fresh[0])
        specs.append(
            {"alert": alert["id"], "subscribers": [names.principal(t, p) for t, p in subs]}
        )
    return specs


def _schedule_spec(sched: dict[str, Any], names: _Names) -> dict[str, Any]:
    s = sched["schedule"]
    frequency = s["frequency"]
    days: list[Any] = [d for d in str(s.get("daysToRun") or "").split(",") if d]
    if frequency == "MONTHLY":
        days = [int(d) for d in days]
    when: dict[str, Any] = {"frequency": frequency}
    if days:
        when["days"] = days
    when["at"] = f"{int(s['hourOfDay']):02d}:{int(s['minOfHour']):02d}"
    when["timezone"] = s["timezone"]
    recipients = []
    for r in s["additionalRecipients"]:
        if r["type"] == "EMAIL":
            recipients.append({"email": r["value"].lower()})
        else:
            recipients.append(names.principal(r["type"], r["value"]))
    return {
        "title": sched["title"],
        "page": sched["pageId"],
        "view": sched["viewId"],
        "schedule": when,
        "enabled": bool(s["enabled"]),
        "attachment": bool(sched["attachmentInclude"]),
        "recipients": recipients,
    }


def _schedules(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    doc = sc.state
    user_ids = [u["id"] for u in doc["users"] if u["id"] != ME]
    group_ids = [g["id"] for g in doc["groups"]]
    changed = _pick_changed(rng, len(doc["report_schedules"]), CHANGED_SHARE["report_schedule"])
    specs = []
    for i, sched in enumerate(doc["report_schedules"]):
        spec = _schedule_spec(sched, names)
        if i in changed:
            sc.changed["report_schedule"] += 1
            roll = rng.random()
            rec = spec["recipients"]
            new = [names.principal(t, p) for t, p in _principals(rng, user_ids, group_ids, 2)]
            new = [r for r in new if r not in rec]
            if roll < 0.50 or len(rec) < 2:
                rec.append(new[0])
            elif roll < 0.75:
                rec.remove(rng.choice(rec))
            elif roll < 0.90:
                rec.remove(rng.choice(rec))
                rec.append(new[0])
            else:
                spec["enabled"] = not spec["enabled"]
        specs.append(spec)
    created = []
    pages = [p["id"] for p in doc["pages"]]
    for n in range(1, sc.scale.creates[2] + 1):
        title = f"bench-new-report-{n:03d}"
        specs.append(
            {
                "title": title,
                "page": rng.choice(pages),
                "schedule": {
                    "frequency": "WEEKLY",
                    "days": ["MON"],
                    "at": "07:30",
                    "timezone": "UTC",
                },
                "enabled": True,
                "attachment": False,
                "recipients": [names.principal("USER", u) for u in rng.sample(user_ids, 4)],
            }
        )
        created.append(title)
    sc.created["report_schedule"] = created
    sc.changed["report_schedule"] += len(created)
    return specs


# --- the newer kinds (issues 14 and 15) --------------------------------------------------


def _others(doc: dict[str, Any]) -> tuple[list[int], list[int]]:
    """User ids other than the token's user, and group ids."""
    return [u["id"] for u in doc["users"] if u["id"] != ME], [g["id"] for g in doc["groups"]]


def _users(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    """A sample of the users (never the token's user): display name and profile as live, a
    share of them with a new title, department or display name; a few joiners.

    ``role`` is never declared for an existing user: the roles section manages the users of
    every custom role (``roles[].users``), and a user's role is managed in one place only.
    Joiners get the built-in Participant role, which no ``roles`` entry lists."""
    doc = sc.state
    pool = [u for u in doc["users"] if u["id"] != ME]
    wanted = sc.scale.newer.users - sc.scale.newer.user_creates
    chosen = sorted(rng.sample(pool, min(wanted, len(pool))), key=lambda u: u["id"])
    changed = _pick_changed(rng, len(chosen), CHANGED_SHARE["user"])
    specs: list[dict[str, Any]] = []
    for i, user in enumerate(chosen):
        display = str(user["displayName"])
        title = str(user.get("title") or "")
        department = str(user.get("department") or "")
        if i in changed:
            sc.changed["user"] += 1
            roll = rng.random()
            if roll < 0.45:
                title = f"{rng.choice(WORDS)} Director"  # generate never makes a Director
            elif roll < 0.85:
                department = f"{rng.choice(WORDS)} Department"
            else:
                display = f"{display} Jr"
        spec: dict[str, Any] = {"email": names.email[user["id"]], "display_name": display}
        if title:  # an empty live value is left unmanaged rather than declared as ""
            spec["title"] = title
        if department:
            spec["department"] = department
        specs.append(spec)
    created = []
    for n in range(1, sc.scale.newer.user_creates + 1):
        email = f"bench-new-user-{n:03d}@example.com"
        specs.append(
            {
                "email": email,
                "display_name": f"Bench Joiner {n:03d}",
                "role": "Participant",
                "title": "Analyst",
                "department": f"{rng.choice(WORDS)} Department",
            }
        )
        created.append(email)
    sc.created["user"] = created
    sc.changed["user"] += len(created)
    return specs


def _policy_spec(policy: dict[str, Any], names: _Names) -> dict[str, Any]:
    """A generated PDP policy as a manifest entry (the state's ``parameters`` name columns)."""
    filters = []
    for p in policy.get("parameters", []):
        entry: dict[str, Any] = {
            "column": p["column"],
            "operator": p["operator"],
            "values": list(p["values"]),
        }
        if not p.get("ignoreCase", True):
            entry["ignore_case"] = False
        filters.append(entry)
    spec: dict[str, Any] = {"name": policy["name"], "filters": filters}
    if policy.get("users"):
        spec["users"] = [names.email[u] for u in policy["users"]]
    if policy.get("groups"):
        spec["groups"] = [names.group[g] for g in policy["groups"]]
    return spec


def _pdp(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    """Every dataset with PDP policies: ``enabled`` and every policy but Domo's "All Rows".
    A changed dataset has one call's worth of change: a policy's users, groups or filter
    values (one PUT), a new policy (one POST), or PDP turned on (one PUT)."""
    doc = sc.state
    user_ids, group_ids = _others(doc)
    entries = doc.get("pdp", [])
    changed = _pick_changed(rng, len(entries), CHANGED_SHARE["pdp_policy"])
    specs = []
    for i, entry in enumerate(entries):
        live = [p for p in entry["policies"] if not p.get("open") and p["name"] != "All Rows"]
        policies = [_policy_spec(p, names) for p in live]
        enabled = bool(entry["enabled"])
        if i in changed:
            sc.changed["pdp_policy"] += 1
            roll = rng.random()
            target = policies[0] if policies else None
            if target is None or roll < 0.10:
                policies.append(
                    {
                        "name": f"bench-policy-{i + 1:04d}",
                        "filters": [{"column": "region", "operator": "EQUALS", "values": ["EMEA"]}],
                        "users": [names.email[u] for u in rng.sample(user_ids, 2)],
                    }
                )
            elif roll < 0.20 and not enabled:
                enabled = True
            elif roll < 0.50:
                have = target.get("users", [])
                removable = [u for u in have if u != names.email[ME]]
                if removable and rng.random() < 0.4:
                    gone = rng.choice(removable)
                    target["users"] = [u for u in have if u != gone]
                else:
                    fresh = [names.email[u] for u in rng.sample(user_ids, 3)]
                    target["users"] = [*have, next(u for u in fresh if u not in have)]
                if not target["users"]:
                    del target["users"]
            elif roll < 0.75:
                have = target.get("groups", [])
                fresh = [names.group[g] for g in rng.sample(group_ids, 3)]
                target["groups"] = [*have, next(g for g in fresh if g not in have)]
            else:
                flt = target["filters"][0]
                flt["values"] = [*flt["values"], next(w for w in WORDS if w not in flt["values"])]
        specs.append({"dataset": entry["dataset"], "enabled": enabled, "policies": policies})
    return specs


def _fresh(
    rng: random.Random, user_ids: list[int], group_ids: list[int], taken: set[tuple[str, int]]
) -> list[tuple[str, int]]:
    """A few principals not in ``taken`` (never the token's user: ``user_ids`` lacks it)."""
    return [p for p in _principals(rng, user_ids, group_ids, 4) if p not in taken]


def _page_shares(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    """Every page and a sample of the cards: their users and groups (the owner is no grant).

    Domo has no call that removes a group from a page or anyone from a card, so a changed
    card gains principals (one POST); a changed page gains some, or loses one directly
    shared user (one DELETE)."""
    doc = sc.state
    user_ids, group_ids = _others(doc)
    cards = rng.sample(doc["cards"], min(sc.scale.newer.cards, len(doc["cards"])))
    objects = [("page", p) for p in doc["pages"]]
    objects += [("card", c) for c in sorted(cards, key=lambda c: c["id"])]
    changed = _pick_changed(rng, len(objects), CHANGED_SHARE["page_share"])
    specs = []
    for i, (target, obj) in enumerate(objects):
        grants = [("USER", u) for u in obj.get("sharedUsers", [])]
        grants += [("GROUP", g) for g in obj.get("sharedGroups", [])]
        if i in changed:
            sc.changed["page_share"] += 1
            removable = [p for p in grants if p[0] == "USER" and p[1] != ME]
            if target == "page" and removable and rng.random() < 0.35:
                grants.remove(rng.choice(removable))
            else:
                taken = set(grants) | {("USER", obj.get("owner"))}
                grants += _fresh(rng, user_ids, group_ids, taken)[: rng.randint(1, 2)]
        specs.append({target: obj["id"], "grants": [names.principal(t, pid) for t, pid in grants]})
    return specs


FILE_GRANTS = ("READ", "READ_WRITE", "READ_WRITE_DELETE_SHARE_ADMIN")
FLOW_PERMISSIONS = ("READ", "EXECUTE", "WRITE", "SHARE", "EXPORT")


def _files(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    """Every file: ``public`` and its grants (the owner's admin entry included: Domo lists
    it). The only write replaces the whole document, so any change is one PUT."""
    doc = sc.state
    user_ids, group_ids = _others(doc)
    files = doc.get("files", [])
    changed = _pick_changed(rng, len(files), CHANGED_SHARE["file_permission"])
    specs = []
    for i, f in enumerate(files):
        public = bool(f["public"])
        grants = {(e["entityType"], e["entityId"]): e["grant"] for e in f["entries"]}
        owner = ("USER", f["owner"])
        if i in changed:
            sc.changed["file_permission"] += 1
            roll = rng.random()
            others = sorted(p for p in grants if p != owner)
            if roll < 0.15:
                public = not public
            elif roll < 0.45 and others:
                p = rng.choice(others)
                grants[p] = rng.choice([g for g in FILE_GRANTS if g != grants[p]])
            elif roll < 0.65 and others:
                grants.pop(rng.choice(others))
            else:
                for p in _fresh(rng, user_ids, group_ids, set(grants))[:1]:
                    grants[p] = rng.choice(FILE_GRANTS)
        specs.append(
            {
                "file": f["id"],
                "public": public,
                "grants": [
                    {**names.principal(t, pid), "access": grant}
                    for (t, pid), grant in grants.items()
                ],
            }
        )
    return specs


def _workflows(sc: Scenario, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    """Every workflow: its entries (the owner's included). Any change is one POST of the
    whole list."""
    doc = sc.state
    user_ids, group_ids = _others(doc)
    flows = doc.get("workflows", [])
    changed = _pick_changed(rng, len(flows), CHANGED_SHARE["workflow_permission"])
    specs = []
    for i, flow in enumerate(flows):
        perms = {(p["type"], p["id"]): list(p["permissions"]) for p in flow["permissions"]}
        owner = ("USER", flow["owner"])
        if i in changed:
            sc.changed["workflow_permission"] += 1
            roll = rng.random()
            others = sorted(p for p in perms if p != owner)
            if roll < 0.35 and others:
                p = rng.choice(others)
                extra = [x for x in FLOW_PERMISSIONS if x not in perms[p]]
                perms[p] = sorted([*perms[p], extra[0]]) if extra else perms[p][:1]
            elif roll < 0.55 and others:
                perms.pop(rng.choice(others))
            else:
                for p in _fresh(rng, user_ids, group_ids, set(perms))[:1]:
                    perms[p] = sorted(rng.sample(FLOW_PERMISSIONS, rng.randint(1, 3)))
        specs.append(
            {
                "workflow": flow["id"],
                "grants": [
                    {**names.principal(t, pid), "permissions": p} for (t, pid), p in perms.items()
                ],
            }
        )
    return specs


# --- writing manifests -------------------------------------------------------------------

PROJECT_FILE = """\
# Benchmark project: built-in roles are protected; users dropped from a role go to Participant.
protect:
  roles: [Admin, Privileged, Editor, Participant, Social]
default_role: Participant
"""
# Objects per file: a large project is split over many files, as people keep them.
CHUNK = {"groups": 200, "dataset_shares": 500, "users": 500}
FILES = {
    "groups": "groups/groups-{:03d}.yaml",
    "roles": "roles.yaml",
    "dataset_shares": "datasets/shares-{:03d}.yaml",
    "certifications": "certifications.yaml",
    "alerts": "alerts.yaml",
    "report_schedules": "reports/schedules.yaml",
    "users": "people/users-{:03d}.yaml",
    "pdp_policies": "datasets/pdp.yaml",
    "page_shares": "content/page-shares.yaml",
    "file_permissions": "content/files.yaml",
    "workflow_permissions": "content/workflows.yaml",
}
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._@/()+-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    return json.dumps(text)


def _flow(mapping: dict[str, Any]) -> str:
    """A mapping in flow style; nested mappings and lists (PDP policies' filters) too."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return _flow(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return _scalar(v)

    return "{ " + ", ".join(f"{k}: {value(v)}" for k, v in mapping.items()) + " }"


def _emit(spec: dict[str, Any], out: list[str]) -> None:
    """One list item in block style; lists of mappings become lists of flow mappings."""
    first = True
    for key, value in spec.items():
        lead = "  - " if first else "    "
        first = False
        if isinstance(value, dict):
            out.append(f"{lead}{key}: {_flow(value)}")
        elif isinstance(value, list):
            if not value:
                out.append(f"{lead}{key}: []")
                continue
            out.append(f"{lead}{key}:")
            for item in value:
                shown = _flow(item) if isinstance(item, dict) else _scalar(item)
                out.append(f"      - {shown}")
        else:
            out.append(f"{lead}{key}: {_scalar(value)}")


def write_manifests(specs: dict[str, list[dict[str, Any]]], root: Path, limit: int | None) -> int:
    """Write the project file and every section (the first ``limit`` objects of each when
    given); returns the number of lines written."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "domogov.yaml").write_text(PROJECT_FILE, encoding="utf-8")
    lines_written = 0
    for section, pattern in FILES.items():
        items = specs.get(section, [])[:limit] if limit else specs.get(section, [])
        if not items:
            continue
        size = CHUNK.get(section, len(items))
        for part, start in enumerate(range(0, len(items), size), start=1):
            out = [f"{section}:"]
            for spec in items[start : start + size]:
                _emit(spec, out)
            path = root / pattern.format(part)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(out) + "\n", encoding="utf-8")
            lines_written += len(out)
    return lines_written


# --- the minimum number of requests ------------------------------------------------------


@dataclass
class LiveCounts:
    """What the minimum depends on in live state: list lengths and which declared objects
    exist (a declared object that does not exist yet needs no read)."""

    active_groups: int
    alerts: int
    schedules: int
    existing_roles: int
    existing_schedules: int
    role_templates: int  # distinct from_role templates of roles still to be created
    existing_users: int = 0  # declared in `users` and live (joiners exist only after apply)


def counts(sc: Scenario, applied: bool) -> LiveCounts:
    """Live counts before the apply, or after it (the scenario's creates then exist)."""
    doc, specs = sc.state, sc.specs
    new_groups = len(sc.created["group"]) if applied else 0
    new_roles = len(sc.created["role"]) if applied else 0
    new_scheds = len(sc.created["report_schedule"]) if applied else 0
    new_users = len(sc.created.get("user", [])) if applied else 0
    templates = set() if applied else {s.get("from_role") for s in specs["roles"]} - {None}
    return LiveCounts(
        active_groups=sum(1 for g in doc["groups"] if g.get("active", True)) + new_groups,
        alerts=len(doc["alerts"]),
        schedules=len(doc["report_schedules"]) + new_scheds,
        existing_roles=len(specs["roles"]) - len(sc.created["role"]) + new_roles,
        existing_schedules=len(specs["report_schedules"])
        - len(sc.created["report_schedule"])
        + new_scheds,
        role_templates=len(templates),
        existing_users=len(specs.get("users", [])) - len(sc.created.get("user", [])) + new_users,
    )


def subset_counts(full: LiveCounts, specs: dict[str, list[dict[str, Any]]], k: int) -> LiveCounts:
    """Counts for the first ``k`` objects of each kind (after the apply: all exist)."""
    return LiveCounts(
        active_groups=full.active_groups,
        alerts=full.alerts,
        schedules=full.schedules,
        existing_roles=len(specs["roles"][:k]),
        existing_schedules=len(specs["report_schedules"][:k]),
        role_templates=0,
        existing_users=len(specs.get("users", [])[:k]),
    )


def minimum_requests(
    specs: dict[str, list[dict[str, Any]]],
    live: LiveCounts,
    *,
    grouplist_page: int,
    schedule_page: int,
    alert_page: int = 100,
    limit: int | None = None,
) -> dict[str, dict[str, Any]]:
    """The fewest requests a plan of these manifests needs, per kind (see bench/README.md).

    A paged list ending at a short page costs ``n // page + 1`` requests. ``client`` is what
    a one-read-per-declared-object design costs where Domo also has a bulk read."""

    def n(section: str) -> int:
        items = specs.get(section, [])
        return len(items[:limit] if limit else items)

    def pages(total: int, size: int) -> int:
        return total // size + 1

    def declared(section: str) -> list[dict[str, Any]]:
        items = specs.get(section, [])
        return items[:limit] if limit else items

    named = sum(1 for s in declared("dataset_shares") if s.get("name"))
    pdp = declared("pdp_policies")
    pdp_reads = sum(
        (s.get("enabled") is not None) + (s.get("policies") is not None) + bool(s.get("name"))
        for s in pdp
    )
    out: dict[str, dict[str, Any]] = {
        "directory": {
            "minimum": 3 + pages(live.active_groups, grouplist_page),
            "how": "users/me + users list + roles list + grouplist pages "
            f"({live.active_groups} groups // {grouplist_page} + 1)",
        },
        "role": {
            "minimum": 1 if n("roles") else 0,
            "per_object": 2 * live.existing_roles + live.role_templates,
            "how": "one authorities list (roleIds per authority); holders come from the users "
            "list's roleId",
        },
        "dataset_share": {
            "minimum": n("dataset_shares") + named,
            "how": "one permissions read per declared dataset (+1 metadata read if `name`)",
        },
        "certification": {
            "minimum": n("certifications"),
            "how": "one state read per declared object (no bulk read)",
        },
        "alert": {
            "minimum": min(n("alerts"), pages(live.alerts, alert_page)) if n("alerts") else 0,
            "per_object": n("alerts"),
            "how": f"alerts list with fields=all ({live.alerts} alerts // {alert_page} + 1 pages),"
            " or one read per declared alert when fewer",
        },
        "report_schedule": {
            "minimum": (pages(live.schedules, schedule_page) + live.existing_schedules)
            if n("report_schedules")
            else 0,
            "how": f"list pages ({live.schedules} // {schedule_page} + 1) + one read per "
            "declared existing schedule (list rows carry only a recipient count)",
        },
        # The newer kinds (issues 14 and 15).
        "user": {
            "minimum": 0,
            "per_object": -(-live.existing_users // EMAILS_PER_SEARCH) if n("users") else 0,
            "how": "0: the directory's users list (parts=DETAILED) already carries every "
            "user's display name, role and profile keys; a joiner is absent from it. "
            f"per_object: one users search per {EMAILS_PER_SEARCH} declared existing users",
        },
        "pdp_policy": {
            "minimum": pdp_reads,
            "how": "per declared dataset, no bulk read: the data-control read if `enabled` is "
            "declared + the filter-groups read if `policies` is (+1 metadata read if `name`)",
        },
        "page_share": {
            "minimum": n("page_shares"),
            "how": "one access-list read per declared page or card (no bulk read)",
        },
        "file_permission": {
            "minimum": n("file_permissions"),
            "how": "one permissions read per declared file (no bulk read)",
        },
        "workflow_permission": {
            "minimum": n("workflow_permissions"),
            "how": "one permissions read per declared workflow (no bulk read)",
        },
    }
    return out


# (path prefix, kind, exact): the first match wins; exact entries are GETs of a list.
KIND_OF_PATH = (
    ("/api/content/v2/users/me", "directory", True),
    ("/api/identity/v1/users", "directory", True),
    ("/api/identity/v1/users", "user", False),  # search, create, update, delete
    ("/api/content/v2/groups/grouplist", "directory", True),
    ("/api/authorization/v1/roles", "directory", True),
    ("/api/authorization/v1/roles", "role", False),
    ("/api/authorization/v1/authorities", "role", False),
    ("/api/data/v3/datasources", "dataset_share", False),
    ("/api/tags/v3", "certification", False),
    ("/api/social/v4/alerts", "alert", False),
    ("/api/content/v1/reportschedules", "report_schedule", False),
    ("/api/content/v2/groups", "group", False),
    ("/api/query/v1/data-control", "pdp_policy", False),
    ("/api/content/v1/share", "page_share", False),  # access lists, share, page revoke
    ("/api/data/v1/data-files", "file_permission", False),
    ("/api/workflow/v1/models", "workflow_permission", False),
)
USERS_LIST = "GET /api/identity/v1/users"


def kind_of(endpoint: str) -> str:
    """``"GET /api/..."`` (a simulator stats key) → the kind it serves; the directory lists
    are reads only (a POST to the roles list creates a role)."""
    method, _, path = endpoint.partition(" ")
    for prefix, kind, exact in KIND_OF_PATH:
        if exact and path == prefix and method == "GET":
            return kind
        if not exact and (path == prefix or path.startswith(prefix + "/")):
            return kind
    return "other"


def _write_endpoints() -> dict[str, bool]:
    """``"METHOD /path/template"`` → whether the simulator's endpoint table calls it a write.
    Empty when this domogov has no such table (an older checkout under bench/compare.py)."""
    try:
        from domogov.sim.app import ENDPOINTS
    except ImportError:
        return {}
    return {f"{e.method} {e.path}": bool(e.write) for e in ENDPOINTS}


_WRITES = _write_endpoints()


def is_write(endpoint: str) -> bool:
    """Whether a simulator stats key is a write: as the simulator's endpoint table says, so
    POSTs that only read (the users search) are reads; a key it lacks: anything but GET."""
    found = _WRITES.get(endpoint)
    return not endpoint.startswith("GET ") if found is None else found


def by_kind(by_endpoint: dict[str, int]) -> tuple[Counter[str], Counter[str]]:
    """A phase's requests and writes by kind (``kind_of`` each simulator stats key).

    The users list could answer reads of two kinds at one path: a plan's directory reads it
    once, and the users kind used to read it again (it now plans from the directory's rows).
    So the first read of it in a phase is the directory's and any further one the users
    kind's. (An apply reads the directory twice, for the stale
    check and for verify: there the rule is only approximate, and only plans are judged.)"""
    requests: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    for endpoint, count in by_endpoint.items():
        kind = kind_of(endpoint)
        if endpoint == USERS_LIST and count > 1:
            requests["directory"] += 1
            requests["user"] += count - 1
            continue
        requests[kind] += count
        if is_write(endpoint):
            writes[kind] += count
    return requests, writes
