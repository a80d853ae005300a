"""``domogov fmt``: rewrite manifests in canonical form with a ruamel round trip, comments kept.

Canonical form: 2-space indentation, sequences indented under their key (``  - item``),
flow mappings written ``{ key: value }``, no line wrapping, kind sections in the fixed order
(groups, roles, dataset_shares, certifications, alerts, report_schedules) and the keys of
each object in the order of its model's fields. Quotes, flow or block style, blank lines and
comments stay as written, and lists are never reordered: a reviewer's diff shows only what
changed. When keys move, the comment lines written above a key move with it.
"""

from __future__ import annotations

import io
import itertools
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark
from ruamel.yaml.events import MappingEndEvent
from ruamel.yaml.tokens import CommentToken

from domogov.config.loader import PROJECT_FILE, discover
from domogov.config.manifest import EXTENSION_PREFIX, load_config
from domogov.config.models import ManifestFile
from domogov.config.project import ProjectSpec
from domogov.spec.types import Collection

BOM = "\ufeff"
#: No wrapping: a long description or flow mapping stays on the line it was written on.
WIDTH = 4096


class _Emitter(Emitter):
    """ruamel's emitter, writing non-empty flow mappings as ``{ a: 1 }`` like SPEC does."""

    def _in_braces(self) -> bool:
        return bool(self.flow_context) and self.flow_context[-1] == "{" and not self.canonical

    def expect_first_flow_mapping_key(self) -> None:
        if self._in_braces() and not isinstance(self.event, MappingEndEvent):
            self.write_indicator(" ", False, whitespace=True)
        super().expect_first_flow_mapping_key()

    def expect_flow_mapping_key(self) -> None:
        if self._in_braces() and isinstance(self.event, MappingEndEvent):
            # Only reached for a non-empty mapping: `{}` ends in expect_first_flow_mapping_key.
            self.flow_map_end = " }"
            try:
                super().expect_flow_mapping_key()
            finally:
                del self.flow_map_end  # back to the class attribute "}"
        else:
            super().expect_flow_mapping_key()


def canonical_yaml() -> YAML:
    """The round-trip YAML dialect of fmt and export (YAML 1.2, as the loader reads it)."""
    yaml = YAML(typ="rt", pure=True)
    yaml.Emitter = _Emitter
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    # `[{ user: a@x.com }]` keeps its braces (ruamel would write `[user: a@x.com]`).
    yaml.brace_single_entry_mapping_in_flow_sequence = True
    return yaml


def dump_text(data: Any) -> str:
    """``data`` (CommentedMap trees) as canonical YAML text."""
    out = io.StringIO()
    canonical_yaml().dump(data, out)
    return out.getvalue()


# --- key order ---------------------------------------------------------------------------


def _models_in(annotation: Any) -> tuple[type[BaseModel], ...]:
    """Every pydantic model an annotation can hold (``list[GroupSpec] | None`` -> GroupSpec)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(m for m in _models_in(arg) if m not in found)
    return tuple(found)


def _item_models(models: tuple[type[BaseModel], ...]) -> tuple[type[BaseModel], ...]:
    """The models of a list's items: a Collection written as a plain list holds its items."""
    out: list[type[BaseModel]] = []
    for model in models:
        inner = (
            _models_in(model.model_fields["items"].annotation)
            if issubclass(model, Collection)
            else (model,)
        )
        out.extend(m for m in inner if m not in out)
    return tuple(out)


def _pick_model(node: CommentedMap, models: tuple[type[BaseModel], ...]) -> type[BaseModel] | None:
    keys = set(_own_keys(node))
    for model in models:
        if keys <= set(model.model_fields):
            return model
    return models[0] if models else None


def _own_keys(node: CommentedMap) -> list[Any]:
    # Keys merged in with `<<: *anchor` belong to the anchored mapping: never move them here.
    own = getattr(node, "_ok", None)
    return [k for k in node if own is None or k in own]


def _reorder(node: Any, models: tuple[type[BaseModel], ...]) -> None:
    """Put the keys of every mapping below ``node`` in their model's field order, in place."""
    if isinstance(node, CommentedSeq):
        items = _item_models(models)
        for item in node:
            _reorder(item, items)
        return
    if not isinstance(node, CommentedMap):
        return
    model = _pick_model(node, models)
    if model is None:
        # A free mapping of scalars (a DomoStats job's report -> dataset id, an instance's
        # vars): its order carries no meaning, so the canonical form sorts it.
        keys = _own_keys(node)
        if keys and not any(isinstance(node[k], CommentedMap | CommentedSeq) for k in keys):
            wanted = sorted(keys, key=str)
            if wanted != keys:
                _move_keys(node, keys, wanted)
        return
    fields = list(model.model_fields)
    keys = _own_keys(node)
    rank = {name: i for i, name in enumerate(fields)}
    # `x-` anchor holders first (an anchor must come before its aliases), unknown keys last.
    wanted = sorted(
        keys,
        key=lambda k: (
            0 if str(k).startswith(EXTENSION_PREFIX) else 1,
            rank.get(str(k), len(fields)),
        ),
    )
    if wanted != keys:
        _move_keys(node, keys, wanted)
    for key in keys:
        info = model.model_fields.get(str(key))
        if info is not None:
            _reorder(node[key], _models_in(info.annotation))


# --- comments of moved keys --------------------------------------------------------------
# ruamel keeps the comment lines written above a key at the end of the comment token of the
# value before it (however deep that value ends). Moving keys would leave those lines above
# the wrong key, so they are taken off before the move and put back above the same key.


def _is_block(value: Any) -> bool:
    collection = isinstance(value, CommentedMap | CommentedSeq)
    return collection and len(value) > 0 and not value.fa.flow_style()


def _tail(container: Any, key: Any) -> tuple[Any, Any]:
    """The (container, key) whose comment token holds the lines written after ``key``."""
    value = container[key]
    if _is_block(value):
        if isinstance(value, CommentedSeq):
            return _tail(value, len(value) - 1)
        own = _own_keys(value)
        if own:
            return _tail(value, own[-1])
    return container, key


def _slot(container: Any) -> int:
    return 0 if isinstance(container, CommentedSeq) else 2


def _take_lines(container: Any, key: Any) -> str:
    """Remove and return the comment lines after ``key``'s value (its own eol comment stays)."""
    holder, at = _tail(container, key)
    entry = holder.ca.items.get(at)
    token = entry[_slot(holder)] if entry else None
    if not isinstance(token, CommentToken):
        return ""
    head, newline, rest = token.value.partition("\n")
    if not rest:
        return ""
    if head.strip():
        token.value = head + newline
    else:
        entry[_slot(holder)] = None
        value = holder[at]
        # A flow collection shares the token with its own comment slot.
        shared = isinstance(value, CommentedMap | CommentedSeq) and value.ca.comment
        if shared and value.ca.comment[0] is token:
            value.ca.comment[0] = None
    return rest


def _put_lines(container: Any, key: Any, lines: str) -> None:
    """Write comment lines after ``key``'s value (after its eol comment, if any)."""
    if not lines:
        return
    holder, at = _tail(container, key)
    entry = holder.ca.items.setdefault(at, [None, None, None, None])
    token = entry[_slot(holder)]
    if isinstance(token, CommentToken):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + lines
        return
    token = CommentToken("\n" + lines, CommentMark(0), None)
    entry[_slot(holder)] = token
    value = holder[at]
    if isinstance(value, CommentedMap | CommentedSeq):
        rest = list(value.ca.comment[1:]) if value.ca.comment else [None]
        value.ca.comment = [token, *rest]


def _move_keys(node: CommentedMap, keys: list[Any], wanted: list[Any]) -> None:
    above = {keys[i]: _take_lines(node, keys[i - 1]) for i in range(1, len(keys))}
    after = _take_lines(node, keys[-1])  # lines after the mapping stay after it
    for key in wanted:
        node.move_to_end(key)
    # A key moved to the front keeps its comment right below it: nothing may come between
    # a list's "- " and the first key.
    _put_lines(node, wanted[0], above.get(wanted[0], ""))
    for before, key in itertools.pairwise(wanted):
        _put_lines(node, before, above.get(key, ""))
    _put_lines(node, wanted[-1], after)


# --- files -------------------------------------------------------------------------------


def format_text(text: str, *, project: bool = False) -> str:
    """The canonical form of one manifest (or of ``domogov.yaml`` when ``project``)."""
    bom = text.startswith(BOM)
    body = text[1:] if bom else text
    yaml = canonical_yaml()
    data = yaml.load(body)
    if data is None:
        return text  # empty, or only comments: nothing to format
    _reorder(data, (ProjectSpec,) if project else (ManifestFile,))
    out = io.StringIO()
    yaml.dump(data, out)
    return (BOM if bom else "") + out.getvalue()


@dataclass
class FmtResult:
    """What fmt found: the files (as named in messages) that changed, or would change."""

    changed: list[str] = field(default_factory=list)
    checked: int = 0


def format_dir(path: str | os.PathLike[str], *, check: bool = False) -> FmtResult:
    """Format every manifest of a directory (or one file); with ``check``, write nothing.

    The directory is loaded first, so an invalid manifest raises ConfigError (the errors
    `domogov validate` shows) and nothing is rewritten.
    """
    given = os.fspath(path)
    load_config(given)
    root = Path(given)
    if root.is_dir():
        files, _ = discover(root, given)
        targets = [(f.path, f.display, f.is_project) for f in files]
    else:
        targets = [(root, os.path.normpath(given), root.name == PROJECT_FILE)]
    result = FmtResult()
    for file_path, display, is_project in targets:
        raw = file_path.read_bytes()
        text = raw.decode("utf-8")
        formatted = format_text(text, project=is_project)
        result.checked += 1
        if formatted == text:
            continue
        result.changed.append(display)
        if not check:
            write_atomic(file_path, formatted)
    return result


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` through a temporary file and a rename: never a half-written manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, path)
