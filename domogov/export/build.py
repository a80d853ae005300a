"""Manifest objects built from the normalised live objects the planner compares against.

Each builder takes one kind's normalised dict (exactly what ``fetch`` returns, so a later plan
compares the manifest with the very same values) and returns a CommentedMap with its keys in
the model's field order, or None when the object cannot be written in the manifest language
(the reason goes to ``warnings``). Every built object is validated with its model, so the
export always loads.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from domogov.resources.alert import AlertSpec
from domogov.resources.certification import CertificationSpec
from domogov.resources.context import UNMANAGEABLE_GROUP_TYPES
from domogov.resources.dataset_share import DatasetShareSpec
from domogov.resources.group import GroupSpec
from domogov.resources.report_schedule import ReportScheduleSpec
from domogov.resources.role import RoleSpec
from domogov.spec.types import AccessLevel, Frequency, GroupType, check_name, normalise_email

#: Domo's built-in roles; they cannot be deleted and are protected in the exported project.
BUILTIN_ROLES: dict[int, str] = {
    1: "Admin",
    2: "Privileged",
    3: "Editor",
    4: "Participant",
    5: "Social",
}
#: Where the first key of a list entry starts: `  - key:` (section, dash, space).
ITEM_INDENT = 4
COMMENT_MAX = 120


def comment_text(text: Any) -> str:
    """One line of comment: newlines folded, long names cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= COMMENT_MAX else line[: COMMENT_MAX - 3] + "..."


def add_comment(node: CommentedMap, key: str, text: Any) -> None:
    """``key: value  # text`` on the first key of a list entry (two spaces before the #)."""
    line = comment_text(text)
    if not line:
        return
    column = ITEM_INDENT + len(key) + 2 + len(str(node[key])) + 2
    node.yaml_add_eol_comment(line, key, column=column)


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or value.startswith("user-id:"):
        return None
    try:
        email = normalise_email(value)
    except ValueError:  # pydantic's custom errors are ValueErrors
        return None
    return email


def _name(value: Any) -> str | None:
    try:
        return check_name(value)
    except ValueError:  # pydantic's custom errors are ValueErrors
        return None


def emails(values: list[Any]) -> CommentedSeq | None:
    """The emails as a list, or None when one of them cannot be written (an id without email)."""
    out = [_email(v) for v in values]
    return None if any(e is None for e in out) else CommentedSeq(out)


def principal(label: str, *, outside_email: bool = False) -> CommentedMap | None:
    """``group:Finance`` -> ``{group: Finance}``; None for a principal known only by id."""
    kind, _, name = label.partition(":")
    if kind == "group" and _name(name) is not None:
        return CommentedMap(group=name)
    if kind == "user" and (email := _email(name)) is not None:
        return CommentedMap(user=email)
    if kind == "email" and outside_email and (email := _email(name)) is not None:
        return CommentedMap(email=email)
    return None


def principals(labels: list[str], *, outside_email: bool = False) -> CommentedSeq | None:
    out = [principal(label, outside_email=outside_email) for label in labels]
    return None if any(p is None for p in out) else CommentedSeq(out)


def _valid(model: type[BaseModel], node: CommentedMap, what: str, warnings: list[str]) -> bool:
    try:
        model.model_validate(node)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        warnings.append(f"{what}: not exported: {where}: {first['msg']}")
        return False
    return True


def _unwritable(key: str, what: str, warnings: list[str]) -> None:
    """A collection left out (so unmanaged) because an entry has no email or name."""
    warnings.append(
        f"{what}: '{key}' not exported (an entry is known to Domo only by id, or has an "
        "address the manifests cannot hold); it stays unmanaged"
    )


def group_node(
    group: dict[str, Any], include_builtin: bool, warnings: list[str]
) -> CommentedMap | None:
    """A ``groups`` entry from GroupKind.normalise; None for dynamic/system groups by default."""
    what = f"group {group['name']!r}"
    unmanageable = group.get("type") in UNMANAGEABLE_GROUP_TYPES
    if unmanageable and not include_builtin:
        return None
    node = CommentedMap(name=group["name"])
    if group.get("description"):
        node["description"] = group["description"]
    if group.get("type") in list(GroupType):
        node["type"] = group["type"]
    if unmanageable:
        # Domo manages the members of these groups: listing them would fail the plan.
        add_comment(node, "name", f"{group['type']} group: Domo manages its members")
    else:
        for key in ("members", "owners"):
            values = emails(group[key])
            if values is None:
                _unwritable(key, what, warnings)
            elif values or key == "members":
                node[key] = values  # owners: [] is refused offline: a group keeps an owner
    return node if _valid(GroupSpec, node, what, warnings) else None


def role_node(role: dict[str, Any], warnings: list[str]) -> CommentedMap | None:
    """A ``roles`` entry from RoleKind's read (authorities and users, sorted)."""
    what = f"role {role['name']!r}"
    node = CommentedMap(name=role["name"])
    if role.get("description"):
        node["description"] = role["description"]
    node["authorities"] = CommentedSeq(role["authorities"])
    users = emails(role["users"])
    if users is None:
        _unwritable("users", what, warnings)
    else:
        node["users"] = users
    return node if _valid(RoleSpec, node, what, warnings) else None


def share_node(share: dict[str, Any], warnings: list[str]) -> CommentedMap | None:
    """A ``dataset_shares`` entry from DatasetShareKind's read; the owner is not a grant."""
    what = f"dataset {share['dataset']}"
    node = CommentedMap(dataset=share["dataset"])
    add_comment(node, "dataset", share.get("name") or "")
    levels = {a.value for a in AccessLevel}
    grants = CommentedSeq()
    for entry in share["grants"]:
        who, _, level = entry.rpartition(" ")
        grant = principal(who)
        if grant is None or level not in levels:
            _unwritable("grants", what, warnings)
            break
        grant["access"] = level
        grants.append(grant)
    else:
        node["grants"] = grants
    return node if _valid(DatasetShareSpec, node, what, warnings) else None


def certification_node(
    target: str, ident: str | int, label: str, warnings: list[str]
) -> CommentedMap | None:
    """A ``certifications`` entry (``target`` is dataset or card) of a certified object."""
    node = CommentedMap({target: ident})
    add_comment(node, target, label)
    node["certified"] = True
    what = f"certification of {target} {ident}"
    return node if _valid(CertificationSpec, node, what, warnings) else None


def alert_node(alert: dict[str, Any], about: str, warnings: list[str]) -> CommentedMap | None:
    """An ``alerts`` entry from AlertKind's read: the subscribers, authoritative."""
    what = f"alert {alert['id']}"
    node = CommentedMap(alert=int(alert["id"]))
    add_comment(node, "alert", about)
    subscribers = principals(alert["subscribers"])
    if subscribers is None:
        _unwritable("subscribers", what, warnings)
    else:
        node["subscribers"] = subscribers
    return node if _valid(AlertSpec, node, what, warnings) else None


def schedule_node(sched: dict[str, Any], warnings: list[str]) -> CommentedMap | None:
    """A ``report_schedules`` entry from ReportScheduleKind.normalise (a full read)."""
    what = f"report schedule {sched['title']!r}"
    when = sched["schedule"]
    if when["frequency"] not in list(Frequency):
        warnings.append(f"{what}: not exported: frequency {when['frequency']!r} is not supported")
        return None
    node = CommentedMap(title=sched["title"], page=sched["page"])
    if sched.get("view") is not None:
        node["view"] = sched["view"]
    schedule = CommentedMap(frequency=when["frequency"])
    if when["days"]:
        days = CommentedSeq(when["days"])
        days.fa.set_flow_style()  # `days: [MON, THU]` reads better than a block of one-word lines
        schedule["days"] = days
    schedule["at"] = DoubleQuotedScalarString(when["at"])  # "08:00" is a number in YAML 1.1
    schedule["timezone"] = when["timezone"]
    node["schedule"] = schedule
    node["enabled"] = sched["enabled"]
    node["attachment"] = sched["attachment"]
    recipients = principals(sched["recipients"], outside_email=True)
    if recipients is None:
        _unwritable("recipients", what, warnings)
    else:
        node["recipients"] = recipients
    return node if _valid(ReportScheduleSpec, node, what, warnings) else None
