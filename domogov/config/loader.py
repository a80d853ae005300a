"""Find the manifest files of a directory and read each into plain data plus a source map."""

from __future__ import annotations

import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import (
    MantissaNoDotYAML1_1Warning,
    MarkedYAMLError,
    ReusedAnchorWarning,
    YAMLError,
    YAMLWarning,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser as PureParser
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import Resolver

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
        return [ConfigIssue(Location(sf.display, line, col), "", _TOO_DEEP)]
    # ruamel warns, where it could refuse, about a reused anchor name and (under `%YAML 1.1`)
    # a float without a dot: both are mistakes in a manifest, so each warning is recorded
    # here and turned into a located issue; any other warning is shown as it would have been.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", YAMLWarning)
        walk, issues = _read_yaml(text, sf.display)
    issues += _warning_issues(sf.display, caught, walk.root if walk else None)
    if walk is not None:
        sf.data, sf.source = walk.data, walk.source
    return issues


def _read_yaml(text: str, display: str) -> tuple[_Walk | None, list[ConfigIssue]]:
    """The walked node graph of ``text`` and its issues, or None and why it cannot be read."""
    try:
        yaml, root = _compose(text)
    except MaxDepthExceededError as exc:  # the pure composer's own limit, past _COMPOSE_DEPTH
        mark = exc.problem_mark
        return None, [ConfigIssue(Location(display, mark.line + 1, mark.column + 1), "", _TOO_DEEP)]
    except ReaderError as exc:
        line, col = _position(text, exc.position)
        msg = f"invalid YAML: character {exc.character!r} is not allowed"
        if isinstance(exc.character, int):
            msg = f"invalid YAML: character U+{exc.character:04X} is not allowed"
        return None, [ConfigIssue(Location(display, line, col), "", msg)]
    except MarkedYAMLError as exc:
        return None, [_yaml_issue(display, exc)]
    except YAMLError as exc:
        return None, [ConfigIssue(Location(display), "", f"invalid YAML: {exc}")]
    except AssertionError:
        # ruamel asserts on a `%YAML` directive other than 1.1 or 1.2 (`%YAML 1.3`).
        line, col = _position(text, max(text.find("%YAML"), 0))
        msg = "invalid YAML: unsupported %YAML version; use %YAML 1.2 or leave the line out"
        return None, [ConfigIssue(Location(display, line, col), "", msg)]
    walk = _Walk(display, root, yaml.constructor)
    walk.run()
    return walk, walk.issues


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
    it before parsing. It was added when libyaml's composer, which recurses without a limit,
    crashed the process (a segmentation fault) on a line of some 100,000 ``- ``, a 200 KB
    file; the event builder does not recurse, but such a line is still refused right here.
    """
    if max(map(len, text.split("\n"))) <= MAX_BLOCK_PREFIX:
        return None  # a prefix lies within one line: quicker to see that no line is as long
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


def _short_tag(tag: str | None) -> str:
    tag = tag or "?"
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


# Reading YAML: ruamel composes the node graph (with libyaml's composer where ruamel.yaml.clib
# is installed), then one iterative walk turns it into plain data and a source map.

_STR, _TIMESTAMP, _MAP, _SEQ, _MERGE = (
    f"{_TAG}{t}" for t in ("str", "timestamp", "map", "seq", "merge")
)
_TEXT_TAGS = (_STR, _TIMESTAMP)
_MUST_MERGE = "'<<' must merge a mapping or a list of mappings"
_NOT_PLAIN_KEY = "a mapping key must be a plain value"
_RECURSIVE = "an alias refers to itself (recursive structure)"
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_TOO_MANY = f"aliases expand to more than {MAX_ALIAS_VALUES} values; refusing to expand"

#: Whether ruamel reads with libyaml: it picks ruamel.yaml.clib's parser for ``typ="safe"``
#: when the C extension is installed, and its pure parser otherwise.
LIBYAML: bool = YAML(typ="safe").Parser is not PureParser
#: How deep ruamel's pure composer may nest before it stops with a located error. It
#: recurses, two Python frames a level, and the pre-parse checks (`_deep_flow`,
#: `_deep_block`) let through files nested deeper than Python's recursion limit allows.
_COMPOSE_DEPTH = 4 * MAX_DEPTH
_DIRECTIVE = re.compile(r"^%YAML", re.M)

Position = tuple[int, int]


class _Yaml12Resolver(Resolver):
    """ruamel's YAML 1.2 resolver (``Resolver``) for libyaml's composer, taking the arguments
    ruamel gives its default ``VersionedResolver``.

    ``VersionedResolver`` works out the YAML version again for every scalar by looking for
    the pure parser's scanner, which libyaml's composer does not have (so it always ends at
    1.2): that was over half the time spent composing a large configuration. A file naming
    its version (`%YAML 1.1`) is read by the pure parser, which honours it.
    """

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper if loadumper is not None else loader)

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)  # what the constructor asks (YAML 1.1 reads `012` as octal)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Most scalars of a manifest are names and emails, quoted or starting with a
        # character no implicit rule starts with: a string, as ruamel would find, without
        # building the list of rules to try (there are no path resolvers).
        if kind is ScalarNode and not (implicit[0] and value[:1] in self.yaml_implicit_resolvers):
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


def _compose(text: str) -> tuple[YAML, Node | None]:
    """ruamel's node graph of ``text`` (None when empty) and the YAML instance that made it.

    libyaml composes several times faster than the pure parser, but is stricter than YAML 1.2
    in places (`{at: 08:00}`; a reused anchor name): whatever it refuses goes to the pure
    parser, which decides, and words the error the same way every time. So does a file with
    a `%YAML` directive: libyaml's composer resolves every file with the 1.2 rules.
    """
    if LIBYAML and not _DIRECTIVE.search(text):
        fast = YAML(typ="safe")
        fast.Resolver = _Yaml12Resolver
        try:
            return fast, fast.compose(text)
        except YAMLError:
            pass
    yaml = YAML(typ="safe", pure=True)
    yaml.max_depth = _COMPOSE_DEPTH
    return yaml, yaml.compose(text)


def _pos(node: Node) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _warning_issues(
    display: str, caught: list[warnings.WarningMessage], root: Node | None
) -> list[ConfigIssue]:
    """Located issues for ruamel's warnings about the file; other warnings are shown again."""
    issues: list[ConfigIssue] = []
    reused: list[warnings.WarningMessage] = []
    for warned in caught:
        message = warned.message
        if isinstance(message, ReusedAnchorWarning):
            reused.append(warned)  # its text alone names no file: located from the graph
        elif isinstance(message, MantissaNoDotYAML1_1Warning):
            text = str(message.flt)
            cut = text.lower().index("e")
            msg = (
                f"{text!r} is no float in YAML 1.1 without a dot in its mantissa; write "
                f"{text[:cut]}.0{text[cut:]}, or leave out the %YAML 1.1 line"
            )
            issues.append(ConfigIssue(Location(display, *_pos(message.node)), "", msg))
        else:
            _show(warned)
    found = _reused_anchors(root) if reused and root is not None else []
    for before, again in found:
        line, col = _pos(before)
        msg = (
            f"anchor '&{again.anchor}' defined again (also at line {line}, column {col}); "
            "give each anchor its own name"
        )
        issues.append(ConfigIssue(Location(display, *_pos(again)), "", msg))
    if not found:
        for warned in reused:  # no graph (the file is refused): shown as ruamel words it
            _show(warned)
    return issues


def _show(warned: warnings.WarningMessage) -> None:
    warnings.warn_explicit(warned.message, warned.category, warned.filename, warned.lineno)


def _reused_anchors(root: Node) -> list[tuple[Node, Node]]:
    """Each node whose anchor name an earlier node had, with that node, in document order."""
    last: dict[str, Node] = {}
    seen: set[int] = set()
    found: list[tuple[Node, Node]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue  # an alias
        seen.add(id(node))
        if node.anchor is not None:
            before = last.get(node.anchor)
            if before is not None:
                found.append((before, node))
            last[node.anchor] = node
        if isinstance(node, MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return found


class _Abort(Exception):
    """Stops building one file's data; the issue is already recorded."""


#: What a finished collection is to the collection below it on the walk's stack.
_ROOT, _ITEM, _VALUE, _MERGED = range(4)
_OPENED = object()  # what _Walk._enter returns for a collection: it is built on the stack


Sink = tuple[dict[DataPath, Position], dict[DataPath, Position]]  # values, keys


class _Open:
    """A mapping or sequence being built, and where its value and positions go."""

    __slots__ = (
        "alias",
        "at",
        "first",
        "into",
        "key",
        "merges",
        "node",
        "path",
        "sink",
        "sources",
        "value",
    )

    def __init__(
        self, node: Node, path: DataPath, value: Any, sink: Sink, alias: bool, into: int, key: str
    ) -> None:
        self.node = node
        self.path = path
        self.value = value
        self.sink = sink  # the file's source map, or a merged mapping's own (see _merge)
        self.alias = alias  # entered through an alias
        self.into = into
        self.key = key  # its key in the mapping below it (into == _VALUE)
        self.at = 0  # the next item or pair of node.value
        self.first: dict[str, Position] = {}  # key → where it was first written
        self.merges: list[Node] = []  # the values of its `<<` keys
        self.sources: list[Node] | None = None  # the mappings they merge: set when the pairs end


class _Walk:
    """Plain data and a source map from a composed node graph, with an explicit stack.

    The rules: keys as written, no duplicates, merge keys (keys written in the mapping win,
    then earlier merged mappings over later ones; a merged value keeps the positions of the
    mapping it came from), an alias repeating its anchor's value, positions and issues at its
    own path (within MAX_ALIAS_VALUES), core-schema scalars only, and MAX_DEPTH.
    """

    def __init__(self, file: str, root: Node | None, constructor: SafeConstructor) -> None:
        self.root = root
        self.source = SourceMap(file)
        self.issues: list[ConfigIssue] = []
        self.data: Any = None
        self._constructor = constructor  # the composing YAML's: it knows the YAML version
        self._seen: set[int] = set()  # nodes built once: reaching one again is an alias
        self._building: set[int] = set()  # collections open on the stack: an alias cycle
        self._alias_depth = 0  # aliases the walk is inside of
        self._alias_values = 0

    def run(self) -> None:
        if self.root is None:
            return  # empty, or only comments: allowed, zero objects
        try:
            self.data = self._build(self.root)
        except _Abort:
            self.data = None

    def _build(self, root: Node) -> Any:
        stack: list[_Open] = []
        sink = (self.source.values, self.source.keys)
        value = self._enter(root, (), sink, stack, _ROOT, "")
        while stack:
            frame = stack[-1]
            if isinstance(frame.value, list):
                opened = self._items(frame, stack)
            else:
                opened = self._pairs(frame, stack) or self._merges(frame, stack)
            if opened:
                continue  # a collection was opened above this one: it is built first
            stack.pop()
            self._building.discard(id(frame.node))
            if frame.alias:
                self._alias_depth -= 1
            value = frame.value
            if frame.into == _ITEM:
                stack[-1].value.append(value)
            elif frame.into == _VALUE:
                stack[-1].value[frame.key] = value
            elif frame.into == _MERGED:
                self._merge(stack[-1], frame)
        return value

    def _items(self, frame: _Open, stack: list[_Open]) -> bool:
        """Build a sequence's items until one is a collection (True: it is open above the
        frame) or none is left (False)."""
        items, value, path, sink = frame.node.value, frame.value, frame.path, frame.sink
        plain = self._plain(path)
        while frame.at < len(items):
            index = frame.at
            frame.at += 1
            node = items[index]
            if plain and isinstance(node, ScalarNode):
                item_path = (*path, index)
                mark = node.start_mark
                pos = sink[0][item_path] = (mark.line + 1, mark.column + 1)
                text = node.value if node.tag == _STR else self._scalar(node, item_path, pos)
                value.append(text)
                continue
            item = self._enter(node, (*path, index), sink, stack, _ITEM, "")
            if item is _OPENED:
                return True
            value.append(item)
        return False

    def _pairs(self, frame: _Open, stack: list[_Open]) -> bool:
        """Build a mapping's values, as _items does; `<<` keys wait for the written keys."""
        pairs, value, path, sink = frame.node.value, frame.value, frame.path, frame.sink
        keys, first = sink[1], frame.first
        plain = self._plain(path)
        while frame.at < len(pairs):
            key_node, value_node = pairs[frame.at]
            frame.at += 1
            if not isinstance(key_node, ScalarNode):
                self._issue(path, _pos(key_node), _NOT_PLAIN_KEY)
                continue
            if key_node.tag == _MERGE:
                frame.merges.append(value_node)
                continue
            # Keys are taken as written: `1:` or `true:` as keys are names, not numbers.
            key: str = key_node.value
            key_path = (*path, key)
            mark = key_node.start_mark
            at = (mark.line + 1, mark.column + 1)
            before = first.get(key)
            if before is not None:
                msg = (
                    f"duplicate key '{key}'; first defined at line {before[0]}, column {before[1]}"
                )
                self._issue(key_path, at, msg)
                continue
            first[key] = keys[key_path] = at
            if plain and isinstance(value_node, ScalarNode):
                mark = value_node.start_mark
                pos = sink[0][key_path] = (mark.line + 1, mark.column + 1)
                tag = value_node.tag
                text = value_node.value if tag == _STR else self._scalar(value_node, key_path, pos)
                value[key] = text
                continue
            item = self._enter(value_node, key_path, sink, stack, _VALUE, key)
            if item is _OPENED:
                return True
            value[key] = item
        return False

    def _merges(self, frame: _Open, stack: list[_Open]) -> bool:
        """Open the next mapping a `<<` key merges, each built at the merging mapping's path
        with positions of its own (see _merge); False when none is left."""
        if frame.sources is None:
            frame.sources = []
            for merged in frame.merges:
                if id(merged) in self._building:  # `<<: *self` inside itself
                    self._abort(frame.path, _pos(merged), _RECURSIVE)
                if isinstance(merged, MappingNode):
                    frame.sources.append(merged)
                    continue
                # `<<: [*a, *b]`: each mapping of the list merges; the list itself is no value.
                items = merged.value if isinstance(merged, SequenceNode) else [merged]
                for item in items:
                    if isinstance(item, MappingNode):
                        frame.sources.append(item)
                    else:
                        self._issue(frame.path, _pos(merged), _MUST_MERGE)
            frame.sources.reverse()  # taken from the end, in order
        if frame.sources:
            self._enter(frame.sources.pop(), frame.path, ({}, {}), stack, _MERGED, "")
            return True
        return False

    def _merge(self, frame: _Open, merged: _Open) -> None:
        """Add the keys a merged mapping has and ``frame`` has not yet, with their positions."""
        result: dict[str, Any] = frame.value
        added = {k: v for k, v in merged.value.items() if k not in result}
        result.update(added)
        cut = len(frame.path)
        for table, into in zip(merged.sink, frame.sink, strict=True):
            for path, pos in table.items():
                if len(path) > cut and path[cut] in added:
                    into[path] = pos

    def _enter(
        self, node: Node, path: DataPath, sink: Sink, stack: list[_Open], into: int, key: str
    ) -> Any:
        """Record a value's position: a scalar's value, or _OPENED with its collection on
        the stack."""
        pos = _pos(node)
        if len(path) > MAX_DEPTH:
            self._abort(path, pos, _TOO_DEEP)
        if isinstance(node, ScalarNode):
            # Only counted inside an alias: an alias to a scalar adds one value, as written.
            if self._alias_depth:
                self._count(path, pos)
            sink[0][path] = pos
            return self._scalar(node, path, pos)
        ident = id(node)
        if ident in self._building:
            self._abort(path, pos, _RECURSIVE)
        alias = ident in self._seen
        if alias:
            self._alias_depth += 1
        else:
            self._seen.add(ident)
        if self._alias_depth:
            self._count(path, pos)
        sink[0][path] = pos
        is_map = isinstance(node, MappingNode)
        if node.tag != (_MAP if is_map else _SEQ):
            self._abort(path, pos, f"unsupported YAML tag '{_short_tag(node.tag)}'")
        self._building.add(ident)
        stack.append(_Open(node, path, {} if is_map else [], sink, alias, into, key))
        return _OPENED

    def _plain(self, path: DataPath) -> bool:
        """Whether a scalar below ``path`` needs no more than a position: no alias to count
        and no depth to refuse."""
        return not self._alias_depth and len(path) < MAX_DEPTH

    def _count(self, path: DataPath, pos: Position) -> None:
        self._alias_values += 1
        if self._alias_values > MAX_ALIAS_VALUES:
            self._abort(path, pos, _TOO_MANY)

    def _scalar(self, node: ScalarNode, path: DataPath, pos: Position) -> Any:
        tag = node.tag
        if tag in _TEXT_TAGS:  # a date-like name stays the text the user wrote
            return node.value
        if tag not in _SCALAR_TAGS:
            self._abort(path, pos, f"unsupported YAML tag '{_short_tag(tag)}'")
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception:  # the tag says int/float/bool but the text is not one
            self._abort(path, pos, f"cannot read {node.value!r} as {tag[len(_TAG) :]}")

    def _issue(self, path: DataPath, pos: Position, message: str) -> None:
        # Deep paths (nesting, alias bombs) are cut: the line and column say where.
        shown = format_path(path[:4]) + ("..." if len(path) > 4 else "")
        self.issues.append(ConfigIssue(Location(self.source.file, *pos), shown, message))

    def _abort(self, path: DataPath, pos: Position, message: str) -> NoReturn:
        self._issue(path, pos, message)
        raise _Abort
