"""The simulator's entities: plain dataclasses that convert from and to state-file entries."""

from domogov.sim.entities.base import (
    ACCESS_LEVELS,
    CERT_ENTITY_TYPES,
    FREQUENCIES,
    GROUP_TYPES,
    PRINCIPAL_TYPES,
    RECIPIENT_TYPES,
    UNMANAGED_GROUP_TYPES,
    WEEKDAYS,
    StateFileError,
)
from domogov.sim.entities.content import (
    Alert,
    Card,
    Certification,
    Dataset,
    Grant,
    Page,
    Recipient,
    ReportSchedule,
    ScheduleSpec,
    Subscription,
    schedule_problem,
)
from domogov.sim.entities.identity import Authority, Group, Role, User

__all__ = [
    "ACCESS_LEVELS",
    "CERT_ENTITY_TYPES",
    "FREQUENCIES",
    "GROUP_TYPES",
    "PRINCIPAL_TYPES",
    "RECIPIENT_TYPES",
    "UNMANAGED_GROUP_TYPES",
    "WEEKDAYS",
    "Alert",
    "Authority",
    "Card",
    "Certification",
    "Dataset",
    "Grant",
    "Group",
    "Page",
    "Recipient",
    "ReportSchedule",
    "Role",
    "ScheduleSpec",
    "StateFileError",
    "Subscription",
    "User",
    "schedule_problem",
]
