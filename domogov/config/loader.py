"""Find the manifest files of a directory and read each into plain data plus a source map."""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from domogov.config.sourcemap import DataPath, SourceMap, format_path
from domogov.errors import ConfigIssue, Location

PROJECT_FILE = "domogov.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Values an alias may add beyond what is written; a real manifest needs far fewer, and
#: a "billion laughs" file hits it after a few thousand steps instead of eating memory.
MAX_ALIAS_VALUES = 10_000
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass
class SourceFile:
    """One manifest file as read: its display name, data (None if empty) and source map."""

    path: Path
    rel: str
    display: str
    is_project: bool
    data: Any = None
    source: SourceMap = field(default_factory=lambda: SourceMap(""))


class _Abort(Exception):
    """Stops reading one file; the issue is already recorded."""


def display_name(given: str, rel: str) -> str:
    """How a file is named in messages: below the directory exactly as the user gave it."""
    return os.path.normpath(os.path.join(given, rel)) if rel else os.path.normpath(given)


def discover(root: Path, given: str) -> tuple[list[SourceFile], list[ConfigIssue]]:
    """Every ``*.yaml``/``*.yml`` below ``root``, sorted by path; ``domogov.yaml`` only on top.

    Hidden files and directories (``.git``, ``.github``, ...) are skipped: their YAML is not
    ours. Symlinks are followed only while they stay inside the directory.
    """
    issues: list[ConfigIssue] = []
    real_root = root.resolve()
    found: dict[Path, tuple[str, bool]] = {}  # real path → (rel, reached through a symlink)
    seen_dirs = {real_root}

    def outside(rel: str, target: Path) -> None:
        loc = Location(display_name(given, rel))
        msg = f"symlink leads outside the configuration directory (to {target}); not followed"
        issues.append(ConfigIssue(loc, "", msg))

    def add(real: Path, rel: str, via_link: bool) -> None:
        # A file reached twice (a symlink to a sibling) is read once, preferring its own name.
        if real not in found or (found[real][1] and not via_link):
            found[real] = (rel, via_link)

    # Symlinks wait until every real file and directory is seen, so that a link to a
    # sibling never takes the place of the real path in messages.
    links: list[tuple[os.DirEntry[str], str]] = []

    def walk(directory: Path, prefix: str, via_link: bool) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            loc = Location(display_name(given, prefix))
            issues.append(ConfigIssue(loc, "", f"cannot list directory: {exc.strerror}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}{entry.name}"
            if entry.is_symlink():
                links.append((entry, rel))
            elif entry.is_dir(follow_symlinks=False):
                real = Path(entry.path).resolve()
                if real not in seen_dirs:
                    seen_dirs.add(real)
                    walk(Path(entry.path), f"{rel}/", via_link)
            elif entry.name.endswith(YAML_SUFFIXES):
                # Not only regular files: read_file refuses a pipe or device by name.
                add(Path(entry.path).resolve(), rel, via_link)

    def follow(entry: os.DirEntry[str], rel: str) -> None:
        is_yaml = entry.name.endswith(YAML_SUFFIXES)
        try:
            target = Path(entry.path).resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
            if is_yaml:
                loc = Location(display_name(given, rel))
                issues.append(ConfigIssue(loc, "", "symlink loop; not read"))
            return
        if not target.exists():
            if is_yaml:
                loc = Location(display_name(given, rel))
                issues.append(ConfigIssue(loc, "", "broken symlink; not read"))
        elif not target.is_relative_to(real_root):
            if target.is_dir() or is_yaml:
                outside(rel, target)
        elif target.is_dir():
            if target not in seen_dirs:
                seen_dirs.add(target)
                walk(target, f"{rel}/", True)
        elif is_yaml:
            add(target, rel, True)

    walk(root, "", False)
    while links:
        follow(*links.pop(0))
    files = [
        SourceFile(real, rel, display_name(given, rel), rel == PROJECT_FILE)
        for real, (rel, _) in found.items()
    ]
    files.sort(key=lambda f: f.rel.split("/"))
    return files, issues


def read_file(sf: SourceFile) -> list[ConfigIssue]:
    """Fill ``sf.data`` and ``sf.source`` from disk; return the problems found (never raise)."""
    sf.source = SourceMap(sf.display)
    issues: list[ConfigIssue] = []
    try:
        raw = _read_regular(sf.path)
    except _NotReadable as exc:
        return [ConfigIssue(Location(sf.display), "", str(exc))]
    except OSError as exc:
        return [ConfigIssue(Location(sf.display), "", f"cannot read file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        msg = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return [ConfigIssue(Location(sf.display, line, col), "", msg)]
    depth_at = _deep_flow(text)
    if depth_at is None:
        depth_at = _deep_block(text)
    if depth_at is not None:
        line, col = _position(text, depth_at)
        msg = f"nesting deeper than {MAX_DEPTH} levels"
        return [ConfigIssue(Location(sf.display, line, col), "", msg)]
    try:
        yaml, root = _compose(text)
    except ReaderError as exc:
        line, col = _position(text, exc.position)
        msg = f"invalid YAML: character {exc.character!r} is not allowed"
        if isinstance(exc.character, int):
            msg = f"invalid YAML: character U+{exc.character:04X} is not allowed"
        return [ConfigIssue(Location(sf.display, line, col), "", msg)]
    except MarkedYAMLError as exc:
        return [_yaml_issue(sf.display, exc)]
    except YAMLError as exc:
        return [ConfigIssue(Location(sf.display), "", f"invalid YAML: {exc}")]
    except RecursionError:
        return [ConfigIssue(Location(sf.display), "", "invalid YAML: nesting is too deep")]
    if root is None:
        return []  # empty, or only comments: allowed, zero objects
    builder = _Builder(sf.source, issues, yaml.constructor)
    try:
        sf.data = builder.build(root, (), 0)
    except _Abort:
        sf.data = None
    except RecursionError:
        issues.append(ConfigIssue(Location(sf.display), "", "nesting is too deep"))
        sf.data = None
    return issues


class _NotReadable(Exception):
    """A file domogov refuses to read (too large, or not a regular file); the message says why."""


def _too_large(size: int) -> _NotReadable:
    mb = size / (1024 * 1024)
    return _NotReadable(f"file is larger than 10 MB ({mb:.1f} MB); not read")


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES.

    Opened without blocking and checked on the open descriptor: a named pipe or a device
    called ``*.yaml`` (or a symlink to one) is refused instead of hanging or reading forever.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _NotReadable("not a regular file (a pipe, device or socket); not read")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(info.st_size)
        raw = fh.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # it grew after the size was read
        raise _too_large(len(raw))
    return raw


def _compose(text: str) -> tuple[YAML, Node | None]:
    # The C parser (ruamel.yaml.clib) keeps line and column marks like the pure one and is
    # about 5x faster: loading is most of a large plan's CPU time. But libyaml is stricter in
    # places YAML 1.2 is not (`{at: 08:00}`), so whatever it refuses goes to the pure parser,
    # which decides, and words the error the same way every time.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a reused anchor name is legal YAML
        fast = YAML(typ="safe", pure=False)
        try:
            return fast, fast.compose(io.StringIO(text))
        except YAMLError:
            pass
        yaml = YAML(typ="safe", pure=True)
        return yaml, yaml.compose(io.StringIO(text))


_BRACKETS = re.compile(r"[\[\]{}]")


def _deep_flow(text: str) -> int | None:
    """Offset where ``[``/``{`` nesting gets absurd, if it does.

    ruamel's scanner is quadratic in flow depth, so a file of a few thousand ``[`` would take
    seconds before failing; brackets inside strings count too, which is harmless this high.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match[0] in "[{" else max(depth - 1, 0)
        if depth > 4 * MAX_DEPTH:
            return match.start()
    return None


#: What may open a block collection before a line's content: indentation, the indicators
#: `- `, `? `, `: `, a document start `---`, and the anchors and tags between them.
_BLOCK_PREFIX = re.compile(r"^(?:[ \t]+|---(?=[ \t]|$)|[-?:](?=[ \t]|$)|[&!][^ \t\n]*)*", re.M)
#: A prefix longer than this could nest blocks deeper than any parser should be asked to.
MAX_BLOCK_PREFIX = 16 * MAX_DEPTH


def _deep_block(text: str) -> int | None:
    """Offset of a line whose indentation and compact indicators (``- - - - x``) could nest
    block collections absurdly deep, if there is one.

    Block nesting grows only through indentation or indicators on one line, so this bounds
    it before parsing: the C composer recurses without a limit and crashes the process
    (a segmentation fault) on a line of some 100,000 ``- ``, a 200 KB file.
    """
    for match in _BLOCK_PREFIX.finditer(text):
        if match.end() - match.start() > MAX_BLOCK_PREFIX:
            return match.start() + MAX_BLOCK_PREFIX
    return None


def _position(buf: bytes | str, offset: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(buf, bytes) else "\n"
    line = buf.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    start = buf.rfind(newline, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - start + 1


def _yaml_issue(display: str, exc: MarkedYAMLError) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display)
    text = exc.problem or exc.context or "cannot parse"
    if exc.context and exc.problem:
        started = exc.context_mark
        at = (
            f" at line {started.line + 1}" if started and mark and started.line != mark.line else ""
        )
        text = f"{exc.problem} ({exc.context}{at})"
    if "single document" in str(exc.context):
        text = "a file holds one YAML document; remove the '---' that starts another"
    return ConfigIssue(loc, "", f"invalid YAML: {' '.join(str(text).split())}")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _Builder:
    """Turns a composed node graph into plain data, recording positions and YAML mistakes."""

    def __init__(self, source: SourceMap, issues: list[ConfigIssue], constructor: Any) -> None:
        self.source = source
        self.issues = issues
        self.constructor = constructor  # the YAML instance's: it knows the YAML version
        self.building: set[int] = set()  # nodes on the current branch: an alias cycle
        self.built: set[int] = set()  # nodes seen before: reaching one again is an alias
        self.alias_depth = 0
        self.alias_values = 0

    def issue(self, node: Node, path: DataPath, message: str) -> None:
        mark = node.start_mark
        loc = Location(self.source.file, mark.line + 1, mark.column + 1)
        # Deep paths (nesting, alias bombs) are cut: the line and column say where.
        shown = format_path(path[:4]) + ("..." if len(path) > 4 else "")
        self.issues.append(ConfigIssue(loc, shown, message))

    def build(self, node: Node, path: DataPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.issue(node, path, f"nesting deeper than {MAX_DEPTH} levels")
            raise _Abort
        key = id(node)
        if key in self.building:
            self.issue(node, path, "an alias refers to itself (recursive structure)")
            raise _Abort
        is_alias = key in self.built
        self.built.add(key)
        if is_alias:
            self.alias_depth += 1
        if self.alias_depth:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                msg = f"aliases expand to more than {MAX_ALIAS_VALUES} values; refusing to expand"
                self.issue(node, path, msg)
                raise _Abort
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        self.building.add(key)
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path, depth)
            if isinstance(node, SequenceNode):
                self.check_tag(node, path, f"{_TAG}seq")
                return [self.build(n, (*path, i), depth + 1) for i, n in enumerate(node.value)]
            return self.scalar(node, path)
        finally:
            self.building.discard(key)
            if is_alias:
                self.alias_depth -= 1

    def check_tag(self, node: Node, path: DataPath, expected: str) -> None:
        if node.tag != expected:
            self.issue(node, path, f"unsupported YAML tag '{_short_tag(node.tag)}'")
            raise _Abort

    def mapping(self, node: MappingNode, path: DataPath, depth: int) -> dict[str, Any]:
        self.check_tag(node, path, f"{_TAG}map")
        result: dict[str, Any] = {}
        first: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == f"{_TAG}merge":
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.issue(key_node, path, "a mapping key must be a plain value")
                continue
            # Keys are taken as written: `1:` or `true:` as keys are names, not numbers.
            key = str(key_node.value)
            if key in first:
                prev = first[key].start_mark
                msg = (
                    f"duplicate key '{key}'; first defined at line {prev.line + 1}, "
                    f"column {prev.column + 1}"
                )
                self.issue(key_node, (*path, key), msg)
                continue
            first[key] = key_node
            mark = key_node.start_mark
            self.source.keys[(*path, key)] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for merge in merges:  # `<<: *defaults`: keys written here win over merged ones
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for src in sources:
                if not isinstance(src, MappingNode):
                    self.issue(merge, path, "'<<' must merge a mapping or a list of mappings")
                    continue
                outer, self.source = self.source, SourceMap(self.source.file)
                try:
                    merged = self.build(src, path, depth)
                    positions = self.source
                finally:
                    self.source = outer
                added = {k for k in merged if k not in result}
                result.update((k, v) for k, v in merged.items() if k in added)
                # Positions of merged values are those of the mapping they came from.
                for table, into in ((positions.values, outer.values), (positions.keys, outer.keys)):
                    for p, pos in table.items():
                        if len(p) > len(path) and p[len(path)] in added:
                            into[p] = pos
        return result

    def scalar(self, node: Node, path: DataPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.issue(node, path, f"unsupported YAML tag '{_short_tag(node.tag)}'")
            raise _Abort
        if node.tag in (f"{_TAG}str", f"{_TAG}timestamp"):
            return str(node.value)  # a date-like name stays the text the user wrote
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # the tag says int/float/bool but the text is not one
            self.issue(node, path, f"cannot read {node.value!r} as {node.tag[len(_TAG) :]}")
            raise _Abort from exc
