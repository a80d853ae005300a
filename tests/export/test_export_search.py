"""`export --all-datasets` and card certifications find objects through the search API,
in partitions of at most 10,000 records (the documented limit of one query)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from exportkit import ALL_DATASETS, LEDGER, SALES, TRAFFIC, Env, export, plan
from ruamel.yaml import YAML

from domogov.errors import ResponseFormatError
from domogov.export import discover
from domogov.sim import SimState, generate_state

BIG = 10_250  # past the 10,000 records one query (count + offset) can reach


class Recorder:
    """A client that keeps the body of every search query it forwards."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.bodies: list[dict[str, Any]] = []

    async def post(self, path: str, **kw: Any) -> Any:
        if path == discover.SEARCH:
            self.bodies.append(kw["json"])
        return await self.client.post(path, **kw)


def _big_env(tmp_path: Path) -> tuple[Env, dict[str, Any]]:
    doc = generate_state(
        users=3,
        groups=1,
        datasets=BIG,
        roles=0,
        alerts=0,
        schedules=0,
        cards=0,
        grants_per_dataset=1,
        members_per_group=1,
        seed=5,
    )
    return Env(tmp_path, SimState.from_document(doc)), doc


@pytest.mark.slow
async def test_more_than_10000_datasets_are_found_in_partitions(tmp_path: Path) -> None:
    env, doc = _big_env(tmp_path)
    async with env.client() as client:
        spy = Recorder(client)
        search = await discover.find_all(spy, "dataset")
    assert len(search.found) == BIG
    assert set(search.found) == {d["id"] for d in doc["datasets"]}
    assert search.found[doc["datasets"][0]["id"]] == doc["datasets"][0]["name"]
    assert search.warnings == []
    # No query reaches past record 10,000 (the simulator would answer 400, as Domo does)...
    assert all(b["offset"] + b["count"] <= discover.MAX_RECORDS for b in spy.bodies)
    # ...because the first count (10,250) made the search split by the id's first character.
    prefixes = [
        f["query"] for b in spy.bodies for f in b["filters"] if f["filterType"] == "wildcard"
    ]
    assert {p for p in prefixes if len(p) == 2} == {f"{c}*" for c in discover.ALPHABET}
    assert spy.bodies[0]["filters"] == [] and spy.bodies[0]["offset"] == 0
    # The rest partition (the prefix, none of the 16 longer ones) is asked for too.
    assert any(len(b.get("notFilters", [])) == 16 for b in spy.bodies)
    assert search.queries == len(spy.bodies) < 2 * BIG // discover.PAGE


@pytest.mark.slow  # 10,250 permission reads
async def test_all_datasets_exports_more_than_10000(tmp_path: Path) -> None:
    env, doc = _big_env(tmp_path)
    await env.control("POST", "/_sim/stats/reset")
    result = await export(env, all_datasets=True, sections=("dataset_shares",))
    assert result.warnings == []
    assert f"--all-datasets: {BIG} dataset(s) found through the search API" in result.notes[0]
    parts = [(rel, n) for rel, n, _ in result.files if rel.startswith("dataset_shares/")]
    assert len(parts) == 21 and sum(n for _, n in parts) == BIG
    yaml = YAML(typ="safe")
    seen = [
        s["dataset"]
        for rel, _ in parts
        for s in yaml.load(tmp_path / "out" / rel)["dataset_shares"]
    ]
    assert seen == sorted(d["id"] for d in doc["datasets"])
    by_endpoint = (await env.stats())["by_endpoint"]
    # Names come with the search: no metadata read per dataset, one permissions read each.
    assert "GET /api/data/v3/datasources/{id}" not in by_endpoint
    assert by_endpoint["GET /api/data/v3/datasources/{id}/permissions"] == BIG


async def test_all_datasets_finds_those_no_alert_watches(env: Env) -> None:
    await env.control("POST", "/_sim/stats/reset")
    result = await export(env, all_datasets=True)
    out = env.dir.parent / "out"
    shares = YAML(typ="safe").load(out / "dataset_shares" / "part-001.yaml")["dataset_shares"]
    # Only SALES has an alert; the search lists the ledger and the traffic dataset too.
    assert [s["dataset"] for s in shares] == sorted(ALL_DATASETS)
    text = (out / "dataset_shares" / "part-001.yaml").read_text()
    assert f"- dataset: {LEDGER}  # General Ledger\n" in text  # the name the search gave
    assert f"- dataset: {TRAFFIC}  # " in text
    by_endpoint = (await env.stats())["by_endpoint"]
    assert "GET /api/data/v3/datasources/{id}" not in by_endpoint
    assert result.warnings == []
    assert (await plan(env, out)).changes == []


async def test_named_datasets_get_their_names_from_one_search(env: Env) -> None:
    await env.control("POST", "/_sim/stats/reset")
    await export(env, datasets=(SALES, LEDGER), sections=("dataset_shares",))
    text = (env.dir.parent / "out" / "dataset_shares" / "part-001.yaml").read_text()
    assert f"- dataset: {SALES}  # Sales Pipeline\n" in text
    by_endpoint = (await env.stats())["by_endpoint"]
    assert by_endpoint["POST /api/search/v1/query"] == 1
    assert "GET /api/data/v3/datasources/{id}" not in by_endpoint


async def test_certified_cards_are_found_by_search(env: Env) -> None:
    async with env.client() as client:
        # Card 1234567 has no alert: before the search API, export could not see it.
        await client.put("/api/tags/v3/CARD/1234567/system/CERTIFIED/state/ACTIVE")
    result = await export(env, sections=("certifications",))
    certs = (env.dir.parent / "out" / "certifications.yaml").read_text()
    assert "- card: 1234567  # Revenue by Region\n" in certs
    assert "1234568" not in certs and "1234569" not in certs  # not certified: unmanaged
    assert result.warnings == []
    assert (await plan(env)).changes == []


class FakeSearch:
    """A search endpoint that counts 25,000 objects whatever the filters (it ignores them)."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.calls = 0

    async def post(self, path: str, *, json: Any, idempotent: bool) -> Any:
        assert idempotent is True  # a query is retried like a read
        self.calls += 1
        if self.answer is not None:
            return self.answer
        start = json["offset"]
        rows = [
            {"entityType": "DATASET", "databaseId": f"id-{i:05d}", "name": f"n{i}"}
            for i in range(start, min(start + json["count"], 10_000))
        ]
        return {"totalResultCount": 25_000, "searchObjects": rows}


async def test_a_search_ignoring_the_id_filter_stops_partitioning() -> None:
    fake = FakeSearch()
    search = await discover.find_all(fake, "dataset")
    assert search.warnings == [
        "the search API ignored the databaseId wildcard filter; datasets cannot be read in "
        "partitions",
        "the search API counts 25,000 datasets with ids starting '0' that no finer partition "
        "separates; only the first 10,000 can be read",
    ]
    assert len(search.found) == 10_000
    assert fake.calls == 1 + 100  # the first count, then one partition read to its limit


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"searchObjects": []},
        {"totalResultCount": "3", "searchObjects": []},
        {"totalResultCount": 1},
    ],
)
async def test_an_answer_of_another_shape_stops_the_export(answer: Any) -> None:
    with pytest.raises(ResponseFormatError, match="totalResultCount"):
        await discover.find_all(FakeSearch(answer), "dataset")
