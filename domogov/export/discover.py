"""Finding datasets and cards through the Search Product API (``POST /api/search/v1/query``).

Domo documents no list of datasets or cards; the search API lists both (entity ``dataset``,
``card``), ``count``/``offset`` paged. 001: "The count and offset can only be used to return a
total of 10,000 records", so a query matching more is cut at record 10,000 (and an offset past
it refused). Larger instances are read in partitions of at most 10,000 each: a ``wildcard``
filter on the first characters of ``databaseId`` (the field 001's filter example names).
Dataset ids are UUIDs and card ids numbers, so 16 hex characters split a partition; one more
partition, the same prefix with the 16 longer prefixes in ``notFilters``, catches any id that
continues with another character (or ends there), so the partitions together hold every
object exactly once. A partition still above 10,000 is split again, one character deeper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domogov.errors import ResponseFormatError

SEARCH = "/api/search/v1/query"
#: The documented examples ask for 100 a page; paging follows what comes back, so a Domo
#: that answers fewer per page is read to the end all the same.
PAGE = 100
#: 001's "Known Limits": no query reaches past this many records.
MAX_RECORDS = 10_000
ID_FIELD = "databaseId"
#: What ids start with: UUID characters for datasets (digits for cards).
ALPHABET = "0123456789abcdef"
#: 16**6 partitions of 10,000: far beyond any instance; a bound on a search that keeps counting.
MAX_DEPTH = 6
FIELDS = ["entityType", ID_FIELD, "name", "title"]


def _wildcard(prefix: str) -> dict[str, Any]:
    return {"filterType": "wildcard", "field": ID_FIELD, "query": f"{prefix}*"}


def _id(row: dict[str, Any]) -> str:
    return str(row.get(ID_FIELD, "")).lower()


@dataclass
class Search:
    """One entity's search: every object found, by id, with its name."""

    client: Any
    entity: str
    #: Called with the number of objects each page brings (progress).
    on_page: Callable[[int], None] = lambda count: None
    found: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    queries: int = 0
    #: Partitions still allowed to split (set from the first count): an answer that counts
    #: more than 10,000 under every prefix must not make the search walk 16**6 partitions.
    splits_left: int | None = None
    #: False once an answer shows the wildcard filter is not applied: partitions would repeat
    #: one another, so the search stops after reading what one query reaches.
    partitionable: bool = True

    async def query(
        self, filters: list[dict[str, Any]], excluded: list[dict[str, Any]], offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page: (total count of matches, the page's objects)."""
        body: dict[str, Any] = {
            "query": "*",
            "entityList": [[self.entity]],
            "count": PAGE,
            "offset": offset,
            "filters": filters,
            # A stable order, so consecutive pages neither skip nor repeat objects.
            "sort": {"fieldSorts": [{"field": ID_FIELD, "sortOrder": "ASC"}], "isRelevance": False},
            "fieldsToReturn": FIELDS,
        }
        if excluded:
            body["notFilters"] = excluded
        self.queries += 1
        # A query changes nothing: retried like a read.
        answer = await self.client.post(SEARCH, json=body, idempotent=True)
        total = answer.get("totalResultCount") if isinstance(answer, dict) else None
        rows = answer.get("searchObjects") if isinstance(answer, dict) else None
        if (
            not isinstance(total, int)
            or isinstance(total, bool)
            or total < 0
            or not isinstance(rows, list)
        ):
            # What export lists decides what a later plan manages: a misread answer stops it.
            raise ResponseFormatError(
                "expected {totalResultCount, searchObjects: [...]}", method="POST", path=SEARCH
            )
        return total, [r for r in rows if isinstance(r, dict)]

    def keep(self, rows: list[dict[str, Any]]) -> None:
        """Remember each row of this entity that has an id (the first name seen wins)."""
        for row in rows:
            kind = row.get("entityType")
            if kind is not None and str(kind).lower() != self.entity:
                continue
            ident = row.get(ID_FIELD)
            if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
                continue
            name = row.get("name") or row.get("title") or ""
            self.found.setdefault(str(ident), str(name))
        self.on_page(len(rows))

    async def read(
        self,
        filters: list[dict[str, Any]],
        *,
        prefix: str | None = None,
        excluded: tuple[str, ...] = (),
        depth: int = 0,
    ) -> None:
        """Every object matching ``filters``, ``prefix*`` ids and no ``excluded*`` id."""
        where = [*filters, _wildcard(prefix)] if prefix else list(filters)
        nots = [_wildcard(e) for e in excluded]
        total, rows = await self.query(where, nots, 0)
        if self.splits_left is None:
            self.splits_left = MAX_DEPTH * (total // MAX_RECORDS + 1)
        honoured = not prefix or all(_id(r).startswith(prefix) for r in rows)
        if not honoured and self.partitionable:
            self.partitionable = False
            self.warnings.append(
                f"the search API ignored the {ID_FIELD} wildcard filter; {self.entity}s "
                "cannot be read in partitions"
            )
        if (
            total > MAX_RECORDS
            and not excluded
            and depth < MAX_DEPTH
            and self.partitionable
            and self.splits_left > 0
        ):
            self.splits_left -= 1
            base = prefix or ""
            children = tuple(base + c for c in ALPHABET)
            for child in children:
                if self.partitionable:
                    await self.read(filters, prefix=child, depth=depth + 1)
            if self.partitionable:
                # The rest of this partition: ids that are the prefix itself or go on with a
                # character outside the alphabet (none, for UUIDs and numbers).
                await self.read(filters, prefix=prefix, excluded=children, depth=depth + 1)
            return
        ids = f" with ids starting {prefix!r}" if prefix else ""
        if total > MAX_RECORDS:
            self.warnings.append(
                f"the search API counts {total:,} {self.entity}s{ids} that no finer partition "
                f"separates; only the first {MAX_RECORDS:,} can be read"
            )
            total = MAX_RECORDS
        got = len(rows)
        self.keep(rows)
        while got < total and rows:
            _, rows = await self.query(where, nots, got)
            rows = rows[: total - got]
            got += len(rows)
            self.keep(rows)
        if got < total:
            # Objects deleted while paging, or a Domo that ends a list early: say so.
            self.warnings.append(
                f"the search API counted {total:,} {self.entity}s{ids} but returned {got:,}"
            )


async def find_all(
    client: Any, entity: str, on_page: Callable[[int], None] | None = None
) -> Search:
    """Every ``entity`` (``dataset``, ``card``) the search API lists, partitioned as needed."""
    search = Search(client, entity, on_page or (lambda count: None))
    await search.read([])
    return search


async def find_ids(client: Any, entity: str, ids: list[str]) -> Search:
    """The names of these ``entity`` ids (a ``term`` filter on ``databaseId``, a page each)."""
    search = Search(client, entity)
    for start in range(0, len(ids), PAGE):
        chunk = ids[start : start + PAGE]
        await search.read([{"filterType": "term", "field": ID_FIELD, "values": chunk}])
    return search
