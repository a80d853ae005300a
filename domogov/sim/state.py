"""The simulator's state: entities by id, lookups that enforce integrity, the audit log, load/save.

State file format (YAML, or JSON when the file name ends in ``.json``); every list is optional::

    token: domogov-sim        # accepted developer token (default "domogov-sim"); --token overrides
    me: 1001                  # id of the user the token belongs to (users/me); default: lowest id
    users: [{id: 1001, displayName: Ada Admin, emailAddress: ada@example.com, roleId: 1,
             title: ""}]
    roles: [{id: 1, name: Admin, description: "...", authorities: [dataset.manage],
             created: 1550093701000, modified: 1550093701000}]
    authorities: [{authority: dataset.manage, title: Manage DataSets, description: "...",
                   authorityUIGroup: DATA}]   # absent: derived from the roles' authorities
    groups: [{id: 501, name: Finance Analysts, type: closed, description: "",
              members: [1001], owners: [1001], memberGroups: [], ownerGroups: [],
              active: true, creatorId: 1001, created: "2023-06-08 20:59:05.0", guid: "..."}]
    datasets: [{id: 58b3775b-ab03-4f54-9052-a3c5f7cbf426, name: Sales Pipeline, owner: 1001,
                permissions: [{type: USER, id: 1002, accessLevel: CAN_VIEW}],
                description: "", rowCount: 0, columnCount: 0, created: <ms>}]
    cards: [{id: 1234567, title: Revenue by Region, datasetId: <dataset id>}]
    certifications: [{entityType: DATA_SOURCE, entityId: <id>, state: ACTIVE, updated: <ms>}]
    alerts: [{id: 358, name: ..., type: ANY_ROW, resourceType: DATASET, resourceId: <id>,
              owner: 1001, createdAt: "2024-12-12 23:37:32",
              subscriptions: [{subscriberId: 1002, type: USER, id: 1, subscribedBy: 1001}]}]
    pages: [{id: 345678, title: Sales}]        # pages named by schedules are added if missing
                                               # pages and cards: owner, sharedUsers, sharedGroups
    report_schedules: [{id: 123456, title: ..., pageId: 345678, viewId: 789012, ownerId: 1001,
                        attachmentInclude: true, startDate: <ms>,
                        schedule: {frequency: WEEKLY, daysToRun: MON, hourOfDay: 8,
                                   minOfHour: 0, timezone: America/New_York, enabled: true,
                                   additionalRecipients: [{type: EMAIL, value: cfo@example.com}]}}]
    files: [{id: 4711, name: Board Pack.pdf, owner: 1001, public: false,
             entries: [{entityType: USER, entityId: 1002, grant: READ, pass: NONE}]}]
    workflows: [{id: 7a1c0de2-..., name: Close Books, owner: 1001,
                 permissions: [{type: GROUP, id: 501, permissions: [READ, EXECUTE]}]}]
    audit: []                 # activity-log entries, appended by every write

Ids are integers except the dataset id (a string); a deleted group stays with ``active: false``.
Unknown keys and dangling references are refused when loading (``StateFileError``).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from importlib import resources
from typing import Any, TypeVar

from ruamel.yaml import YAML

from domogov.sim.entities import (
    Alert,
    Authority,
    Card,
    Certification,
    Dataset,
    Group,
    Page,
    ReportSchedule,
    Role,
    StateFileError,
    User,
)
from domogov.sim.entities.executor import ExecutorApplication
from domogov.sim.entities.pdp import PdpDataset
from domogov.sim.entities.sharing import DataFile, Workflow
from domogov.sim.integrity import integrity_problems

DEFAULT_TOKEN = "domogov-sim"
# Admin, Privileged, Editor, Participant, Social: Domo's system roles, never deletable.
BUILTIN_ROLE_IDS = frozenset({1, 2, 3, 4, 5})
TOP_KEYS = (
    "token", "me", "users", "roles", "authorities", "groups", "datasets", "cards",
    "certifications", "alerts", "pages", "report_schedules",
    "files", "workflows",  # content permissions (page_shares are on pages and cards)
    "pdp",  # personalized data permissions, by dataset (domogov/sim/entities/pdp.py)
    "executor",  # executor applications and jobs: Remote DomoStats (entities/executor.py)
    "audit",
)  # fmt: skip

T = TypeVar("T")


class SimError(Exception):
    """A request Domo would refuse: rendered as a Domo error body with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def format_created(ms: int) -> str:
    """Render a timestamp the way grouplist shows ``created``: ``2023-06-08 20:59:05.0``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.0")


@dataclass
class SimState:
    """Everything the simulated Domo instance holds, with lookups that enforce integrity."""

    token: str = DEFAULT_TOKEN
    me: int = 0
    users: dict[int, User] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    authorities: dict[str, Authority] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    cards: dict[int, Card] = field(default_factory=dict)
    certifications: dict[tuple[str, str], Certification] = field(default_factory=dict)
    alerts: dict[int, Alert] = field(default_factory=dict)
    pages: dict[int, Page] = field(default_factory=dict)
    report_schedules: dict[int, ReportSchedule] = field(default_factory=dict)
    files: dict[int, DataFile] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    pdp: dict[str, PdpDataset] = field(default_factory=dict)  # by dataset id
    executor: dict[str, ExecutorApplication] = field(default_factory=dict)  # by application id
    audit: list[dict[str, Any]] = field(default_factory=list)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    acting_as: int | None = None  # runtime only: set through POST /_sim/act-as
    _emails: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    @staticmethod
    def new_id(existing: Iterable[int], floor: int = 0) -> int:
        """An id above every existing one (and above ``floor``)."""
        return max(max(existing, default=0), floor) + 1

    @property
    def actor(self) -> User:
        """The user making the current change: the token's user unless acting as another."""
        uid = self.me if self.acting_as is None else self.acting_as
        return self.users[uid]

    def record(
        self,
        action: str,
        object_type: str,
        object_id: Any,
        object_name: str,
        comment: str,
        event_text: str,
    ) -> None:
        """Append one activity-log entry; ``comment`` is completed with the actor's name."""
        actor = self.actor
        self.audit.append(
            {
                "userName": actor.display_name,
                "userId": str(actor.id),
                "userType": "USER",
                "actionType": action,
                "objectType": object_type,
                "objectId": str(object_id),
                "objectName": object_name,
                "additionalComment": f"{actor.display_name} {comment}",
                "time": self.now_ms(),
                "eventText": event_text,
            }
        )

    @staticmethod
    def _get(table: dict[Any, T], key: Any, what: str, status: int) -> T:
        try:
            return table[key]
        except (KeyError, TypeError):
            raise SimError(status, f"{what} {key} not found") from None

    def user(self, uid: Any, status: int = 400) -> User:
        return self._get(self.users, as_int(uid, "user id", status), "User", status)

    def user_by_email(self, email: str) -> User | None:
        uid = self._emails.get(email.lower())
        return self.users.get(uid) if uid is not None else None

    def put_user(self, user: User) -> None:
        """Add or replace a user, keeping the e-mail index right."""
        old = self.users.get(user.id)
        if old is not None:
            self._emails.pop(old.email.lower(), None)
        self.users[user.id] = user
        self._emails[user.email.lower()] = user.id

    def group(self, gid: Any, status: int = 404, *, deleted_too: bool = False) -> Group:
        group = self._get(self.groups, as_int(gid, "group id", status), "Group", status)
        if not group.active and not deleted_too:
            raise SimError(status, f"Group {gid} not found")
        return group

    def active_groups(self) -> list[Group]:
        return [g for g in self.groups.values() if g.active]

    def role(self, rid: Any, status: int = 404) -> Role:
        return self._get(self.roles, as_int(rid, "role id", status), "Role", status)

    def dataset(self, did: str, status: int = 404) -> Dataset:
        return self._get(self.datasets, did, "DataSet", status)

    def card(self, cid: Any, status: int = 404) -> Card:
        return self._get(self.cards, as_int(cid, "card id", status), "Card", status)

    def alert(self, aid: Any, status: int = 404) -> Alert:
        return self._get(self.alerts, as_int(aid, "alert id", status), "Alert", status)

    def page(self, pid: Any, status: int = 400) -> Page:
        return self._get(self.pages, as_int(pid, "page id", status), "Page", status)

    def data_file(self, fid: Any, status: int = 404) -> DataFile:
        return self._get(self.files, as_int(fid, "file id", status), "File", status)

    def workflow(self, wid: Any, status: int = 404) -> Workflow:
        return self._get(self.workflows, str(wid), "Workflow model", status)

    def schedule(self, sid: Any, status: int = 404) -> ReportSchedule:
        table = self.report_schedules
        return self._get(table, as_int(sid, "schedule id", status), "Report schedule", status)

    def principal(self, ptype: Any, pid: Any, status: int = 400) -> User | Group:
        """The user or (active) group a ``{type, id}`` reference names."""
        if ptype == "USER":
            return self.user(pid, status)
        if ptype == "GROUP":
            return self.group(pid, status)
        raise SimError(400, f"type must be USER or GROUP, got {ptype!r}")

    def principal_label(self, ptype: str, pid: int) -> str:
        """How activity-log sentences name a user (e-mail) or a group (quoted name)."""
        if ptype == "USER":
            user = self.users.get(pid)
            return user.email if user else f"user {pid}"
        group = self.groups.get(pid)
        return f"group '{group.name}'" if group else f"group {pid}"

    def role_user_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for user in self.users.values():
            counts[user.role_id] = counts.get(user.role_id, 0) + 1
        return counts

    def replace_with(self, other: SimState) -> None:
        """Take over another state's content in place (so references to this object stay live)."""
        for f in fields(self):
            if f.name != "clock":
                setattr(self, f.name, getattr(other, f.name))

    @classmethod
    def from_document(cls, doc: Any, clock: Callable[[], float] = time.time) -> SimState:
        """Build a state from a parsed state document; refuses unknown keys and bad references."""
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise StateFileError("state document: expected a mapping at the top level")
        unknown = sorted(set(doc) - set(TOP_KEYS))
        if unknown:
            raise StateFileError(f"state document: unknown key(s) {unknown}; allowed: {TOP_KEYS}")
        state = cls(clock=clock)
        now = state.now_ms()
        state.token = str(doc.get("token") or DEFAULT_TOKEN)

        def each(key: str) -> Iterable[tuple[str, Any]]:
            items = doc.get(key) or []
            if not isinstance(items, list):
                raise StateFileError(f"{key}: expected a list")
            return ((f"{key}[{i}]", item) for i, item in enumerate(items))

        for where, item in each("users"):
            user = User.from_doc(item, where)
            _add(state.users, user, where)
            state.put_user(user)
        for where, item in each("roles"):
            _add(state.roles, Role.from_doc(item, where, now), where)
        for where, item in each("authorities"):
            auth = Authority.from_doc(item, where)
            _add(state.authorities, auth, where, key=auth.authority)
        if "authorities" not in doc:
            for role in state.roles.values():
                for name in role.authorities:
                    state.authorities.setdefault(name, Authority(name, title=name))
        for where, item in each("groups"):
            _add(state.groups, Group.from_doc(item, where, format_created(now)), where)
        for where, item in each("datasets"):
            ds = Dataset.from_doc(item, where, now)
            _add(state.datasets, ds, where, key=ds.id)
        for where, item in each("cards"):
            _add(state.cards, Card.from_doc(item, where), where)
        for where, item in each("certifications"):
            cert = Certification.from_doc(item, where)
            _add(state.certifications, cert, where, key=(cert.entity_type, cert.entity_id))
        next_sub = 1
        for where, item in each("alerts"):
            alert = Alert.from_doc(item, where, next_sub)
            next_sub = max([next_sub - 1, *(s.id for s in alert.subscriptions)]) + 1
            _add(state.alerts, alert, where)
        for where, item in each("pages"):
            _add(state.pages, Page.from_doc(item, where), where)
        default_me = min(state.users, default=0)
        try:
            state.me = int(doc.get("me") or default_me)
        except (TypeError, ValueError):
            raise StateFileError(f"me: expected a user id, got {doc.get('me')!r}") from None
        for where, item in each("report_schedules"):
            _add(state.report_schedules, ReportSchedule.from_doc(item, where, state.me, now), where)
        for rs in state.report_schedules.values():
            state.pages.setdefault(rs.page_id, Page(rs.page_id, f"Page {rs.page_id}"))
        for where, item in each("files"):
            _add(state.files, DataFile.from_doc(item, where, now), where)
        for where, item in each("workflows"):
            flow = Workflow.from_doc(item, where)
            _add(state.workflows, flow, where, key=flow.id)
        for where, item in each("pdp"):
            PdpDataset.from_doc(item, where).add_to(state, where)
        for where, item in each("executor"):
            _add(state.executor, ExecutorApplication.from_doc(item, where), where)
        audit = doc.get("audit") or []
        if not isinstance(audit, list) or not all(isinstance(e, dict) for e in audit):
            raise StateFileError("audit: expected a list of mappings")
        state.audit = [dict(e) for e in audit]
        problems = integrity_problems(state)
        if problems:
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise StateFileError("; ".join(problems[:10]) + more)
        return state

    def to_document(self) -> dict[str, Any]:
        """The state as a document in the state-file format (the inverse of from_document)."""
        doc: dict[str, Any] = {"token": self.token, "me": self.me}
        for key in TOP_KEYS[2:-1]:  # the entity tables, named like their document keys
            doc[key] = [entity.to_doc() for entity in getattr(self, key).values()]
        doc["audit"] = [dict(e) for e in self.audit]
        return doc


def _add(table: dict[Any, Any], entity: Any, where: str, key: Any = None) -> None:
    key = entity.id if key is None else key
    if key in table:
        raise StateFileError(f"{where}: duplicate id {key!r}")
    table[key] = entity


def as_int(value: Any, what: str, status: int = 400) -> int:
    """An id given as an int or a numeric string; anything else is a Domo-style error."""
    if isinstance(value, bool):
        raise SimError(status, f"Invalid {what}: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SimError(status, f"Invalid {what}: {value!r}") from None


@functools.cache
def _demo_json() -> str:
    text = resources.files("domogov.sim").joinpath("data/demo.yaml").read_text(encoding="utf-8")
    return json.dumps(parse_state_text(text, json_format=False))


def demo_document() -> dict[str, Any]:
    """The built-in demo instance shipped in ``domogov/sim/data/demo.yaml`` (a fresh copy)."""
    doc: dict[str, Any] = json.loads(_demo_json())  # YAML parsed once: the pure parser is slow
    return doc


def demo_state(clock: Callable[[], float] = time.time) -> SimState:
    """A fresh state of the built-in demo instance."""
    return SimState.from_document(demo_document(), clock)


def state_yaml() -> YAML:
    """The YAML reader/writer of state files."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None  # leaf lists and mappings inline, the rest as blocks
    yaml.width = 120
    # Keep the documented key order (ruamel declares this attribute as None-typed).
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    return yaml


def parse_state_text(text: str, *, json_format: bool) -> Any:
    """Parse a state document from JSON or YAML text."""
    try:
        return json.loads(text) if json_format else state_yaml().load(text)
    except Exception as exc:
        raise StateFileError(f"cannot parse state document: {exc}") from exc
