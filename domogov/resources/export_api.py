"""What a kind may ask of a ``domogov export`` run, and the node helpers every kind shares.

A kind's ``export`` (``KindBase.export``) reads its live objects with its own reads and
normalisation (so a later plan compares the manifest with the very same values), builds one
``CommentedMap`` per object with its keys in the model's field order, validates it with its
spec model, and hands the nodes to the run through ``ExportSession``. The run owns the files,
the progress display, the options and the discovery of datasets and cards (the search API).

The helpers live here, beside the protocol, rather than in ``domogov.export``: the export
package imports the kinds' registry, so kinds importing it back would make an import cycle.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.spec.types import check_name, normalise_email

#: Where the first key of a list entry starts: `  - key:` (section, dash, space).
ITEM_INDENT = 4
COMMENT_MAX = 120


class ExportSession(Protocol):
    """One export run, as the kinds see it."""

    @property
    def include_builtin(self) -> bool:
        """``--include-builtin``: also built-in roles and Domo-managed groups."""
        ...

    @property
    def part_size(self) -> int:
        """How many objects one numbered part file holds (and one read holds at once)."""
        ...

    @property
    def warnings(self) -> list[str]:
        """Objects not exported, and why; shown after the run."""
        ...

    def wants(self, section: str) -> bool:
        """Whether ``--kinds`` asks for this section (every kind is asked, wanted or not)."""
        ...

    def start(self, what: str, total: int | None) -> None:
        """Progress: a new step of ``total`` items (None: unknown)."""
        ...

    def advance(self, count: int = 1) -> None:
        """Progress: ``count`` more items done."""
        ...

    def note(self, text: str) -> None:
        """A note for the user about what was (not) exported."""
        ...

    def write(self, section: str, nodes: list[CommentedMap], notes: list[str], what: str) -> None:
        """Write ``section``'s one file (``<section>.yaml``); ``notes`` head the file."""
        ...

    def write_part(
        self, section: str, number: int, nodes: list[CommentedMap], notes: list[str], what: str
    ) -> None:
        """Write numbered part ``number`` (from 1) of ``section`` (``<section>/part-NNN.yaml``)."""
        ...

    def end_parts(self, section: str, count: int) -> None:
        """``count`` parts were written: delete higher-numbered ones an earlier export left."""
        ...

    def protect(self, section: str, names: list[str], why: str = "") -> None:
        """Names the project file (when export writes it) protects in ``section``; ``why``
        heads the file."""
        ...

    def setting(self, key: str, value: str, why: str = "") -> None:
        """A top-level setting of the project file (when export writes it)."""
        ...

    async def datasets(self, section: str, *, unnamed: str = "") -> dict[str, str | None] | None:
        """The datasets to export (``--datasets``, or all the search API finds with
        ``--all-datasets``), sorted by id, with their names where known; None when none were
        asked for (the run then notes it for ``section``, adding ``unnamed``)."""
        ...

    async def cards(self) -> dict[int, str]:
        """Every card the search API finds, by id, with its title."""
        ...

    async def pages(self) -> dict[int, str]:
        """Every page the search API finds, by id, with its title."""
        ...


def comment_text(text: Any) -> str:
    """One line of comment: newlines folded, long names cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= COMMENT_MAX else line[: COMMENT_MAX - 3] + "..."


def add_comment(node: CommentedMap, key: str, text: Any) -> None:
    """``key: value  # text`` on the first key of a list entry (two spaces before the #)."""
    line = comment_text(text)
    if not line:
        return
    column = ITEM_INDENT + len(key) + 2 + len(str(node[key])) + 2
    node.yaml_add_eol_comment(line, key, column=column)


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or value.startswith("user-id:"):
        return None
    try:
        email: str = normalise_email(value)
    except ValueError:  # pydantic's custom errors are ValueErrors
        return None
    return email


def _name(value: Any) -> str | None:
    try:
        name: str = check_name(value)
    except ValueError:  # pydantic's custom errors are ValueErrors
        return None
    return name


def emails(values: list[Any]) -> CommentedSeq | None:
    """The emails as a list, or None when one of them cannot be written (an id without email)."""
    out = [_email(v) for v in values]
    return None if any(e is None for e in out) else CommentedSeq(out)


def principal(label: str, *, outside_email: bool = False) -> CommentedMap | None:
    """``group:Finance`` -> ``{group: Finance}``; None for a principal known only by id."""
    kind, _, name = label.partition(":")
    if kind == "group" and _name(name) is not None:
        return CommentedMap(group=name)
    if kind == "user" and (email := _email(name)) is not None:
        return CommentedMap(user=email)
    if kind == "email" and outside_email and (email := _email(name)) is not None:
        return CommentedMap(email=email)
    return None


def principals(labels: list[str], *, outside_email: bool = False) -> CommentedSeq | None:
    """Each label as a principal node, or None when one of them cannot be written."""
    out = [principal(label, outside_email=outside_email) for label in labels]
    return None if any(p is None for p in out) else CommentedSeq(out)


def valid(model: type[BaseModel], node: CommentedMap, what: str, warnings: list[str]) -> bool:
    """Whether the node loads as ``model``; if not, a warning says why it is left out."""
    try:
        model.model_validate(node)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        warnings.append(f"{what}: not exported: {where}: {first['msg']}")
        return False
    return True


def unwritable(key: str, what: str, warnings: list[str]) -> None:
    """A collection left out (so unmanaged) because an entry has no email or name."""
    warnings.append(
        f"{what}: '{key}' not exported (an entry is known to Domo only by id, or has an "
        "address the manifests cannot hold); it stays unmanaged"
    )


def by_name(name: str) -> tuple[str, str]:
    """Sort key of names: case-insensitive first, so a re-export keeps its order."""
    return (name.casefold(), name)


def unique_names(names: list[str], what: str, warnings: list[str]) -> list[str]:
    """Names sorted, keeping the first of names equal without regard to case.

    The loader refuses two objects whose names differ only in case (Domo treats them as one).
    """
    seen: dict[str, str] = {}
    out = []
    for name in sorted(names, key=by_name):
        first = seen.get(name.casefold())
        if first is not None:
            warnings.append(
                f"{what} {name!r}: not exported: its name differs from {first!r} only in case"
            )
            continue
        seen[name.casefold()] = name
        out.append(name)
    return out
