"""Large, consistent, seeded simulator states for benchmarks and scale tests."""

from __future__ import annotations

import random
import uuid
from typing import Any

from domogov.sim.state import demo_document, format_created

WORDS = (
    "Finance", "Sales", "Marketing", "Ops", "Support", "Engineering", "HR", "Legal", "Data",
    "Analytics", "Product", "Design", "Security", "Partners", "Field", "Exec", "Retail",
)  # fmt: skip
ACCESS = ("CO_OWNER", "CAN_EDIT", "CAN_SHARE", "CAN_VIEW")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
TIMEZONES = ("America/New_York", "America/Denver", "Europe/London", "UTC", "Asia/Tokyo")
BASE_MS = 1_650_000_000_000
FILE_GRANTS = ("READ", "READ_WRITE", "READ_WRITE_DELETE_SHARE_ADMIN")
FLOW_PERMISSIONS = ("READ", "EXECUTE", "WRITE", "SHARE", "EXPORT")


def _roles(rng: random.Random, count: int, catalog: list[str]) -> list[dict[str, Any]]:
    builtin = [r for r in demo_document()["roles"] if r["id"] <= 5]
    roles = [dict(r, authorities=list(r["authorities"])) for r in builtin]
    for i in range(max(0, count - len(roles))):
        auths = sorted(rng.sample(catalog, rng.randint(1, len(catalog) // 2)))
        roles.append(
            {
                "id": 6 + i,
                "name": f"role-{i + 1:04d} {rng.choice(WORDS)}",
                "description": "Generated role",
                "authorities": auths,
                "created": BASE_MS,
                "modified": BASE_MS,
            }
        )
    return roles


def _principals(
    rng: random.Random, user_ids: list[int], group_ids: list[int], k: int, exclude: int | None
) -> list[tuple[str, int]]:
    """``k`` distinct users or groups (half and half on average), never ``exclude`` (a user)."""
    chosen: dict[tuple[str, int], None] = {}
    for _ in range(k * 3):
        if len(chosen) >= k:
            break
        if group_ids and rng.random() < 0.5:
            chosen[("GROUP", rng.choice(group_ids))] = None
        else:
            uid = rng.choice(user_ids)
            if uid != exclude:
                chosen[("USER", uid)] = None
    return list(chosen)


def generate_state(
    *,
    users: int = 100,
    groups: int = 20,
    datasets: int = 50,
    roles: int = 8,
    alerts: int = 20,
    schedules: int = 10,
    cards: int | None = None,
    members_per_group: int = 40,
    grants_per_dataset: int = 5,
    pages: int | None = None,
    files: int = 0,
    workflows: int = 0,
    shares_per_object: int = 3,
    pdp_policies: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """A state document (the state-file format) whose every reference exists; same seed, same
    document. Users are ``user00042@example.com``, groups ``grp-0042 <word>``; the first user
    is an Admin and the token's user.

    Pages (``schedules // 2`` unless given) and cards have an owner and up to
    ``shares_per_object`` users and groups they are shared with; files and workflows hold
    about as many grants. Content permissions draw from their own random stream, so adding
    them left every other object of a seed as it was."""
    rng = random.Random(seed)
    demo = demo_document()
    catalog = [a["authority"] for a in demo["authorities"]]
    role_docs = _roles(rng, roles, catalog)
    custom_role_ids = [r["id"] for r in role_docs if r["id"] > 5]
    role_pool = [4] * 70 + [3] * 15 + [2] * 5 + [1] * 2 + [5] * 3 + (custom_role_ids * 5)[:5]
    user_ids = [1001 + i for i in range(max(1, users))]
    user_docs = [
        {
            "id": uid,
            "displayName": f"User {uid - 1000:05d}",
            "emailAddress": f"user{uid - 1000:05d}@example.com",
            "roleId": 1 if uid == 1001 else rng.choice(role_pool),
            "title": rng.choice(WORDS) + " " + rng.choice(("Analyst", "Manager", "Lead", "")),
        }
        for uid in user_ids
    ]
    group_ids = [100_001 + i for i in range(groups)]
    group_docs = []
    for n, gid in enumerate(group_ids, start=1):
        size = min(len(user_ids), max(1, int(members_per_group * rng.uniform(0.5, 1.5))))
        members = sorted(rng.sample(user_ids, size))
        gtype = rng.choices(("closed", "open", "dynamic"), (85, 10, 5))[0]
        group_docs.append(
            {
                "id": gid,
                "name": f"grp-{n:04d} {rng.choice(WORDS)}",
                "type": gtype,
                "description": f"Generated {gtype} group",
                "members": members,
                "owners": sorted(rng.sample(members, min(len(members), rng.randint(1, 2)))),
                "active": True,
                "creatorId": 1001,
                "created": format_created(BASE_MS + n * 60_000),
            }
        )
    dataset_docs = []
    for n in range(1, datasets + 1):
        owner = rng.choice(user_ids)
        grants = _principals(rng, user_ids, group_ids, grants_per_dataset, exclude=owner)
        dataset_docs.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"ds-{n:05d} {rng.choice(WORDS)}",
                "owner": owner,
                "permissions": [
                    {"type": t, "id": i, "accessLevel": rng.choice(ACCESS)} for t, i in grants
                ],
                "rowCount": rng.randint(0, 5_000_000),
                "columnCount": rng.randint(1, 80),
                "created": BASE_MS + n * 1000,
            }
        )
    dataset_ids = [d["id"] for d in dataset_docs]
    card_count = datasets if cards is None else cards
    card_docs = []
    for n in range(1, card_count + 1):
        card: dict[str, Any] = {"id": 2_000_000 + n, "title": f"card-{n:05d} {rng.choice(WORDS)}"}
        if dataset_ids:
            card["datasetId"] = rng.choice(dataset_ids)
        card_docs.append(card)
    certs = [
        {"entityType": "DATA_SOURCE", "entityId": d, "state": "ACTIVE", "updated": BASE_MS}
        for d in dataset_ids
        if rng.random() < 0.1
    ] + [
        {"entityType": "CARD", "entityId": c["id"], "state": "ACTIVE", "updated": BASE_MS}
        for c in card_docs
        if rng.random() < 0.05
    ]
    alert_docs = []
    sub_id = 0
    for n in range(1, alerts + 1 if (dataset_ids or card_docs) else 1):
        on_card = bool(card_docs) and (not dataset_ids or rng.random() < 0.3)
        resource = str(rng.choice(card_docs)["id"]) if on_card else rng.choice(dataset_ids)
        owner = rng.choice(user_ids)
        subs = []
        for t, i in _principals(rng, user_ids, group_ids, rng.randint(1, 5), exclude=None):
            sub_id += 1
            subs.append({"id": sub_id, "subscriberId": i, "type": t, "subscribedBy": owner})
        alert_docs.append(
            {
                "id": 10_000 + n,
                "name": f"alert-{n:05d} any row changes",
                "type": "ANY_ROW",
                "resourceType": "CARD" if on_card else "DATASET",
                "resourceId": resource,
                "owner": owner,
                "createdAt": format_created(BASE_MS + n * 1000)[:19],
                "subscriptions": subs,
            }
        )
    page_count = max(1, schedules // 2) if pages is None else max(1, pages)
    page_docs = [
        {"id": 300_001 + i, "title": f"page-{i + 1:04d} {rng.choice(WORDS)}"}
        for i in range(page_count)
    ]
    schedule_docs = []
    for n in range(1, schedules + 1):
        frequency = rng.choice(("DAILY", "WEEKLY", "MONTHLY"))
        days = {
            "DAILY": "",
            "WEEKLY": ",".join(sorted(rng.sample(WEEKDAYS, rng.randint(1, 3)), key=WEEKDAYS.index)),
            "MONTHLY": str(rng.randint(1, 28)),
        }[frequency]
        recipients = [
            {"type": t, "value": str(i)}
            for t, i in _principals(rng, user_ids, group_ids, rng.randint(0, 4), exclude=None)
        ]
        if rng.random() < 0.5:
            recipients.append({"type": "EMAIL", "value": f"external{n:04d}@partner.example"})
        schedule_docs.append(
            {
                "id": 500_000 + n,
                "title": f"rpt-{n:04d} {frequency.title()} {rng.choice(WORDS)} Report",
                "pageId": rng.choice(page_docs)["id"],
                "viewId": 700_000 + n,
                "ownerId": rng.choice(user_ids),
                "attachmentInclude": rng.random() < 0.5,
                "startDate": BASE_MS + n * 1000,
                "schedule": {
                    "frequency": frequency,
                    "daysToRun": days,
                    "hourOfDay": rng.randint(0, 23),
                    "minOfHour": rng.choice((0, 15, 30, 45)),
                    "timezone": rng.choice(TIMEZONES),
                    "enabled": rng.random() < 0.9,
                    "additionalRecipients": recipients,
                },
            }
        )
    content = _content(
        random.Random(f"content-{seed}"),
        user_ids,
        group_ids,
        page_docs + card_docs,
        files,
        workflows,
        shares_per_object,
    )
    return {
        "token": demo["token"],
        "me": 1001,
        "users": user_docs,
        "roles": role_docs,
        "authorities": demo["authorities"],
        "groups": group_docs,
        "datasets": dataset_docs,
        "cards": card_docs,
        "certifications": certs,
        "alerts": alert_docs,
        "pages": page_docs,
        "report_schedules": schedule_docs,
        # PDP (issue 14): its own random stream, so every other object of a seed is unchanged
        "pdp": _pdp(random.Random(f"pdp-{seed}"), dataset_docs, user_ids, group_ids, pdp_policies),
        **content,
        "audit": [],
    }


def _content(
    rng: random.Random,
    user_ids: list[int],
    group_ids: list[int],
    shared: list[dict[str, Any]],
    files: int,
    workflows: int,
    k: int,
) -> dict[str, Any]:
    """Owners and shares of ``shared`` (pages and cards, in place); files and workflows."""
    for obj in shared:
        owner = rng.choice(user_ids)
        grants = _principals(rng, user_ids, group_ids, rng.randint(0, k), exclude=owner)
        obj["owner"] = owner
        obj["sharedUsers"] = [i for t, i in grants if t == "USER"]
        obj["sharedGroups"] = [i for t, i in grants if t == "GROUP"]
    file_docs = []
    for n in range(1, files + 1):
        owner = rng.choice(user_ids)
        # The owner holds the admin grant, as Domo shows for an uploaded file.
        entries = [{"entityType": "USER", "entityId": owner, "grant": FILE_GRANTS[-1]}]
        for t, i in _principals(rng, user_ids, group_ids, rng.randint(0, k), exclude=owner):
            entries.append({"entityType": t, "entityId": i, "grant": rng.choice(FILE_GRANTS)})
        file_docs.append(
            {
                "id": 40_000 + n,
                "name": f"file-{n:05d} {rng.choice(WORDS)}.pdf",
                "owner": owner,
                "public": rng.random() < 0.1,
                "created": BASE_MS + n * 1000,
                "entries": [{**e, "pass": "NONE"} for e in entries],
            }
        )
    flow_docs = []
    for n in range(1, workflows + 1):
        owner = rng.choice(user_ids)
        perms = [{"type": "USER", "id": owner, "permissions": ["ADMIN", "EXECUTE", "READ"]}]
        for t, i in _principals(rng, user_ids, group_ids, rng.randint(0, k), exclude=owner):
            chosen = rng.sample(FLOW_PERMISSIONS, rng.randint(1, 3))
            perms.append({"type": t, "id": i, "permissions": sorted(chosen)})
        flow_docs.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"flow-{n:04d} {rng.choice(WORDS)}",
                "owner": owner,
                "permissions": perms,
            }
        )
    return {"files": file_docs, "workflows": flow_docs}


# --- personalized data permissions (issue 14) ------------------------------------------------

PDP_COLUMNS = ("region", "country", "segment", "team", "channel")
PDP_OPERATORS = ("EQUALS",) * 6 + ("NOT_EQUALS", "CONTAINS")


def _pdp(
    rng: random.Random,
    datasets: list[dict[str, Any]],
    user_ids: list[int],
    group_ids: list[int],
    count: int,
) -> list[dict[str, Any]]:
    """``count`` PDP policies spread over the first datasets (as few per dataset as fit, at
    most three), each naming a few users and groups and one or two column filters; PDP on for
    most of those datasets. Every dataset with policies also has Domo's own "All Rows" policy
    (the token's user in it)."""
    if count <= 0 or not datasets:
        return []
    per = max(1, min(3, -(-count // len(datasets))))
    out: list[dict[str, Any]] = []
    next_id = 900_001
    made = 0
    for dataset in datasets:
        if made >= count:
            break
        policies: list[dict[str, Any]] = [
            {"id": next_id, "name": "All Rows", "open": True, "users": [1001]}
        ]
        next_id += 1
        for _ in range(min(per, count - made)):
            made += 1
            users = rng.sample(user_ids, min(len(user_ids), rng.randint(0, 4)))
            groups = rng.sample(group_ids, min(len(group_ids), rng.randint(0, 2)))
            columns = rng.sample(PDP_COLUMNS, rng.randint(1, 2))
            policies.append(
                {
                    "id": next_id,
                    "name": f"pdp-{made:04d} {rng.choice(WORDS)}",
                    "users": sorted(users),
                    "groups": sorted(groups),
                    "parameters": [
                        {
                            "column": column,
                            "operator": rng.choice(PDP_OPERATORS),
                            "values": sorted(set(rng.sample(WORDS, rng.randint(1, 3)))),
                            "ignoreCase": rng.random() < 0.8,
                        }
                        for column in columns
                    ],
                }
            )
            next_id += 1
        out.append({"dataset": dataset["id"], "enabled": rng.random() < 0.9, "policies": policies})
    return out
