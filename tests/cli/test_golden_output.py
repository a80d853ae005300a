"""Golden tests of the text, markdown and JSON plan views (the sandbox plan of examples/config).

Regenerate after an intended change with `UPDATE_GOLDEN=1 python -m pytest tests/cli`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from domogov.client import DomoClient
from domogov.config import load_config
from domogov.connect import sample_state_path
from domogov.core.changes import Plan
from domogov.core.render import render_json, render_markdown, render_text
from domogov.reconcile import PlanOptions, make_plan
from domogov.sim import SimTransport, create_app, load_state_file

ROOT = Path(__file__).parents[2]
GOLDEN = Path(__file__).with_name("golden")


@pytest.fixture(scope="module")
def plan() -> Plan:
    import asyncio

    async def build() -> Plan:
        state = load_state_file(sample_state_path())
        transport = SimTransport(create_app(state))
        async with DomoClient("http://127.0.0.1", state.token, transport=transport) as client:
            result, _ = await make_plan(
                load_config(ROOT / "examples" / "config"), client, PlanOptions(instance="sandbox")
            )
        result.created_at = "2026-01-01T00:00:00Z"
        result.config_dir = "examples/config"
        result.domogov_version = "golden"
        return result

    return asyncio.run(build())


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_text_view(plan: Plan) -> None:
    check("sandbox_plan.txt", render_text(plan))


def test_markdown_view(plan: Plan) -> None:
    check("sandbox_plan.md", render_markdown(plan))


def test_json_view(plan: Plan) -> None:
    check("sandbox_plan.json", render_json(plan))
    assert Plan.from_json(json.loads(render_json(plan))).to_json() == plan.to_json()


def test_markdown_is_cut_to_the_limit_and_says_so(plan: Plan) -> None:
    small = render_markdown(plan, limit=3000)
    assert len(small) <= 3000
    assert "more change details not shown" in small
    tiny = render_markdown(plan, limit=900)
    assert len(tiny) <= 900 and "more changes not shown" in tiny
