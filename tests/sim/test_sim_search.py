"""Search Product API (001, "Search Product API"): datasets, cards and pages, paging, the cap."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from simhelpers import LEDGER, SALES_PIPELINE, TOKEN_HEADER, Clock, assert_error, call

from domogov.sim import SimState, SimTransport, create_app, generate_state

QUERY = "/api/search/v1/query"


def body(**kw: Any) -> dict[str, Any]:
    return {"query": "*", "entityList": [["dataset"]], **kw}


async def test_the_documented_answer_shape(client: httpx.AsyncClient):
    answer = await call(client, "POST", QUERY, body(count=20, facetValuesToInclude=["OWNER_ID"]))
    assert set(answer) == {
        "facetMap", "totalResultCount", "sort", "queryUuid", "hideSearchObjects",
        "searchObjects", "searchResultsMap",
    }  # fmt: skip
    assert answer["totalResultCount"] == 3
    assert answer["facetMap"]["OWNER_ID"]["searchFacetEnum"] == "OWNER_ID"
    assert answer["sort"]["isRelevance"] is True and answer["hideSearchObjects"] is False
    assert answer["searchResultsMap"] == {"dataset": answer["searchObjects"]}
    ledger = next(o for o in answer["searchObjects"] if o["databaseId"] == LEDGER)
    assert ledger["entityType"] == "DATASET" and ledger["name"] == "General Ledger"
    assert ledger["ownedById"] == "1006" and ledger["ownedByName"] == "Frank Finance"


async def test_count_defaults_to_ten_and_paging_reaches_everything():
    doc = generate_state(users=20, groups=2, datasets=35, alerts=0, schedules=0)
    app = create_app(SimState.from_document(doc, Clock()))
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as c:
        first = await call(c, "POST", QUERY, body())
        assert len(first["searchObjects"]) == 10 and first["totalResultCount"] == 35
        seen: list[str] = []
        offset = 0
        while page := (await call(c, "POST", QUERY, body(offset=offset, count=15)))[
            "searchObjects"
        ]:
            seen += [o["databaseId"] for o in page]
            offset += len(page)
    assert sorted(seen) == sorted(d["id"] for d in doc["datasets"]) and len(set(seen)) == 35


async def test_query_text_filters_and_sort(client: httpx.AsyncClient):
    found = await call(client, "POST", QUERY, body(query="ledger"))
    assert [o["databaseId"] for o in found["searchObjects"]] == [LEDGER]
    found = await call(client, "POST", QUERY, body(query="*Traffic"))
    assert [o["name"] for o in found["searchObjects"]] == ["Web Traffic"]
    term = {"filterType": "term", "field": "databaseId", "value": SALES_PIPELINE}
    found = await call(client, "POST", QUERY, body(filters=[term]))
    assert [o["databaseId"] for o in found["searchObjects"]] == [SALES_PIPELINE]
    owners = {"filterType": "term", "field": "ownedById", "values": ["1001", "1005"]}
    not_sales = {"filterType": "term", "field": "name", "value": "sales pipeline"}
    found = await call(client, "POST", QUERY, body(filters=[owners], notFilters=[not_sales]))
    assert [o["name"] for o in found["searchObjects"]] == ["Web Traffic"]
    either = [{"filterType": "wildcard", "field": "name", "query": "gen*"}, term]
    found = await call(client, "POST", QUERY, body(orFilters=either))
    assert found["totalResultCount"] == 2
    by_name = {"fieldSorts": [{"field": "display_name_sort", "sortOrder": "DESC"}]}
    found = await call(client, "POST", QUERY, body(sort=by_name, fieldsToReturn=["name"]))
    assert found["searchObjects"] == [
        {"name": "Web Traffic"}, {"name": "Sales Pipeline"}, {"name": "General Ledger"},
    ]  # fmt: skip
    assert found["sort"]["isRelevance"] is False


async def test_cards_pages_grouping_and_unmodelled_entities(client: httpx.AsyncClient):
    found = await call(
        client, "POST", QUERY, body(entityList=[["CARD"], ["page", "dataflow"]], count=100)
    )
    groups = found["searchResultsMap"]
    assert set(groups) == {"card", "page,dataflow"}
    assert {o["databaseId"] for o in groups["card"]} == {"1234567", "1234568", "1234569"}
    assert {o["name"] for o in groups["page,dataflow"]} == {"Sales", "Finance"}
    assert found["totalResultCount"] == 5 == len(found["searchObjects"])
    none = await call(client, "POST", QUERY, body(entityList=[["account"]]))
    assert none["totalResultCount"] == 0 and none["searchResultsMap"] == {"account": []}


async def test_the_ten_thousand_record_cap(client: httpx.AsyncClient):
    cut = await call(client, "POST", QUERY, body(offset=9_999, count=100))
    assert cut["searchObjects"] == [] and cut["totalResultCount"] == 3  # only 1 slot was left
    refused = await call(client, "POST", QUERY, body(offset=10_000, count=1), status=400)
    assert_error(refused, 400, "10,000")


async def test_cap_truncates_a_page_that_crosses_it():
    doc = generate_state(
        users=20, groups=2, datasets=10_020, alerts=0, schedules=0, cards=0, grants_per_dataset=0
    )
    app = create_app(SimState.from_document(doc, Clock()))
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as c:
        crossing = await call(c, "POST", QUERY, body(offset=9_990, count=20))
        assert len(crossing["searchObjects"]) == 10  # records 9,990 to 9,999 only
        assert crossing["totalResultCount"] == 10_020  # the total still tells the truth
        await call(c, "POST", QUERY, body(offset=10_000, count=20), status=400)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"entityList": [["dataset"]]}, "query"),
        ({"query": "*"}, "entityList"),
        ({"query": "*", "entityList": ["dataset"]}, "entityList"),
        (body(count=-1), "count"),
        (body(offset="5"), "offset"),
        (body(filters=[{"filterType": "numeric", "field": "rowCount"}]), "numeric"),
        (body(filters=[{"filterType": "term", "field": "name"}]), "value"),
        (body(sort={"fieldSorts": [{"field": "name", "sortOrder": "UP"}]}), "sortOrder"),
        ([], "Expected"),
    ],
)
async def test_bad_requests_are_400(client: httpx.AsyncClient, bad: Any, message: str):
    assert_error(await call(client, "POST", QUERY, bad, status=400), 400, message)


async def test_search_is_a_read(client: httpx.AsyncClient):
    await call(client, "POST", QUERY, body())
    assert (await call(client, "GET", "/_sim/writes"))["writes"] == []
    stats = await call(client, "GET", "/_sim/stats")
    assert stats["by_endpoint"] == {"POST /api/search/v1/query": 1}
