"""Search Product API: ``POST /api/search/v1/query`` over datasets, cards and pages (001).

001 shows the request (``query``, ``entityList``, ``count`` default 10, ``offset``, filters,
sort) and an answer with an empty ``searchObjects``; the element shape is not shown, so the
objects carry what a governance client needs: ``entityType``, ``databaseId`` (the id, a string,
as the document's filter example names it), ``name`` and the owner. Only 10,000 records can be
reached with count and offset ("The count and offset can only be used to return a total of
10,000 records"): a page reaching past record 10,000 is cut there, and an offset at or past it
answers 400, so a client paging "until an empty page" cannot silently stop at 10,000.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.http import ok, read_json, sim
from domogov.sim.state import SimError, SimState

MAX_RECORDS = 10_000
DEFAULT_COUNT = 10
# 001's "Some Valid Entities"; others "may be available depending on your instance".
DOCUMENTED_ENTITIES = (
    "account", "alert", "app", "beast_mode", "card", "connector", "data_app", "dataset",
    "dataflow", "group", "page", "user",
)  # fmt: skip
FILTER_TYPES = ("term", "wildcard")  # the text filters; others are refused, not ignored
SORT_ALIASES = {"display_name_sort": "name", "name_sort": "name"}


def _datasets(state: SimState) -> list[dict[str, Any]]:
    cards: dict[str, int] = {}
    for card in state.cards.values():
        if card.dataset_id:
            cards[card.dataset_id] = cards.get(card.dataset_id, 0) + 1
    rows = []
    for ds in state.datasets.values():
        owner = state.users.get(ds.owner)
        rows.append(
            {
                "entityType": "DATASET",
                "databaseId": ds.id,
                "name": ds.name,
                "description": ds.description,
                "ownedById": str(ds.owner),
                "ownedByName": owner.display_name if owner else "",
                "ownedByType": "USER",
                "rowCount": ds.row_count,
                "columnCount": ds.column_count,
                "cardCount": cards.get(ds.id, 0),
                "dataProviderType": "webform",
                "createDate": ds.created,
                "lastModified": ds.created,
            }
        )
    return rows


def _cards(state: SimState) -> list[dict[str, Any]]:
    return [
        {
            "entityType": "CARD",
            "databaseId": str(card.id),
            "name": card.title,
            "title": card.title,
            "dataSourceId": card.dataset_id,
        }
        for card in state.cards.values()
    ]


def _pages(state: SimState) -> list[dict[str, Any]]:
    return [
        {"entityType": "PAGE", "databaseId": str(p.id), "name": p.title, "title": p.title}
        for p in state.pages.values()
    ]


SEARCHABLE: dict[str, Callable[[SimState], list[dict[str, Any]]]] = {
    "dataset": _datasets,
    "card": _cards,
    "page": _pages,
}


def _int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SimError(400, f"{key} must be a non-negative integer")
    return value


def _entity_groups(body: dict[str, Any]) -> list[list[str]]:
    groups = body.get("entityList")
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, list) and g and all(isinstance(e, str) for e in g) for g in groups)
    ):
        raise SimError(400, 'entityList is required: an array of arrays, e.g. [["dataset"]]')
    return [[e.lower() for e in g] for g in groups]


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _filter(flt: Any) -> Callable[[dict[str, Any]], bool]:
    """One documented text filter as a predicate on a search object."""
    if not isinstance(flt, dict) or not isinstance(flt.get("field"), str):
        raise SimError(400, "Each filter is an object with filterType and field")
    ftype, field = flt.get("filterType"), flt["field"]
    if ftype not in FILTER_TYPES:
        raise SimError(
            400, f"filterType {ftype!r} is not supported here; use one of {FILTER_TYPES}"
        )
    invert = flt.get("not") is True
    if ftype == "term":
        if "values" in flt and "value" in flt:
            raise SimError(400, "A term filter takes value or values, not both")
        raw = flt["values"] if "values" in flt else [flt.get("value")]
        if not isinstance(raw, list) or any(v is None for v in raw):
            raise SimError(400, "A term filter needs value (a string) or values (an array)")
        wanted = {_text(v) for v in raw}
        return lambda obj: (_text(obj.get(field)) in wanted) != invert
    pattern = flt.get("query")
    if not isinstance(pattern, str):
        raise SimError(400, "A wildcard filter needs query (use * for wildcard)")
    return lambda obj: fnmatchcase(_text(obj.get(field)), pattern.lower())


def _filters(body: dict[str, Any], key: str) -> list[Callable[[dict[str, Any]], bool]]:
    raw = body.get(key) or []
    if not isinstance(raw, list):
        raise SimError(400, f"{key} must be an array of filters")
    return [_filter(f) for f in raw]


def _query_matches(query: str, obj: dict[str, Any]) -> bool:
    q = query.strip().lower()
    if q in ("", "*"):
        return True
    name = _text(obj.get("name"))
    if "*" in q or "?" in q:
        return fnmatchcase(name, q)
    return q in name or q in _text(obj.get("description"))


def _field_key(field: str) -> Callable[[dict[str, Any]], str]:
    return lambda obj: _text(obj.get(field))


def _nothing(state: SimState) -> list[dict[str, Any]]:
    return []  # an entity the simulator does not hold (apps, dataflows, ...): no results


def _sorted(
    objects: list[dict[str, Any]], sort: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Order by the requested field sorts (relevance: by name, then id, for stable paging)."""
    field_sorts = sort.get("fieldSorts") if isinstance(sort, dict) else None
    out = sorted(objects, key=lambda o: (_text(o.get("name")), str(o.get("databaseId"))))
    if isinstance(field_sorts, list) and field_sorts:
        for fs in reversed(field_sorts):  # stable sorts: the first field sort wins
            if not isinstance(fs, dict) or not isinstance(fs.get("field"), str):
                raise SimError(400, "fieldSorts entries are {field, sortOrder}")
            name = str(fs["field"])
            field = SORT_ALIASES.get(name, name)
            order = str(fs.get("sortOrder", "ASC")).upper()
            if order not in ("ASC", "DESC"):
                raise SimError(400, f"sortOrder must be ASC or DESC, got {order!r}")
            out.sort(key=_field_key(field), reverse=order == "DESC")
        shown = {"fieldSorts": field_sorts, "isRelevance": False}
    else:
        shown = {"fieldSorts": None, "isRelevance": True}
    return out, {
        "activity": None,
        "activitySortType": None,
        "metricAction": None,
        "isHotness": False,
        **shown,
    }


async def query(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SimError(400, "Expected {query, entityList, count, offset, filters, sort}")
    text = body.get("query")
    if not isinstance(text, str):
        raise SimError(400, "query is required: a string (use * for wildcard)")
    groups = _entity_groups(body)
    count, offset = _int(body, "count", DEFAULT_COUNT), _int(body, "offset", 0)
    if offset >= MAX_RECORDS:
        raise SimError(
            400, f"The count and offset can only be used to return a total of {MAX_RECORDS:,} "
            f"records (offset {offset})",
        )  # fmt: skip
    count = min(count, MAX_RECORDS - offset)
    must, any_of, must_not = (_filters(body, k) for k in ("filters", "orFilters", "notFilters"))
    state = sim(request)
    found: list[tuple[str, dict[str, Any]]] = []
    for group in groups:
        key = ",".join(group)
        for entity in dict.fromkeys(group):
            for obj in SEARCHABLE.get(entity, _nothing)(state):
                if (
                    _query_matches(text, obj)
                    and all(f(obj) for f in must)
                    and (not any_of or any(f(obj) for f in any_of))
                    and not any(f(obj) for f in must_not)
                ):
                    found.append((key, obj))
    ordered, sort_doc = _sorted([obj for _, obj in found], body.get("sort"))
    group_of = {id(obj): key for key, obj in found}
    page = ordered[offset : offset + count]
    fields = body.get("fieldsToReturn")
    if fields is not None and (
        not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)
    ):
        raise SimError(400, "fieldsToReturn is an array of field names")
    results_map: dict[str, list[dict[str, Any]]] = {",".join(g): [] for g in groups}
    shown = []
    for obj in page:
        row = obj if not fields else {k: v for k, v in obj.items() if k in fields}
        results_map[group_of[id(obj)]].append(row)
        shown.append(row)
    facets = body.get("facetValuesToInclude") or []
    if not isinstance(facets, list):
        raise SimError(400, "facetValuesToInclude is an array of facet names")
    return ok(
        {
            "facetMap": {
                str(f): {"fieldName": str(f).lower(), "searchFacetEnum": str(f), "facetValues": []}
                for f in facets
            },
            "totalResultCount": len(ordered),
            "sort": sort_doc,
            "queryUuid": str(uuid.uuid4()),
            "hideSearchObjects": False,
            "searchObjects": shown,
            "searchResultsMap": results_map,
        }
    )
