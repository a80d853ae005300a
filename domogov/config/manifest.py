"""Load a configuration directory into a Config: every object, validated, with its location."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from domogov.config.issues import translate
from domogov.config.loader import PROJECT_FILE, SourceFile, discover, read_file
from domogov.config.models import KINDS, SECTIONS
from domogov.config.project import PROJECT_KEYS, ProjectSpec
from domogov.config.sourcemap import DataPath, SourceMap, format_path
from domogov.errors import ConfigError, ConfigIssue, Location
from domogov.spec.base import Spec
from domogov.spec.types import Collection, describe, suggest

#: Top-level keys starting with this are ignored in manifests: they hold YAML anchors.
EXTENSION_PREFIX = "x-"


@dataclass
class _Origin:
    """Where one model came from: its file's source map, its data path, and list remaps."""

    source: SourceMap
    base: DataPath
    #: collection field → index in the file of each kept item (duplicates were dropped).
    remap: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Config:
    """Everything a configuration directory declares, and where each piece was written."""

    root: Path
    project: ProjectSpec = field(default_factory=ProjectSpec)
    #: Section name -> its declared objects in file order; every kind has an entry.
    sections: dict[str, list[Spec]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    #: Every file read (domogov.yaml included), named as in messages, sorted by path.
    files: list[str] = field(default_factory=list)
    display_root: str = ""
    _origins: dict[int, _Origin] = field(default_factory=dict, repr=False, compare=False)
    _by_address: dict[str, _Origin] = field(default_factory=dict, repr=False, compare=False)

    @property
    def object_count(self) -> int:
        """How many objects the manifests declare, over all kinds."""
        return sum(len(objects) for objects in self.sections.values())

    def specs(self) -> Iterator[Spec]:
        """Every declared object, kind by kind in section order, each in file order."""
        for section in SECTIONS:
            yield from self.sections[section]

    def section(self, name: str) -> list[Any]:
        """The objects of one kind section (``"groups"``)."""
        if name not in KINDS:
            raise KeyError(name)
        return self.sections[name]

    def __getattr__(self, name: str) -> list[Any]:
        # ``config.groups`` reads as ``config.section("groups")``: a section is named by its
        # kind, and kinds are data (domogov.resources), not fields of this class.
        sections: dict[str, list[Any]] | None = self.__dict__.get("sections")
        if sections is not None and name in sections:
            return sections[name]
        raise AttributeError(name)

    def where(self, spec: BaseModel, *path: str | int) -> Location:
        """Where ``spec`` (or a value inside it: ``where(group, "members", 2)``) was written.

        Works for every object this Config holds, nested ones (grants, schedules) and the
        project included; indexes are 0-based into the collection as loaded. Falls back to
        the nearest known location: the object, then its file, then the directory.
        """
        return self.locate(spec, *path)[0]

    def locate(self, spec: BaseModel, *path: str | int) -> tuple[Location, str]:
        """Like :meth:`where`, plus the data path as messages print it (``groups[1].members``)."""
        origin = self._origins.get(id(spec))
        if origin is None and isinstance(spec, Spec):
            origin = self._by_address.get(spec.address)
        if origin is None:
            return Location(self.display_root or str(self.root)), ""
        steps = [p for i, p in enumerate(path) if not (i == 1 and p == "items")]
        if len(steps) >= 2 and isinstance(steps[1], int) and steps[0] in origin.remap:
            kept = origin.remap[str(steps[0])]
            if 0 <= steps[1] < len(kept):
                steps[1] = kept[steps[1]]
        full = (*origin.base, *steps)
        resolved = origin.source.resolve(full)
        return origin.source.locate(full), format_path(resolved)

    def _register(self, model: BaseModel, raw: Any, source: SourceMap, base: DataPath) -> None:
        origin = _Origin(source, base)
        self._origins[id(model)] = origin
        if isinstance(model, Spec):
            self._by_address.setdefault(model.address, origin)
        for name in type(model).model_fields:
            value = getattr(model, name)
            raw_value = raw.get(name) if isinstance(raw, dict) else None
            if isinstance(value, Collection):
                kept = _kept_indexes(value, raw_value)
                origin.remap[name] = kept
                raw_items = raw_value.get("items") if isinstance(raw_value, dict) else raw_value
                for item, index in zip(value.items, kept, strict=False):
                    if isinstance(item, BaseModel) and isinstance(raw_items, list):
                        self._register(item, raw_items[index], source, (*base, name, index))
            elif isinstance(value, BaseModel):
                self._register(value, raw_value, source, (*base, name))


@cache
def _adapter(item_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(item_type)


def _kept_indexes(value: Collection[Any], raw: Any) -> list[int]:
    """The file index of each item kept after de-duplication (the first of equal ones)."""
    raw_items = raw.get("items") if isinstance(raw, dict) else raw
    if not isinstance(raw_items, list) or len(raw_items) == len(value.items):
        return list(range(len(value.items)))  # nothing was dropped: indexes are the file's
    adapter = _adapter(type(value).item_type())
    seen: set[Any] = set()
    kept = []
    for i, item in enumerate(raw_items):
        parsed = adapter.validate_python(item)
        if parsed not in seen:
            seen.add(parsed)
            kept.append(i)
    return kept


def _project_hint(parent: DataPath, key: str) -> str | None:
    if parent == () and key in KINDS:
        return (
            f"kind sections do not belong in {PROJECT_FILE} (it holds project settings); "
            f"move '{key}' to another file"
        )
    return None


def _load_project(config: Config, sf: SourceFile, issues: list[ConfigIssue]) -> None:
    data = sf.data
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not k.startswith(EXTENSION_PREFIX)}
    try:
        config.project = ProjectSpec.model_validate(data)
    except ValidationError as exc:
        issues.extend(translate(exc, ProjectSpec, (), sf.source, _project_hint))
        return
    config._register(config.project, data, sf.source, ())


def _load_manifest(config: Config, sf: SourceFile, issues: list[ConfigIssue]) -> None:
    data, source = sf.data, sf.source
    if not isinstance(data, dict):
        sections = ", ".join(SECTIONS)
        msg = f"a manifest must be a mapping of kind sections ({sections}), got {describe(data)}"
        issues.append(ConfigIssue(source.locate(()), "", msg))
        return
    for key, items in data.items():
        if key.startswith(EXTENSION_PREFIX):
            continue  # a home for YAML anchors (`x-defaults: &defaults {...}`), as in Compose
        if key not in KINDS:
            if key in PROJECT_KEYS:
                msg = f"'{key}' is a project setting; it belongs in {PROJECT_FILE} at the top"
            elif close := suggest(key, SECTIONS):
                msg = f"unknown section; did you mean '{close}'?"
            else:
                msg = f"unknown section; valid sections: {', '.join(SECTIONS)}"
            issues.append(ConfigIssue(source.locate((key,), key=True), key, msg))
            continue
        if items is None:
            continue  # `groups:` with every entry commented out
        if not isinstance(items, list):
            msg = f"expected a list of {key} (one '- ' entry each), got {describe(items)}"
            issues.append(ConfigIssue(source.locate((key,)), key, msg))
            continue
        model = KINDS[key]
        for i, item in enumerate(items):
            try:
                spec = model.model_validate(item)
            except ValidationError as exc:
                address = model.address_of_raw(item)
                issues.extend(
                    dataclasses.replace(issue, address=address)
                    for issue in translate(exc, model, (key, i), source)
                )
                continue
            config.sections[key].append(spec)
            config._register(spec, item, source, (key, i))


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a configuration directory (or one manifest file).

    Raises ConfigError listing every problem found, each with file:line:col. File names in
    messages start with ``path`` exactly as given (``examples/config/groups.yaml:12:7``).
    """
    from domogov.config.checks import cross_checks

    given = os.fspath(path)
    root = Path(given)
    config = Config(root=root, display_root=os.path.normpath(given))
    if not root.exists():
        raise ConfigError([ConfigIssue(Location(given), "", "no such file or directory")])
    issues: list[ConfigIssue] = []
    if root.is_dir():
        files, issues = discover(root, given)
    else:
        files = [SourceFile(root, root.name, os.path.normpath(given), root.name == PROJECT_FILE)]
        config.root = root.parent
    for sf in files:
        config.files.append(sf.display)
        issues.extend(read_file(sf))
        if sf.data is None:
            continue  # empty (allowed) or unreadable (already reported)
        if sf.is_project:
            _load_project(config, sf, issues)
        else:
            _load_manifest(config, sf, issues)
    issues.extend(cross_checks(config))
    if issues:
        raise ConfigError(issues)
    return config
