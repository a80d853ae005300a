"""The resource kinds, one module each; ALL_KINDS is the one explicit registry, in plan order."""

from __future__ import annotations

from typing import Any

from domogov.resources.alert import KIND as ALERT
from domogov.resources.base import KindBase
from domogov.resources.certification import KIND as CERTIFICATION
from domogov.resources.dataset_share import KIND as DATASET_SHARE
from domogov.resources.group import KIND as GROUP
from domogov.resources.report_schedule import KIND as REPORT_SCHEDULE
from domogov.resources.role import KIND as ROLE

Kind = KindBase[Any, Any]

ALL_KINDS: list[Kind] = [GROUP, ROLE, DATASET_SHARE, CERTIFICATION, ALERT, REPORT_SCHEDULE]
KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in ALL_KINDS}
KINDS_BY_SECTION: dict[str, Kind] = {k.section: k for k in ALL_KINDS}

__all__ = ["ALL_KINDS", "KINDS_BY_NAME", "KINDS_BY_SECTION", "Kind"]
