"""The files an export writes: one per kind (or numbered parts), the project file, a schema.

Every manifest starts with a ``yaml-language-server`` line pointing at ``domogov.schema.json``,
which export writes next to them (the output of ``domogov schema``): the relative path is then
right wherever ``--out`` is, and editors validate without a network.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.config.loader import PROJECT_FILE
from domogov.config.project import ProjectSpec
from domogov.config.schema import render as render_schema
from domogov.fmt import dump_text, write_atomic

SCHEMA_FILE = "domogov.schema.json"
#: Objects per part file (a kind written in parts, such as dataset shares, reads as many at once).
PART_SIZE = 500
HEADER_WIDTH = 96
_PART = re.compile(r"part-(\d{3,})\.yaml\Z")


def file_name(section: str) -> str:
    """``groups.yaml``: a section written as one file."""
    return f"{section}.yaml"


def part_name(section: str, number: int) -> str:
    """``dataset_shares/part-001.yaml``: numbered from 1, sorted as the loader reads them."""
    return f"{section}/part-{number:03d}.yaml"


class Writer:
    """Writes manifests under ``out`` in canonical form (what ``domogov fmt`` leaves alone)."""

    def __init__(self, out: Path, source: str, sections: tuple[str, ...] = ()) -> None:
        self.out = out
        self.source = source
        #: Every section of the manifest language: part files of any of them are export's own.
        self.sections = sections

    def _header(self, rel: str, lines: list[str]) -> str:
        """The comment lines a file starts with, then a blank line."""
        schema = os.path.relpath(self.out / SCHEMA_FILE, (self.out / rel).parent)
        first = f"yaml-language-server: $schema={Path(schema).as_posix()}"
        origin = f"Exported from {self.source} by `domogov export`." if self.source else ""
        text = []
        for line in (first, origin, *lines):
            text.extend(textwrap.wrap(line, HEADER_WIDTH, break_on_hyphens=False) or [])
        return "".join(f"# {line}\n" for line in text) + "\n"

    def write_schema(self) -> None:
        write_atomic(self.out / SCHEMA_FILE, render_schema())

    def write_section(
        self, rel: str, section: str, items: list[CommentedMap], notes: list[str]
    ) -> Path:
        """Write ``{section: items}`` to ``rel`` with a header; ``[]`` when there are none."""
        root = CommentedMap()
        root[section] = CommentedSeq(items)
        path = self.out / rel
        write_atomic(path, self._header(rel, notes) + dump_text(root))
        return path

    def remove_parts_after(self, section: str, count: int) -> list[Path]:
        """Delete ``<section>/part-NNN.yaml`` left by an earlier, larger export."""
        removed: list[Path] = []
        folder = self.out / section
        if not folder.is_dir():
            return removed
        for path in sorted(folder.iterdir()):
            match = _PART.match(path.name)
            if match and int(match[1]) > count:
                path.unlink()
                removed.append(path)
        return removed

    def write_project(
        self,
        protect: dict[str, list[str]],
        settings: dict[str, str],
        instance: str | None,
        notes: list[str],
    ) -> bool:
        """Write ``domogov.yaml`` unless one exists (it may hold the team's own settings).

        ``protect``: names protected per section; ``settings``: more top-level keys (the
        kinds say what: the role kind protects the built-in roles and names default_role);
        ``notes``: why, for the header.
        """
        path = self.out / PROJECT_FILE
        if path.exists():
            return False
        root = CommentedMap()
        if instance:
            root["instance"] = instance
        if protect:
            root["protect"] = CommentedMap(
                {section: CommentedSeq(names) for section, names in protect.items()}
            )
        for key, value in settings.items():
            root[key] = value
        ProjectSpec.model_validate(_plain(root))
        notes = [*notes, "Nothing is pruned: add `prune` scopes once the manifests are reviewed."]
        write_atomic(path, self._header(PROJECT_FILE, notes) + dump_text(root))
        return True

    def other_manifests(self, written: set[str]) -> list[str]:
        """YAML files under ``out`` that export did not write (they are planned together)."""
        found = []
        for path in sorted(self.out.rglob("*.y*ml")):
            rel = path.relative_to(self.out).as_posix()
            hidden = any(part.startswith(".") for part in Path(rel).parts)
            if hidden or rel in written or rel == PROJECT_FILE:
                continue
            folder = rel.rpartition("/")[0]
            if folder in self.sections and _PART.match(path.name):
                continue
            found.append(rel)
        return found


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
