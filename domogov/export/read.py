"""Reading live state for export through the resource kinds' own reads and normalisations.

Export must write what ``plan`` will compare with, so every object is read by its kind's
``fetch`` (or ``normalise``): the same requests, the same display form (emails, group names,
sorted lists). Only the lists that say which objects exist are read here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domogov.resources.alert import ALERTS
from domogov.resources.alert import KIND as ALERT
from domogov.resources.certification import KIND as CERTIFICATION
from domogov.resources.context import LiveContext, as_int
from domogov.resources.dataset_share import KIND as DATASET_SHARE
from domogov.resources.group import KIND as GROUP
from domogov.resources.report_schedule import KIND as REPORT_SCHEDULE
from domogov.resources.role import KIND as ROLE

ALERT_PAGE = 100


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


def groups(ctx: LiveContext, warnings: list[str]) -> Iterator[dict[str, Any]]:
    """Every active group, normalised as plan sees it (the grouplist was read up front)."""
    for name in unique_names(list(ctx.groups_by_name), "group", warnings):
        yield GROUP.normalise(ctx, ctx.groups_by_name[name])


async def roles(ctx: LiveContext, names: list[str]) -> list[dict[str, Any]]:
    """The named roles with their authorities and users (two reads each)."""
    live = await ROLE.fetch(ctx, [{"name": n} for n in names])
    return [live[f"role.{n}"] for n in names if f"role.{n}" in live]


@dataclass
class AlertIndex:
    """What the alert list tells other kinds: names for comments, resources to discover."""

    #: alert id -> normalised alert (AlertKind's read)
    alerts: dict[int, dict[str, Any]]
    #: alert id -> "name (on dataset X)" for comments
    about: dict[int, str]
    #: dataset ids and card ids alerts watch, with the resource's name
    datasets: dict[str, str]
    cards: dict[int, str]


class _Replay:
    """A client answering an alert read from a row the list already returned.

    ``GET /alerts?fields=all`` rows carry everything ``GET /alerts/{id}?fields=all`` does, so
    AlertKind normalises them without a request per alert; anything else goes to Domo.
    """

    def __init__(self, client: Any, rows: dict[str, Any]) -> None:
        self.client = client
        self.rows = rows

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        row = self.rows.get(path)
        if row is not None and params == {"fields": "all"}:
            return row
        return await self.client.get(path, params=params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


async def alert_index(ctx: LiveContext) -> AlertIndex:
    """Every alert from the paged list (``fields=all``, by id), normalised by AlertKind."""
    rows = await ctx.client.paginate(
        ALERTS, style="offset", page_size=ALERT_PAGE, params={"fields": "all", "sort": "id"}
    )
    index = AlertIndex({}, {}, {}, {})
    replay: dict[str, Any] = {}
    ids: list[int] = []
    for row in rows:
        aid = as_int(row.get("id"))
        if aid is None:
            continue
        ids.append(aid)
        # A row without its subscriptions (a Domo that ignores fields=all on lists) is read
        # on its own, never taken as "no subscribers".
        if isinstance(row.get("subscriptions"), list):
            replay[f"{ALERTS}/{aid}"] = row
        kind = str(row.get("resourceType") or "").upper()
        resource = str(row.get("resourceId") or "")
        name = str(row.get("resourceName") or "")
        if kind == "DATASET" and resource:
            index.datasets.setdefault(resource.lower(), name)
            index.about[aid] = f"{row.get('name') or ''} (dataset {name or resource})"
        elif kind == "CARD" and as_int(resource) is not None:
            index.cards.setdefault(int(resource), name)
            index.about[aid] = f"{row.get('name') or ''} (card {name or resource})"
        else:
            index.about[aid] = str(row.get("name") or "")
    rctx = dataclasses.replace(ctx, client=_Replay(ctx.client, replay))
    live = await ALERT.fetch(rctx, [{"alert": a} for a in sorted(set(ids))])
    index.alerts = {int(v["id"]): v for v in live.values()}
    return index


async def datasets(ctx: LiveContext, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Grants (and name) of these datasets, by id; unknown datasets are left out."""
    keys = [{"dataset": d, "name": "(read)"} for d in ids]  # a name asks for the metadata too
    live = await DATASET_SHARE.fetch(ctx, keys)
    return {v["dataset"]: v for v in live.values()}


async def certified(ctx: LiveContext, keys: list[dict[str, Any]]) -> set[str]:
    """Which of these datasets/cards are certified, as ``dataset.<id>`` / ``card.<id>``."""
    live = await CERTIFICATION.fetch(ctx, keys)
    return {a.removeprefix("certification.") for a, v in live.items() if v["certified"]}


async def schedules(ctx: LiveContext, warnings: list[str]) -> list[dict[str, Any]]:
    """Every report schedule with a title of its own, fully read, by title."""
    rows = await REPORT_SCHEDULE.list_rows(ctx)  # the kind's paged list, shared with its fetch
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row.get("title"))] = counts.get(str(row.get("title")), 0) + 1
    titles = []
    for title, count in counts.items():
        if count > 1:
            warnings.append(
                f"report schedule {title!r}: not exported: {count} live schedules share this "
                "title, and the manifests name schedules by title"
            )
        else:
            titles.append(title)
    titles = unique_names(titles, "report schedule", warnings)
    live = await REPORT_SCHEDULE.fetch(ctx, [{"title": t} for t in titles])
    return [live[f"report_schedule.{t}"] for t in titles if f"report_schedule.{t}" in live]
