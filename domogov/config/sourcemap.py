"""Where every value of one manifest file came from: data path → file:line:col."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domogov.errors import Location

#: A path into the data of one file: mapping keys (str) and list indexes (int).
DataPath = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """``("groups", 1, "members")`` → ``groups[1].members`` (indexes are 0-based)."""
    text = ""
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        else:
            # A key from the user's file may hold anything: keep the message on one line.
            key = seg if seg.isprintable() else repr(seg)
            text += f".{key}" if text else key
    return text


@dataclass
class SourceMap:
    """The positions of one file's values (``values``) and mapping keys (``keys``), 1-based."""

    file: str
    values: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DataPath, tuple[int, int]] = field(default_factory=dict)

    def resolve(self, path: Sequence[str | int]) -> DataPath:
        """The longest known prefix of ``path``, spelled as written in the file.

        Tolerates the two spellings of a collection: a model path says ``members.items[2]``
        whether the file used the long form (``items`` present) or the short form (a list).
        """
        cur: DataPath = ()
        for i, seg in enumerate(path):
            if (*cur, seg) in self.values:
                cur = (*cur, seg)
            elif seg == "items" and i + 1 < len(path) and (*cur, path[i + 1]) in self.values:
                pass  # short form: the list itself stands where "items" would be
            elif isinstance(seg, int) and (*cur, "items", seg) in self.values:
                cur = (*cur, "items", seg)  # long form reached through a short-form path
            else:
                break
        return cur

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """The nearest known location of ``path``; with ``key``, the key's own position."""
        cur = self.resolve(path)
        pos = self.keys.get(cur) if key else None
        if pos is None:
            pos = self.values.get(cur)
        if pos is None:
            return Location(self.file)
        return Location(self.file, pos[0], pos[1])
