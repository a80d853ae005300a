"""``domogov export``: read live state kind by kind and write it as manifests plan agrees with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from domogov.config.models import KIND_NAMES, SECTIONS
from domogov.config.project import ProjectSpec
from domogov.errors import UsageError
from domogov.export import build, read
from domogov.export.files import FILES, PART_SIZE, Writer, part_name
from domogov.resources.context import LiveContext


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
    by_word = {**{s: s for s in SECTIONS}, **{k: s for s, k in KIND_NAMES.items()}}
    chosen = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if word not in by_word:
            valid = ", ".join(KIND_NAMES.values())
            raise UsageError(f"unknown kind {word!r} in --kinds; valid: {valid}")
        chosen.add(by_word[word])
    return tuple(s for s in SECTIONS if s in chosen)


class _Export:
    """One export run: a live context read once, then one kind after another."""

    def __init__(self, client: Any, options: ExportOptions, progress: Progress) -> None:
        self.ctx = LiveContext(client=client, project=ProjectSpec())
        self.opts = options
        self.progress = progress
        self.writer = Writer(options.out, options.source)
        self.result = ExportResult()
        self.warnings: list[str] = []
        self.index: read.AlertIndex | None = None
        self.certified: list[tuple[str, str | int, str]] = []

    def wants(self, section: str) -> bool:
        return section in self.opts.sections

    def write(self, section: str, items: list[Any], what: str, notes: list[str]) -> None:
        rel = FILES[section]
        self.writer.write_section(rel, section, items, notes)
        self.result.files.append((rel, len(items), what))

    async def run(self) -> ExportResult:
        self.progress.start("Reading users, groups and roles", None)
        await self.ctx.load_directory()
        self.opts.out.mkdir(parents=True, exist_ok=True)
        self.writer.write_schema()
        if self.wants("groups"):
            self.groups()
        if self.wants("roles"):
            await self.roles()
        datasets = self.wants("dataset_shares") or self.wants("certifications")
        if (
            self.wants("alerts")
            or self.wants("certifications")
            or (datasets and self.opts.all_datasets)
        ):
            self.progress.start("Reading alerts", None)
            self.index = await read.alert_index(self.ctx)
        if self.wants("alerts"):
            self.alerts()
        if datasets:
            await self.datasets()
        if self.wants("certifications"):
            await self.certifications()
        if self.wants("report_schedules"):
            await self.schedules()
        self.project()
        written = {rel for rel, _, _ in self.result.files}
        others = self.writer.other_manifests(written)
        if others:
            self.result.notes.append(
                f"{self.opts.out} holds other manifests, planned together with the export: "
                + ", ".join(others)
            )
        self.result.warnings = list(dict.fromkeys([*self.warnings, *self.ctx.warnings]))
        return self.result

    def groups(self) -> None:
        self.progress.start("Groups", len(self.ctx.groups_by_name))
        nodes = []
        for group in read.groups(self.ctx, self.warnings):
            node = build.group_node(group, self.opts.include_builtin, self.warnings)
            if node is not None:
                nodes.append(node)
            self.progress.advance()
        notes = ["Sorted by name; members and owners by email."]
        if not self.opts.include_builtin:
            notes.append(
                "Dynamic, directory and system groups are left out (Domo manages their "
                "members); `--include-builtin` adds them."
            )
        self.write("groups", nodes, "groups", notes)

    async def roles(self) -> None:
        builtin = {rid for rid in build.BUILTIN_ROLES if rid in self.ctx.roles_by_id}
        names = [
            r["name"]
            for rid, r in self.ctx.roles_by_id.items()
            if self.opts.include_builtin or rid not in builtin
        ]
        names = read.unique_names(names, "role", self.warnings)
        self.progress.start("Roles", len(names))
        nodes = []
        for role in await read.roles(self.ctx, names):
            node = build.role_node(role, self.warnings)
            if node is not None:
                nodes.append(node)
        self.progress.advance(len(names))
        notes = ["Sorted by name; authorities by name, users by email."]
        if not self.opts.include_builtin:
            notes.append(
                "The built-in roles (Admin, Privileged, Editor, Participant, Social) are left "
                "out and protected in domogov.yaml; `--include-builtin` adds them."
            )
        self.write("roles", nodes, "roles", notes)

    def alerts(self) -> None:
        assert self.index is not None
        nodes = []
        for aid in sorted(self.index.alerts):
            about = self.index.about.get(aid, "")
            node = build.alert_node(self.index.alerts[aid], about, self.warnings)
            if node is not None:
                nodes.append(node)
        notes = ["Sorted by id; each subscriber list is authoritative."]
        self.write("alerts", nodes, "alerts", notes)

    def dataset_ids(self) -> list[str] | None:
        """The datasets to read, sorted; None when none were asked for."""
        if self.opts.datasets:
            return sorted(set(self.opts.datasets))
        if self.opts.all_datasets:
            assert self.index is not None
            self.result.notes.append(
                "--all-datasets: Domo's documented API has no list of datasets; exported the "
                f"{len(self.index.datasets)} dataset(s) that alerts watch (name others with "
                "--datasets ID,...)"
            )
            return sorted(self.index.datasets)
        return None

    async def datasets(self) -> None:
        ids = self.dataset_ids()
        shares = self.wants("dataset_shares")
        if ids is None:
            kinds = " and ".join(s for s in ("dataset_shares", "certifications") if self.wants(s))
            self.result.notes.append(
                f"{kinds}: no datasets named (pass --datasets ID,... or --all-datasets)"
                + ("; certifications lists cards only" if self.wants("certifications") else "")
            )
            return
        self.progress.start("Datasets", len(ids))
        parts = 0
        # One part at a time: at most PART_SIZE datasets' permissions are held at once.
        for start in range(0, len(ids), PART_SIZE):
            chunk = ids[start : start + PART_SIZE]
            live = await read.datasets(self.ctx, chunk)
            for missing in (d for d in chunk if d not in live):
                self.warnings.append(f"dataset {missing}: not found in Domo; not exported")
            if self.wants("certifications"):
                keys = [{"dataset": d} for d in chunk if d in live]
                for key in sorted(await read.certified(self.ctx, keys)):
                    ident = key.removeprefix("dataset.")
                    self.certified.append(("dataset", ident, live[ident].get("name") or ""))
            if shares and live:
                nodes = [build.share_node(live[d], self.warnings) for d in chunk if d in live]
                nodes = [n for n in nodes if n is not None]
                parts += 1
                rel = part_name(parts)
                notes = [
                    f"Datasets {start + 1}-{start + len(chunk)} of {len(ids)}, by id; each "
                    "grants list is authoritative (the owner is not a grant)."
                ]
                self.writer.write_section(rel, "dataset_shares", nodes, notes)
                self.result.files.append((rel, len(nodes), "dataset shares"))
            self.progress.advance(len(chunk))
        if shares:
            self.writer.remove_parts_after(parts)

    async def certifications(self) -> None:
        assert self.index is not None
        cards = sorted(self.index.cards)
        self.progress.start("Certifications", len(cards))
        for key in sorted(await read.certified(self.ctx, [{"card": c} for c in cards])):
            card = int(key.removeprefix("card."))
            self.certified.append(("card", card, self.index.cards.get(card, "")))
        self.progress.advance(len(cards))
        nodes = [build.certification_node(t, i, n, self.warnings) for t, i, n in self.certified]
        notes = [
            "Certified datasets (of those exported) and cards (of those alerts watch); only "
            "certified objects are listed, others stay unmanaged."
        ]
        self.write("certifications", [n for n in nodes if n is not None], "certifications", notes)

    async def schedules(self) -> None:
        self.progress.start("Report schedules", None)
        nodes = []
        for sched in await read.schedules(self.ctx, self.warnings):
            node = build.schedule_node(sched, self.warnings)
            if node is not None:
                nodes.append(node)
        notes = ["Sorted by title; each recipients list is authoritative."]
        self.write("report_schedules", nodes, "report schedules", notes)

    def project(self) -> None:
        roles = self.ctx.roles_by_id
        protected = [roles[i]["name"] if i in roles else n for i, n in build.BUILTIN_ROLES.items()]
        default = roles[4]["name"] if 4 in roles else build.BUILTIN_ROLES[4]
        self.result.project_written = self.writer.write_project(
            protected, default, self.opts.instance
        )


async def export_instance(
    client: Any, options: ExportOptions, progress: Progress | None = None
) -> ExportResult:
    """Write the live state of ``client``'s instance under ``options.out``."""
    return await _Export(client, options, progress or NoProgress()).run()
