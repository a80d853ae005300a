"""PDP filters whose column has spaces or whose values hold commas or brackets: planned,
applied, exported and shown without ambiguity."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2ekit import SALES, Env

from domogov.export import ExportOptions, export_instance
from domogov.resources.pdp_policy import filter_text, split_filter

pytestmark = pytest.mark.asyncio

MANIFEST = f"""
pdp_policies:
  - dataset: {SALES}
    name: Sales Pipeline
    policies:
      - name: Key accounts
        filters:
          - {{ column: Account Owner, operator: EQUALS, values: ["Smith, John", "[Legacy]"] }}
          - column: Sales Region
            operator: GREATER_THAN_EQUAL
            values: [EMEA]
            ignore_case: false
        users: [dave@example.com]
"""


@pytest.mark.parametrize(
    ("column", "operator", "values", "ignore_case"),
    [
        ("region", "EQUALS", ["EMEA", "UK"], True),
        ("Sales Region", "GREATER_THAN_EQUAL", ["2024"], False),
        ("Account Owner", "NOT_EQUALS", ["Smith, John", "[x]", ' "q"', ""], True),
        ("c", "CONTAINS", [], False),
    ],
)
async def test_filter_text_reads_back(
    column: str, operator: str, values: list[str], ignore_case: bool
) -> None:
    text = filter_text(column, operator, values, ignore_case)
    assert split_filter(text) == (column, operator, values, ignore_case)


async def test_one_value_with_a_comma_is_not_two_values() -> None:
    one = filter_text("owner", "EQUALS", ["Smith, John"], True)
    two = filter_text("owner", "EQUALS", ["Smith", "John"], True)
    assert one != two  # a change from one to the other is planned, never hidden


async def test_columns_with_spaces_and_values_with_commas_round_trip(
    env: Env, tmp_path: Path
) -> None:
    env.write("pdp.yaml", MANIFEST)
    plan, _ = await env.converge()
    texts = [i["text"] for i in plan.impact if i.get("type") == "row_access"]
    assert texts == [
        '+ dave@example.com sees Account Owner in ["Smith, John", "[Legacy]"] and Sales Region '
        'GREATER_THAN_EQUAL [EMEA] on "Sales Pipeline" (policy Key accounts)'
    ]
    # One value split in two is a planned change.
    env.write("pdp.yaml", MANIFEST.replace('"Smith, John"', "Smith, John"))
    plan = await env.plan()
    (change,) = plan.changes
    assert [d.field for d in change.diffs] == ["policies.Key accounts.filters"]
    # Export writes the filters as Domo holds them; its plan is empty.
    out = tmp_path / "out"
    async with env.client() as client:
        result = await export_instance(
            client, ExportOptions(out=out, sections=("pdp_policies",), datasets=(SALES,))
        )
    assert result.warnings == []
    text = (out / "pdp_policies.yaml").read_text(encoding="utf-8")
    assert "Account Owner" in text and "Smith, John" in text
    env.dir = out
    assert (await env.plan()).changes == []
