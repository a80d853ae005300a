"""``domogov export``: read the directory once, let every kind write its section, then the
project file. Kinds are reached only through ``KindBase.export`` and ``ExportSession``."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml.comments import CommentedMap

from domogov.config.project import ProjectSpec
from domogov.errors import BadRequestError, NotFoundError, PermissionDeniedError, UsageError
from domogov.export import discover
from domogov.export.files import PART_SIZE, Writer, file_name, part_name
from domogov.resources import ALL_KINDS, KINDS_BY_NAME, KINDS_BY_SECTION
from domogov.resources.context import LiveContext, as_int
from domogov.resources.directory import load_directory
from domogov.spec.types import check_dataset_id

#: Every section, in plan order (the registry's).
SECTIONS: tuple[str, ...] = tuple(k.section for k in ALL_KINDS)
#: A search the instance refuses (not served, not allowed, a filter it does not know).
SEARCH_REFUSED = (BadRequestError, NotFoundError, PermissionDeniedError)


class Progress(Protocol):
    """Progress of one step at a time (a bar on a terminal, nothing elsewhere)."""

    def start(self, what: str, total: int | None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


class NoProgress:
    """Progress that shows nothing."""

    def start(self, what: str, total: int | None) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


@dataclass
class ExportOptions:
    """What to export, and where."""

    out: Path
    sections: tuple[str, ...] = SECTIONS
    datasets: tuple[str, ...] = ()
    all_datasets: bool = False
    include_builtin: bool = False
    #: Written into a new domogov.yaml (the instance exported from), when known.
    instance: str | None = None
    #: How headers name the source: the instance, the base URL or "sandbox".
    source: str = ""


@dataclass
class ExportResult:
    """What was written, and what could not be."""

    #: (file relative to out, objects written, what they are)
    files: list[tuple[str, int, str]] = field(default_factory=list)
    project_written: bool = False
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """``group,dataset_share`` (or section names) -> sections in plan order; None: all."""
    if not text:
        return SECTIONS
    chosen = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        kind = KINDS_BY_NAME.get(word) or KINDS_BY_SECTION.get(word)
        if kind is None:
            valid = ", ".join(KINDS_BY_NAME)
            raise UsageError(f"unknown kind {word!r} in --kinds; valid: {valid}")
        chosen.add(kind.section)
    return tuple(s for s in SECTIONS if s in chosen)


class Session:
    """One export run: what ``ExportSession`` promises the kinds, and the result."""

    def __init__(self, ctx: LiveContext, options: ExportOptions, progress: Progress) -> None:
        self.ctx = ctx
        self.opts = options
        self.progress = progress
        self.writer = Writer(options.out, options.source, SECTIONS)
        self.result = ExportResult()
        self._warnings: list[str] = []
        self._protect: dict[str, list[str]] = {}
        self._settings: dict[str, str] = {}
        self._project_notes: list[str] = []
        #: Sections that asked for datasets when none were named, and what they add.
        self._unnamed: list[tuple[str, str]] = []
        self._datasets: dict[str, str | None] | None = None
        self._datasets_read = False
        self._cards: dict[int, str] | None = None
        self._pages: dict[int, str] | None = None

    # --- ExportSession ----------------------------------------------------------------------

    @property
    def include_builtin(self) -> bool:
        return self.opts.include_builtin

    @property
    def part_size(self) -> int:
        return PART_SIZE

    @property
    def warnings(self) -> list[str]:
        return self._warnings

    def wants(self, section: str) -> bool:
        return section in self.opts.sections

    def start(self, what: str, total: int | None) -> None:
        self.progress.start(what, total)

    def advance(self, count: int = 1) -> None:
        self.progress.advance(count)

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    def write(self, section: str, nodes: list[CommentedMap], notes: list[str], what: str) -> None:
        rel = file_name(section)
        self.writer.write_section(rel, section, nodes, notes)
        self.result.files.append((rel, len(nodes), what))

    def write_part(
        self, section: str, number: int, nodes: list[CommentedMap], notes: list[str], what: str
    ) -> None:
        rel = part_name(section, number)
        self.writer.write_section(rel, section, nodes, notes)
        self.result.files.append((rel, len(nodes), what))

    def end_parts(self, section: str, count: int) -> None:
        self.writer.remove_parts_after(section, count)

    def protect(self, section: str, names: list[str], why: str = "") -> None:
        self._protect.setdefault(section, []).extend(names)
        if why:
            self._project_notes.append(why)

    def setting(self, key: str, value: str, why: str = "") -> None:
        self._settings[key] = value
        if why:
            self._project_notes.append(why)

    async def datasets(self, section: str, *, unnamed: str = "") -> dict[str, str | None] | None:
        if not self.opts.datasets and not self.opts.all_datasets:
            self._unnamed.append((section, unnamed))
            return None
        if not self._datasets_read:
            self._datasets = await self._find_datasets()
            self._datasets_read = True
        return self._datasets

    async def cards(self) -> dict[int, str]:
        if self._cards is None:
            try:
                search = await discover.find_all(self.ctx.client, "card")
            except SEARCH_REFUSED as exc:
                self._warnings.append(
                    f"cards: the search API refused the query ({exc}); no card is exported"
                )
                self._cards = {}
                return self._cards
            self._warnings.extend(search.warnings)
            cards: dict[int, str] = {}
            for ident, name in search.found.items():
                card = as_int(ident)
                if card is not None and card > 0:
                    cards[card] = name
            self._cards = dict(sorted(cards.items()))
        return self._cards

    async def pages(self) -> dict[int, str]:
        if self._pages is None:
            self._pages = await self._find_numbered("page")
        return self._pages

    async def _find_numbered(self, entity: str) -> dict[int, str]:
        """Every ``entity`` with a numeric id the search API finds, by id, with its name."""
        try:
            search = await discover.find_all(self.ctx.client, entity)
        except SEARCH_REFUSED as exc:
            self._warnings.append(
                f"{entity}s: the search API refused the query ({exc}); no {entity} is exported"
            )
            return {}
        self._warnings.extend(search.warnings)
        found: dict[int, str] = {}
        for ident, name in search.found.items():
            number = as_int(ident)
            if number is not None and number > 0:
                found[number] = name
        return dict(sorted(found.items()))

    # --- the run ----------------------------------------------------------------------------

    async def _find_datasets(self) -> dict[str, str | None]:
        """The datasets named, or all the search API lists, sorted by id, with names."""
        if self.opts.datasets:
            ids = sorted(set(self.opts.datasets))
            names: dict[str, str] = {}
            # Names for the comments, one query for 100 datasets (instead of a metadata read
            # each); refused, the kinds read the names they need another way, or go without.
            with contextlib.suppress(*SEARCH_REFUSED):
                names = (await discover.find_ids(self.ctx.client, "dataset", ids)).found
            lower = {k.lower(): v for k, v in names.items()}
            return {d: lower.get(d) or None for d in ids}
        self.progress.start("Finding datasets", None)
        search = await discover.find_all(self.ctx.client, "dataset", self.progress.advance)
        self._warnings.extend(search.warnings)
        found: dict[str, str | None] = {}
        for ident, name in search.found.items():
            try:
                found[check_dataset_id(ident)] = name or None
            except ValueError:  # pydantic's error type is a ValueError
                self._warnings.append(
                    f"dataset {ident!r}: found by search, but not a dataset id; not exported"
                )
        self.note(
            f"--all-datasets: {len(found)} dataset(s) found through the search API "
            f"({search.queries} search request(s))"
        )
        return dict(sorted(found.items()))

    async def run(self) -> ExportResult:
        self.progress.start("Reading users, groups and roles", None)
        await load_directory(self.ctx)
        self.opts.out.mkdir(parents=True, exist_ok=True)
        self.writer.write_schema()
        for kind in ALL_KINDS:
            # Every kind is asked, wanted or not: it writes its section only when wanted, but
            # may add to the project file either way (the role kind protects built-in roles).
            await kind.export(self.ctx, self)
        if self._unnamed:
            sections = " and ".join(s for s, _ in self._unnamed)
            extra = "".join(f"; {e}" for _, e in self._unnamed if e)
            self.note(
                f"{sections}: no datasets named (pass --datasets ID,... or --all-datasets){extra}"
            )
        self.result.project_written = self.writer.write_project(
            self._protect, self._settings, self.opts.instance, self._project_notes
        )
        written = {rel for rel, _, _ in self.result.files}
        others = self.writer.other_manifests(written)
        if others:
            self.note(
                f"{self.opts.out} holds other manifests, planned together with the export: "
                + ", ".join(others)
            )
        self.result.warnings = list(dict.fromkeys([*self._warnings, *self.ctx.warnings]))
        return self.result


async def export_instance(
    client: Any, options: ExportOptions, progress: Progress | None = None
) -> ExportResult:
    """Write the live state of ``client``'s instance under ``options.out``."""
    ctx = LiveContext(client=client, project=ProjectSpec())
    return await Session(ctx, options, progress or NoProgress()).run()
