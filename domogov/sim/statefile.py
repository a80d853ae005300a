"""State files: a simulator state loaded from, and saved to, JSON or YAML on disk."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domogov.sim.entities.base import StateFileError
from domogov.sim.state import SimState, parse_state_text, state_yaml


def load_state_file(path: str | Path, clock: Callable[[], float] = time.time) -> SimState:
    """Load a state file (JSON if the name ends in .json, YAML otherwise)."""
    path = Path(path)
    doc = parse_state_text(path.read_text(encoding="utf-8"), json_format=_is_json(path))
    try:
        return SimState.from_document(doc, clock)
    except StateFileError as exc:
        raise StateFileError(f"{path}: {exc}") from None


def dump_document(doc: dict[str, Any], path: str | Path) -> None:
    """Write a state document atomically (temp file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if _is_json(path):
                json.dump(doc, fh, indent=1, ensure_ascii=False)
                fh.write("\n")
            else:
                state_yaml().dump(doc, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state_file(state: SimState, path: str | Path) -> None:
    """Save the state in the state-file format."""
    dump_document(state.to_document(), path)


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"
