"""Load a configuration directory into a Config: every object, validated, with its location."""

from __future__ import annotations

import dataclasses
import os
import re
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


def _load_manifest(
    config: Config, sf: SourceFile, issues: list[ConfigIssue], data: Any = None
) -> None:
    # ``data`` is the file's data after ${var.NAME} substitution, when an instance is loaded.
    data, source = (sf.data if data is None else data), sf.source
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


# --- ${var.NAME}: one value per fleet instance (issue 16) -----------------------------

_VAR = re.compile(r"\$\{var\.([^}]*)\}")


def substitute_vars(
    data: Any,
    variables: dict[str, str],
    source: SourceMap,
    issues: list[ConfigIssue],
    instance: str | None,
    path: DataPath = (),
) -> Any:
    """``data`` with every ``${var.NAME}`` in a string value replaced; keys are left as written.

    An unknown name is an issue located at the value (the value is kept as written). A part
    with nothing to replace comes back as the same object, so a file without variables is
    recognised (``is``) and validated once for the whole fleet.
    """
    if isinstance(data, dict):
        new = {
            k: substitute_vars(v, variables, source, issues, instance, (*path, k))
            for k, v in data.items()
        }
        return data if all(new[k] is v for k, v in data.items()) else new
    if isinstance(data, list):
        items = [
            substitute_vars(v, variables, source, issues, instance, (*path, i))
            for i, v in enumerate(data)
        ]
        return data if all(a is b for a, b in zip(items, data, strict=True)) else items
    if not isinstance(data, str) or "${var." not in data:
        return data
    unknown = [m.group(1) for m in _VAR.finditer(data) if m.group(1) not in variables]
    for name in dict.fromkeys(unknown):
        issues.append(
            ConfigIssue(source.locate(path), format_path(path), _unknown(name, variables, instance))
        )
    if unknown:
        return data
    return _VAR.sub(lambda m: variables[m.group(1)], data)


def _unknown(name: str, variables: dict[str, str], instance: str | None) -> str:
    if instance is None:
        return (
            f"unknown variable ${{var.{name}}}: {PROJECT_FILE} declares no instances "
            "(instances: {NAME: {vars: {...}}})"
        )
    known = ", ".join(sorted(variables)) or "none"
    close = suggest(name, list(variables))
    hint = f"; did you mean '{close}'?" if close else ""
    return f"unknown variable ${{var.{name}}} for instance {instance} (its vars: {known}){hint}"


def _under(rel: str, directories: set[str]) -> bool:
    return any(rel.startswith(d + "/") for d in directories)


def _merge_overlay(config: Config, overlay: Config) -> None:
    """Overlay objects replace shared ones with the same identity (in place) or are added."""
    for section, specs in overlay.sections.items():
        objects = config.sections[section]
        index = {spec.address: i for i, spec in enumerate(objects)}
        for spec in specs:
            if spec.address in index:
                objects[index[spec.address]] = spec
            else:
                index[spec.address] = len(objects)
                objects.append(spec)
    config._origins.update(overlay._origins)
    config._by_address.update(overlay._by_address)


@dataclass
class Tree:
    """A configuration directory (or one manifest file) read once: every file parsed.

    A fleet builds each instance's Config from the same Tree, so the YAML is parsed once
    however many instances there are (parsing is most of the cost of loading).
    """

    given: str
    root: Path
    files: list[SourceFile]
    issues: list[ConfigIssue]  # what reading the files found (not yet validation)
    #: Files validated once for every instance: those without ${var.NAME} read the same
    #: everywhere, and their objects are immutable (frozen models), so instances share them.
    built: dict[str, _Part] = field(default_factory=dict)


@dataclass
class _Part:
    """One manifest file validated: its objects (in a Config of their own) and its issues."""

    config: Config
    issues: list[ConfigIssue]

    def add_to(self, config: Config, issues: list[ConfigIssue]) -> None:
        for section, specs in self.config.sections.items():
            config.sections[section].extend(specs)
        config._origins.update(self.config._origins)
        for address, origin in self.config._by_address.items():
            config._by_address.setdefault(address, origin)
        issues.extend(self.issues)


def read_tree(path: str | os.PathLike[str]) -> Tree:
    """Discover and parse the files of ``path``; raises ConfigError when it does not exist."""
    given = os.fspath(path)
    root = Path(given)
    if not root.exists():
        raise ConfigError([ConfigIssue(Location(given), "", "no such file or directory")])
    issues: list[ConfigIssue] = []
    if root.is_dir():
        files, issues = discover(root, given)
    else:
        files = [SourceFile(root, root.name, os.path.normpath(given), root.name == PROJECT_FILE)]
    for sf in files:
        issues.extend(read_file(sf))
    return Tree(given, root, files, issues)


def load_config(path: str | os.PathLike[str], instance: str | None = None) -> Config:
    """Read and validate a configuration directory (or one manifest file).

    Raises ConfigError listing every problem found, each with file:line:col. File names in
    messages start with ``path`` exactly as given (``examples/config/groups.yaml:12:7``).

    A directory whose ``domogov.yaml`` declares ``instances`` is a fleet: ``instance`` names
    the one to load (its vars substituted, its overlay merged). Without it every instance is
    checked and the first one's Config returned (what validate needs).
    """
    tree = read_tree(path)
    if instance is None:
        fleet = _project_only(tree)
        if fleet:
            configs = load_instances(tree, fleet)
            return configs[fleet[0]]
    return build_config(tree, instance)


def load_instances(tree: Tree, names: list[str]) -> dict[str, Config]:
    """Every named instance's Config, from one read of the files; ConfigError lists the
    problems of all of them together (an issue shared by several is listed once)."""
    issues: list[ConfigIssue] = []
    configs: dict[str, Config] = {}
    for name in names:
        try:
            configs[name] = build_config(tree, name)
        except ConfigError as exc:
            issues.extend(i for i in exc.issues if i not in issues)
    if issues:
        raise ConfigError(issues)
    return configs


def _project_only(tree: Tree) -> list[str]:
    """The instances ``domogov.yaml`` declares, when the files read cleanly; else none (the
    single load that follows reports what is wrong)."""
    if tree.issues:
        return []
    config = Config(root=tree.root, display_root=os.path.normpath(tree.given))
    issues: list[ConfigIssue] = []
    for sf in tree.files:
        if sf.is_project and sf.data is not None:
            _load_project(config, sf, issues)
    return [] if issues else list(config.project.instances)


def build_config(tree: Tree, instance: str | None) -> Config:
    """One instance's Config (or the only one, ``instance=None``) from a read Tree."""
    from domogov.config.checks import cross_checks

    config = Config(root=tree.root, display_root=os.path.normpath(tree.given))
    if not tree.root.is_dir():
        config.root = tree.root.parent
    issues = list(tree.issues)
    files = tree.files
    for sf in files:
        if sf.is_project and sf.data is not None:
            _load_project(config, sf, issues)
    fleet = config.project.instances
    settings = fleet.get(instance) if instance is not None else None
    if instance is not None and settings is None:
        declared = ", ".join(fleet) or "none"
        msg = f"unknown instance {instance!r}; domogov.yaml declares: {declared}"
        raise ConfigError([*issues, ConfigIssue(Location(config.display_root), "", msg)])
    variables = dict(settings.vars) if settings else {}
    overlays = {s.overlay for s in fleet.values() if s.overlay}
    mine = settings.overlay if settings else None
    overlay = Config(root=config.root, display_root=config.display_root)
    for sf in files:
        if sf.is_project:
            config.files.append(sf.display)
            continue
        in_overlay = _under(sf.rel, overlays)
        if in_overlay and not (mine and _under(sf.rel, {mine})):
            continue  # another instance's overlay
        config.files.append(sf.display)
        if sf.data is None:
            continue  # empty (allowed) or unreadable (already reported)
        data = substitute_vars(sf.data, variables, sf.source, issues, instance)
        part = tree.built.get(sf.rel) if data is sf.data else None
        if part is None:
            part = _Part(Config(root=config.root, display_root=config.display_root), [])
            _load_manifest(part.config, sf, part.issues, data)
            if data is sf.data:  # no variable in it: the same for every instance
                tree.built[sf.rel] = part
        part.add_to(overlay if in_overlay else config, issues)
    if mine and not (config.root / mine).is_dir():
        loc, shown = config.locate(config.project, "instances", str(instance), "overlay")
        issues.append(ConfigIssue(loc, shown, f"the overlay directory {mine} does not exist"))
    _merge_overlay(config, overlay)
    issues.extend(cross_checks(config))
    if issues:
        raise ConfigError(issues)
    return config
