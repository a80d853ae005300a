"""One saved plan file for the whole fleet; each instance's plan is checked for staleness on
apply."""

from __future__ import annotations

import json
from pathlib import Path

from domogov.core.changes import Plan
from domogov.errors import UsageError
from domogov.fleet.members import Member

#: What a saved fleet plan says it is; a single-instance plan file has no such key.
FLEET_FORMAT = "domogov-fleet-plan"
FLEET_FORMAT_VERSION = 1


def dumps_fleet_plan(items: list[Member]) -> str:
    """One file holding every instance's plan; each is checked for staleness on apply."""
    doc = {
        "format": FLEET_FORMAT,
        "format_version": FLEET_FORMAT_VERSION,
        "instances": {m.name: m.plan.to_json() for m in items if m.plan is not None},
    }
    return json.dumps(doc, separators=(",", ":"))


def is_fleet_plan(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format":"{FLEET_FORMAT}"' in head.replace(" ", "")


def read_fleet_plan(path: Path) -> dict[str, Plan]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FLEET_FORMAT or doc.get("format_version") != FLEET_FORMAT_VERSION:
            raise ValueError("unsupported fleet plan format")
        return {str(n): Plan.from_json(p) for n, p in doc["instances"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path} is not a domogov fleet plan file: {exc}") from exc
