"""A scenario of several hundred changes across every kind, from the benchmark's generator."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

import scenario as scn

from domogov.sim import SimState

# About 600 changes: 80% of 120 groups, 73% of 420 datasets, half of 120 certifications, ...,
# and the newer kinds (users, PDP, page/card, file and workflow permissions) at a smaller size.
SOAK = scn.Scale(
    "soak", 400, 120, 10, 420, 120, 60, 40, (5, 1, 3), None, scn.Newer(60, 2, 20, 15, 20, 10)
)
TINY = scn.Scale("tiny", 150, 30, 6, 60, 20, 10, 8, (2, 1, 1), None, scn.Newer(15, 1, 4, 3, 4, 3))
scn.SCALES.setdefault("soak", SOAK)
scn.SCALES.setdefault("tiny", TINY)


def scenario(name: str, seed: int, config_dir: Path) -> tuple[SimState, dict[str, Any]]:
    """A fresh simulator state and the manifests (written to ``config_dir``) for a scale."""
    sc = scn.build(name, seed)
    scn.write_manifests(sc.specs, config_dir, None)
    return SimState.from_document(sc.state), sc.state


def duplicates(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Names that more than one live group, role or report schedule carries."""
    found: dict[str, list[str]] = {}
    for section, key in (("groups", "name"), ("roles", "name"), ("report_schedules", "title")):
        names = [o[key] for o in doc.get(section, []) if o.get("active", True)]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            found[section] = dup
    return found
