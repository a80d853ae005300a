"""Find the manifest files of a directory and read each into plain data plus a source map."""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

try:  # libyaml's parser, as ruamel.yaml.clib builds it (ruamel's loader falls back the same)
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - a platform without the C extension
    CParser = None  # type: ignore[assignment,misc]

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
_NULL, _BOOL, _INT = f"{_TAG}null", f"{_TAG}bool", f"{_TAG}int"


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
        msg = f"nesting deeper than {MAX_DEPTH} levels"
        return [ConfigIssue(Location(sf.display, line, col), "", msg)]
    try:
        built = _load(text, sf.display)
    except AssertionError:
        # ruamel asserts on a `%YAML` directive other than 1.1 or 1.2 (`%YAML 1.3`).
        line, col = _position(text, max(text.find("%YAML"), 0))
        msg = "invalid YAML: unsupported %YAML version; use %YAML 1.2 or leave the line out"
        return [ConfigIssue(Location(sf.display, line, col), "", msg)]
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
    sf.data, sf.source = built.data, built.source
    return built.issues


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


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


# Reading YAML: parser events straight into plain data and positions. ruamel's loader would
# compose a node graph first and resolve every scalar through its resolver; domogov needs
# neither, and those two steps were most of the time spent on a large configuration.

_STR = f"{_TAG}str"
_TIMESTAMP = f"{_TAG}timestamp"
_MAP = f"{_TAG}map"
_SEQ = f"{_TAG}seq"
_MERGE = f"{_TAG}merge"
_TEXT_TAGS = (_STR, _TIMESTAMP)  # a date-like name stays the text the user wrote
_MUST_MERGE = "'<<' must merge a mapping or a list of mappings"
_NOT_PLAIN_KEY = "a mapping key must be a plain value"
_RECURSIVE = "an alias refers to itself (recursive structure)"
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_TOO_MANY = f"aliases expand to more than {MAX_ALIAS_VALUES} values; refusing to expand"

Position = tuple[int, int]
#: What building a value records, in document order: ``(kind, path, position, message)``.
#: Recorded rather than stored directly while an anchor or a merge is open, so that an
#: alias can repeat what its anchor recorded (positions, issues, refusals) at its own path.
_Entry = tuple[int, DataPath, Position, str | None]
_V = 0  # a value was built here: its position (and one step against MAX_ALIAS_VALUES)
_X = 1  # a value was built here, but its position is not kept (merged, but key written)
_K = 2  # the position of a mapping key
_I = 3  # an issue; reading goes on
_A = 4  # an issue that ends the file's data (a refused tag, an alias cycle)
_DEAD = 5  # a key position a merge dropped

_DOC, _MAPPING, _SEQUENCE = 0, 1, 2  # what a frame is
_REFUSED = object()  # a scalar the inline path leaves to _Builder._scalar
_KEY, _VALUE, _SKIP, _MERGE_IN = 0, 1, 2, 3  # what a mapping frame expects next
_SUB_SKIP, _SUB_KEY, _SUB_MERGE = 1, 2, 3  # why a node is built aside (see _Frame.sub)


@cache
def _plain_rules(version: tuple[int, int]) -> tuple[dict[str, tuple[Any, ...]], tuple[Any, ...]]:
    """ruamel's implicit resolvers of a YAML version: ``(tag, regex)`` by first character.

    Taken from ruamel's own resolver so its rules stay the rules (`yes` is a string in 1.2,
    `0o17` an int); but asked once, not per scalar: ruamel's resolver works out the YAML
    version again on every call, which was most of the time spent loading a large file.
    """
    table = VersionedResolver(version=version).versioned_resolver
    anywhere = tuple(table.get(None, ()))
    return {c: (*rules, *anywhere) for c, rules in table.items() if c is not None}, anywhere


@dataclass(slots=True)
class _Record:
    """A finished node that an alias may repeat: its value and what building it recorded."""

    value: Any
    entries: list[_Entry]  # paths relative to the node
    pos: Position
    text: str | None = None  # a scalar's text, for an alias used as a mapping key
    tag: str | None = None  # a scalar's resolved tag: an alias to `<<` is a merge key


class _Frame:
    """An open mapping or sequence, or the document holding the root value."""

    __slots__ = (
        "anchor",
        "first",
        "key_path",
        "kind",
        "log_start",
        "merges",
        "path",
        "pos",
        "state",
        "sub",
        "value",
    )

    def __init__(self, kind: int, value: Any, path: DataPath, pos: Position) -> None:
        self.kind = kind
        self.value = value
        self.path = path
        self.pos = pos
        self.state = _KEY
        self.key_path: DataPath = ()
        self.first: dict[str, Position] = {}  # key → where it was first written
        #: What `<<` keys merge, in order: built (or an alias's anchor), merged at the end.
        self.merges: list[tuple[_Record | _Frame, bool]] = []
        self.anchor: str | None = None
        self.log_start = 0
        #: Built aside, what it records dropped when it ends: a duplicate key's value or a
        #: collection used as a key (built for the anchors inside, which an alias may still
        #: use), or a `<<` value (repeated into the merging mapping when that one ends).
        self.sub = 0


class _Abort(Exception):
    """Stops building one file's data; the issue is already recorded."""


class _Builder:
    """Builds plain data and a source map from YAML parser events, with an explicit stack.

    One builder serves the C parser's events and the pure parser's. The rules are those a
    node-graph walk would apply in document order: keys as written, no duplicates, merge
    keys, aliases repeating their anchor's value and positions (within MAX_ALIAS_VALUES),
    core-schema scalars only, and MAX_DEPTH.
    """

    def __init__(self, file: str, constructor: Callable[[], SafeConstructor], pure: bool) -> None:
        self.source = SourceMap(file)
        self.issues: list[ConfigIssue] = []
        self.data: Any = None
        self._values = self.source.values
        self._keys = self.source.keys
        self._make_constructor = constructor  # made when first needed: most files never do
        self._constructor: SafeConstructor | None = None
        self._pure = pure  # events of ruamel's pure parser, not libyaml's
        self._rules, self._anywhere = _plain_rules((1, 2))
        self._fast = True  # 1.2 rules: common values are built here, not by ruamel
        self._typed: dict[str, tuple[str, Any, str | None]] = {}  # plain text → tag, value
        self._stack: list[_Frame] = []
        self._anchors: dict[str, _Frame | _Record | None] = {}
        self._log: list[_Entry] = []
        self._logging = 0  # reasons to record entries instead of storing them
        self._skip = 0  # open frames built aside: refusals are recorded, not final
        self._alias_values = 0
        self._documents = 0
        self._root_mark: Any = None

    # --- driving -----------------------------------------------------------------------

    def run(self, events: Iterable[Any]) -> None:
        """Consume every event; a YAMLError from the parser, or a composer error, escapes."""
        events = iter(events)
        try:
            self._build(events)
        except _Abort:
            self.data = None
            self._drain(events)

    def _build(self, events: Iterator[Any]) -> None:
        stack = self._stack
        values, keys = self._values, self._keys
        rules, anywhere = self._rules, self._anywhere
        # The open frame's fields and whether entries are logged, reloaded after anything
        # not handled inline: the usual scalar is handled here, and it is most events.
        frame = _Frame(_DOC, None, (), (0, 0))
        kind, base, container, first, logging = _DOC, (), None, frame.first, 0
        for event in events:
            cls = type(event)
            if cls is ScalarEvent:
                # `ctag` is the tag as parsed (`tag` is a property converting it again).
                if kind == _MAPPING and not logging:
                    if event.anchor is not None or event.ctag is not None:
                        pass
                    elif frame.state == _KEY:
                        text = event.value
                        if not rules.get(text[:1], anywhere) and text not in first:
                            mark = event.start_mark
                            path = (*base, text)
                            first[text] = keys[path] = (mark.line + 1, mark.column + 1)
                            frame.key_path = path
                            frame.state = _VALUE
                            continue
                        # else maybe `<<`, or a duplicate
                    elif frame.state == _VALUE:
                        value = event.value
                        if event.implicit[0] and rules.get(value[:1], anywhere):
                            value = self._plain_value(value)
                        path = frame.key_path
                        if value is not _REFUSED and len(path) <= MAX_DEPTH:
                            mark = event.start_mark
                            values[path] = (mark.line + 1, mark.column + 1)
                            container[path[-1]] = value
                            frame.state = _KEY
                            continue
                elif (
                    kind == _SEQUENCE
                    and not logging
                    and event.anchor is None
                    and event.ctag is None
                ):
                    value = event.value
                    if event.implicit[0] and rules.get(value[:1], anywhere):
                        value = self._plain_value(value)
                    path = (*base, len(container))
                    if value is not _REFUSED and len(path) <= MAX_DEPTH:
                        mark = event.start_mark
                        values[path] = (mark.line + 1, mark.column + 1)
                        container.append(value)
                        continue
                self._scalar(event, frame)
                continue
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                if logging or frame.merges:
                    self._end(frame)
                else:  # no anchor, merge or skipped value: attach the value to its parent
                    stack.pop()
                    self._attach(stack[-1], container)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                new_kind = _MAPPING if cls is MappingStartEvent else _SEQUENCE
                if kind == _SEQUENCE:
                    path = (*base, len(container))
                elif kind == _MAPPING and frame.state == _VALUE:
                    path = frame.key_path
                else:
                    path = None
                if (
                    path is None
                    or logging
                    or event.anchor is not None
                    or event.ctag is not None
                    or len(path) > MAX_DEPTH
                ):
                    self._start(event, frame, new_kind)
                else:  # the usual collection, a value with no anchor or tag
                    mark = event.start_mark
                    pos = (mark.line + 1, mark.column + 1)
                    values[path] = pos
                    stack.append(_Frame(new_kind, {} if new_kind == _MAPPING else [], path, pos))
            elif cls is AliasEvent:
                self._alias(event, frame)
            elif cls is DocumentStartEvent:
                self._document(event)
                stack.append(_Frame(_DOC, None, (), (0, 0)))
                rules, anywhere = self._rules, self._anywhere  # `%YAML 1.1` may change them
            elif cls is DocumentEndEvent:
                stack.pop()
            elif cls is StreamEndEvent:
                break
            else:
                continue
            if stack:
                frame = stack[-1]
                kind, base, container, first = frame.kind, frame.path, frame.value, frame.first
            logging = self._logging
        if self._log:
            self._flush()

    def _drain(self, events: Iterator[Any]) -> None:
        """After a refusal, read on: a syntax error, undefined alias or second document
        further down is reported instead, as the parser decides those for the whole file."""
        for event in events:
            cls = type(event)
            if cls is AliasEvent:
                self._target(event)
            elif cls is DocumentStartEvent:
                self._document(event)
            elif cls in (ScalarEvent, MappingStartEvent, SequenceStartEvent) and event.anchor:
                self._anchor(event, None)

    def _document(self, event: Any) -> None:
        self._documents += 1
        if self._documents > 1:
            raise ComposerError(
                "expected a single document in the stream",
                self._root_mark,
                "but found another document",
                event.start_mark,
            )
        if self._pure and event.version == (1, 1):
            # The pure parser honours `%YAML 1.1` (as ruamel's loader does); libyaml's
            # events were always read with the 1.2 rules.
            self._rules, self._anywhere = _plain_rules((1, 1))
            self._fast = False

    def _anchor(self, event: Any, node: _Frame | _Record | None) -> None:
        if not self._pure and event.anchor in self._anchors:
            # ruamel's composer lets a later anchor of the same name win; libyaml's refuses
            # it, and then the pure parser decides (it also reads `{*a: 1}` differently).
            raise ComposerError("found duplicate anchor", None, "second occurrence", None)
        self._anchors[event.anchor] = node

    def _target(self, event: Any) -> _Frame | _Record | None:
        try:
            return self._anchors[event.anchor]
        except KeyError:
            msg = f"found undefined alias {event.anchor!r}"
            raise ComposerError(None, None, msg, event.start_mark) from None

    # --- recording ---------------------------------------------------------------------

    def _emit(self, kind: int, path: DataPath, pos: Position, message: str | None = None) -> None:
        if kind == _A and not self._skip:
            self._abort(path, pos, message or "")
        if self._logging:
            self._log.append((kind, path, pos, message))
        elif kind == _V:
            self._values[path] = pos
        elif kind == _K:
            self._keys[path] = pos
        elif kind == _I:
            self.issues.append(self._issue(path, pos, message or ""))

    def _issue(self, path: DataPath, pos: Position, message: str) -> ConfigIssue:
        loc = Location(self.source.file, pos[0], pos[1])
        # Deep paths (nesting, alias bombs) are cut: the line and column say where.
        shown = format_path(path[:4]) + ("..." if len(path) > 4 else "")
        return ConfigIssue(loc, shown, message)

    def _flush(self) -> None:
        values, keys, issues = self._values, self._keys, self.issues
        for kind, path, pos, message in self._log:
            if kind == _V:
                values[path] = pos
            elif kind == _K:
                keys[path] = pos
            elif kind == _I:
                issues.append(self._issue(path, pos, message or ""))
        self._log.clear()

    def _abort(self, path: DataPath, pos: Position, message: str) -> NoReturn:
        # What frames built aside recorded is not theirs to report; the rest is.
        aside = [f.log_start for f in self._stack if f.sub]
        if aside:
            del self._log[min(aside) :]
        self._flush()
        self.issues.append(self._issue(path, pos, message))
        raise _Abort

    def _snapshot(self, frame: _Frame) -> list[_Entry]:
        cut = len(frame.path)
        log = self._log
        return [
            (kind, path[cut:], pos, msg)
            for kind, path, pos, msg in log[frame.log_start :]
            if kind != _DEAD
        ]

    def _replay(self, entries: list[_Entry], base: DataPath, count: bool) -> None:
        """Record ``entries`` again below ``base``: an alias builds its anchor's value anew."""
        emit = self._emit
        check_depth = not self._skip
        for kind, rel, pos, message in entries:
            path = base + rel if rel else base
            if kind in (_V, _X, _A):
                if check_depth and len(path) > MAX_DEPTH:
                    self._abort(path, pos, _TOO_DEEP)
                if count and kind != _A:
                    self._alias_values += 1
                    if self._alias_values > MAX_ALIAS_VALUES:
                        self._abort(path, pos, _TOO_MANY)
            emit(kind, path, pos, message)

    # --- nodes -------------------------------------------------------------------------

    def _scalar(self, event: Any, frame: _Frame) -> None:
        mark = event.start_mark
        pos = (mark.line + 1, mark.column + 1)
        kind = frame.kind
        if kind == _SEQUENCE:
            path = (*frame.path, len(frame.value))
        elif kind == _MAPPING:
            state = frame.state
            if state == _KEY:
                self._key(event, frame, pos)
                return
            if state != _VALUE:  # a skipped value, or `<<: text` (refused at the mapping's end)
                record = self._remember(event, pos, *self._typed_value(event))
                if state == _MERGE_IN:
                    frame.merges.append((record, False))
                frame.state = _KEY
                return
            path = frame.key_path
        else:
            path = ()
            self._root_mark = mark
        tag, value, problem = self._typed_value(event)
        if event.anchor is not None:
            self._remember(event, pos, tag, value, problem)
        if len(path) > MAX_DEPTH and not self._skip:
            self._abort(path, pos, _TOO_DEEP)
        if self._logging:
            self._log.append((_V, path, pos, None))
        else:
            self._values[path] = pos
        if problem is not None:
            self._emit(_A, path, pos, problem)
        self._attach(frame, value)

    def _remember(
        self, event: Any, pos: Position, tag: str, value: Any, problem: str | None
    ) -> _Record:
        """A scalar as an alias would repeat it; remembered if anchored."""
        entries: list[_Entry] = [(_V, (), pos, None)]
        if problem is not None:
            entries.append((_A, (), pos, problem))
        record = _Record(value, entries, pos, event.value, tag)
        if event.anchor is not None:
            self._anchor(event, record)
        return record

    def _typed_value(self, event: Any) -> tuple[str, Any, str | None]:
        """The resolved tag, the value, and why the value is refused (None if it is not)."""
        text: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return _STR, text, None  # quoted or block, not tagged: a string
            if not self._rules.get(text[:1], self._anywhere):
                return _STR, text, None
            return self._typed_plain(text)
        return tag, *self._construct(tag, text)

    def _typed_plain(self, text: str) -> tuple[str, Any, str | None]:
        """``_resolve_plain``, remembered per text: `true`, `null` and ids recur."""
        typed = self._typed.get(text)
        if typed is None:
            typed = self._typed[text] = self._resolve_plain(text)
        return typed

    def _plain_value(self, text: str) -> Any:
        """An untagged plain scalar that may not be a string: its value, or ``_REFUSED``."""
        _, value, problem = self._typed_plain(text)
        return value if problem is None else _REFUSED

    def _resolve_plain(self, text: str) -> tuple[str, Any, str | None]:
        for rule, regex in self._rules.get(text[:1], self._anywhere):
            if regex.match(text):
                tag: str = rule
                break
        else:
            return _STR, text, None
        if self._fast:
            # The common 1.2 forms, built as ruamel's SafeConstructor builds them.
            if tag == _NULL:
                return tag, None, None
            if tag == _BOOL:
                return tag, text[0] in "tT", None
            if tag == _INT and text.isdigit():
                try:
                    return tag, int(text), None
                except ValueError:  # more digits than Python converts: refused below
                    pass
        return tag, *self._construct(tag, text)

    def _construct(self, tag: str, text: str) -> tuple[Any, str | None]:
        if tag in _TEXT_TAGS:
            return text, None
        if tag not in _SCALAR_TAGS:
            return None, f"unsupported YAML tag '{_short_tag(tag)}'"
        if self._constructor is None:
            self._constructor = self._make_constructor()
        try:
            node = ScalarNode(tag, text, None, None)
            return self._constructor.construct_object(node, deep=True), None
        except Exception:  # the tag says int/float/bool but the text is not one
            return None, f"cannot read {text!r} as {tag[len(_TAG) :]}"

    def _key(self, event: Any, frame: _Frame, pos: Position) -> None:
        tag, value, problem = self._typed_value(event)
        if event.anchor is not None:
            self._remember(event, pos, tag, value, problem)
        self._add_key(frame, event.value, tag, pos)

    def _add_key(self, frame: _Frame, key: str, tag: str | None, pos: Position) -> None:
        if tag == _MERGE:
            frame.state = _MERGE_IN
            return
        # Keys are taken as written: `1:` or `true:` as keys are names, not numbers.
        path = (*frame.path, key)
        first = frame.first.get(key)
        if first is not None:
            msg = f"duplicate key '{key}'; first defined at line {first[0]}, column {first[1]}"
            self._emit(_I, path, pos, msg)
            frame.state = _SKIP
            return
        frame.first[key] = pos
        if self._logging:
            self._log.append((_K, path, pos, None))
        else:
            self._keys[path] = pos
        frame.key_path = path
        frame.state = _VALUE

    def _start(self, event: Any, frame: _Frame, kind: int) -> None:
        mark = event.start_mark
        pos = (mark.line + 1, mark.column + 1)
        sub = 0
        if frame.kind == _SEQUENCE:
            path = (*frame.path, len(frame.value))
        elif frame.kind == _DOC:
            path = ()
            self._root_mark = mark
        elif frame.state == _VALUE:
            path = frame.key_path
        elif frame.state == _KEY:
            self._emit(_I, frame.path, pos, _NOT_PLAIN_KEY)
            path, sub = frame.path, _SUB_KEY
        elif frame.state == _SKIP:
            path, sub = frame.key_path, _SUB_SKIP
        else:  # `<<: {...}` or `<<: [...]`: built aside at the merging path, merged at its end
            path, sub = frame.path, _SUB_MERGE
        new = _Frame(kind, {} if kind == _MAPPING else [], path, pos)
        new.log_start = len(self._log)
        if sub:
            new.sub = sub
            self._skip += 1
            self._logging += 1
        if event.anchor is not None:
            new.anchor = event.anchor
            self._anchor(event, new)  # open: an alias to it now is a cycle
            self._logging += 1
        self._stack.append(new)
        if len(path) > MAX_DEPTH and not self._skip:
            self._abort(path, pos, _TOO_DEEP)
        self._emit(_V, path, pos)
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if kind == _MAPPING else _SEQ):
            self._emit(_A, path, pos, f"unsupported YAML tag '{_short_tag(tag)}'")

    def _end(self, frame: _Frame) -> None:
        if frame.merges:
            self._merge(frame)
        self._stack.pop()
        # Still the anchor's node unless a later anchor of the same name took it over.
        anchored = frame.anchor is not None and self._anchors[frame.anchor] is frame
        record = None
        if frame.sub or anchored:
            record = _Record(frame.value, self._snapshot(frame), frame.pos)
        if frame.anchor is not None:
            if anchored:
                self._anchors[frame.anchor] = record
            self._logging -= 1
        parent = self._stack[-1]
        if frame.sub:
            del self._log[frame.log_start :]  # built aside: nothing of it is kept
            self._skip -= 1
            self._logging -= 1
            if frame.sub == _SUB_MERGE and record is not None:
                parent.merges.append((record, False))  # its aliases counted as it was built
            parent.state = _SKIP if frame.sub == _SUB_KEY else _KEY
        else:
            self._attach(parent, frame.value)
        if not self._logging and self._log:
            self._flush()

    def _attach(self, parent: _Frame, value: Any) -> None:
        if parent.kind == _SEQUENCE:
            parent.value.append(value)
        elif parent.kind == _MAPPING:
            parent.value[parent.key_path[-1]] = value
            parent.state = _KEY
        else:
            self.data = value

    def _alias(self, event: Any, frame: _Frame) -> None:
        target = self._target(event)
        if frame.kind == _SEQUENCE:
            path = (*frame.path, len(frame.value))
        elif frame.kind == _DOC:
            path = ()
            self._root_mark = event.start_mark
        elif frame.state == _VALUE:
            path = frame.key_path
        elif frame.state == _KEY:
            if isinstance(target, _Record) and target.text is not None:
                self._add_key(frame, target.text, target.tag, target.pos)
            else:
                self._emit(_I, frame.path, _pos_of(target), _NOT_PLAIN_KEY)
                frame.state = _SKIP
            return
        elif frame.state == _SKIP:
            frame.state = _KEY
            return
        else:  # `<<: *x`
            if target is not None:
                frame.merges.append((target, True))
            frame.state = _KEY
            return
        if isinstance(target, _Record):
            # The anchored value itself is reused: nothing changes loaded data in place.
            self._replay(target.entries, path, count=True)
            self._attach(frame, target.value)
        else:
            self._cycle(path, _pos_of(target))
            # Never loaded (the cycle is refused wherever it is used), but a `<<` list sees
            # whether the alias named a mapping.
            self._attach(frame, {} if target is not None and target.kind == _MAPPING else [])

    def _cycle(self, path: DataPath, pos: Position) -> None:
        """An alias to a collection still open: the value would contain itself."""
        if len(path) > MAX_DEPTH and not self._skip:
            self._abort(path, pos, _TOO_DEEP)
        self._emit(_A, path, pos, _RECURSIVE)

    def _merge(self, frame: _Frame) -> None:
        """Merge what `<<` keys name once the mapping has ended, as a node graph would be
        merged: keys written in the mapping win over merged ones, and earlier merged mappings
        over later ones; a merged value keeps the positions of the mapping it came from."""
        self._logging += 1  # entries of merged values are kept only for keys that merge
        ranges: list[tuple[int, int, dict[str, Any]]] = []
        for target, count in frame.merges:
            if not isinstance(target, _Record):
                self._cycle(frame.path, target.pos)  # `<<: *self` inside itself
                continue
            for entries, mapping in self._merged_mappings(target, frame.path):
                start = len(self._log)
                self._replay(entries, frame.path, count)
                ranges.append((start, len(self._log), mapping))
        result = frame.value
        cut = len(frame.path)
        log = self._log
        for start, end, mapping in ranges:
            added = {k for k in mapping if k not in result}
            result.update((k, v) for k, v in mapping.items() if k in added)
            for i in range(start, end):
                kind, path, pos, message = log[i]
                if kind in (_V, _K) and (len(path) <= cut or path[cut] not in added):
                    log[i] = (_X if kind == _V else _DEAD, path, pos, message)
        self._logging -= 1

    def _merged_mappings(
        self, record: _Record, path: DataPath
    ) -> Iterator[tuple[list[_Entry], dict[str, Any]]]:
        """The mappings a `<<` value merges, each with its entries, in order; anything else
        is refused when reached."""
        value = record.value
        if isinstance(value, dict):
            yield record.entries, value
        elif isinstance(value, list):
            # `<<: [*a, *b]`: each mapping of the list merges; the list itself is no value.
            items: list[list[_Entry]] = [[] for _ in value]
            for kind, rel, pos, message in record.entries:
                if rel:
                    items[rel[0]].append((kind, rel[1:], pos, message))  # type: ignore[index]
            for entries, item in zip(items, value, strict=True):
                if isinstance(item, dict):
                    yield entries, item
                else:
                    self._emit(_I, path, record.pos, _MUST_MERGE)
        else:
            self._emit(_I, path, record.pos, _MUST_MERGE)


def _pos_of(target: _Frame | _Record | None) -> Position:
    return (0, 0) if target is None else target.pos


def _load(text: str, display: str) -> _Builder:
    """Build ``text``'s data from libyaml's events, or from the pure parser's if anything is
    refused on the way (a syntax error, or what ruamel's composer refuses: an undefined alias,
    a second document): libyaml is about 5x faster, but stricter in places YAML 1.2 is not
    (`{at: 08:00}`), so the pure parser decides, and words the error the same way every time.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ruamel's notes on YAML 1.1 floats are not for users
        if CParser is not None:
            builder = _Builder(display, _constructor_12, pure=False)
            try:
                builder.run(iter(CParser(io.StringIO(text)).get_event, None))
                return builder
            except YAMLError:
                pass
        yaml = YAML(typ="safe", pure=True)
        builder = _Builder(display, lambda: yaml.constructor, pure=True)
        builder.run(yaml.parse(io.StringIO(text)))
        return builder


def _constructor_12() -> SafeConstructor:
    """A SafeConstructor that reads with the YAML 1.2 rules, as libyaml's events were."""
    return YAML(typ="safe", pure=True).constructor
