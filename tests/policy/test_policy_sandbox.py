"""check_plan_policies on a real plan: examples/config with policies, against the sandbox."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from domogov.client import DomoClient
from domogov.config import load_config
from domogov.connect import sample_state_path
from domogov.policy import check_plan_policies, unwaived
from domogov.reconcile import PlanOptions, make_plan
from domogov.sim import SimTransport, create_app, load_state_file

EXAMPLES = Path(__file__).parents[2] / "examples" / "config"
LEDGER = "9f1c2e4a-7b3d-4c5e-8a6f-1d2e3b4c5a6f"
CAMPAIGN = "3c7e9a1b-5d2f-4e8a-9b6c-0f1e2d3c4b5a"
POLICIES = f"""
policies:
  forbid_share_levels:
    - {{ principal: user, levels: [CO_OWNER] }}
  require_certified_for_share_to_groups: true
  max_group_size: 2
waivers:
  - rule: forbid_share_levels
    object: dataset_share.{LEDGER}
    reason: Carol stewards the ledger (security review 2026-10)
"""


async def _plan(config_dir: Path):
    state = load_state_file(sample_state_path())
    transport = SimTransport(create_app(state))
    async with DomoClient("http://127.0.0.1", state.token, transport=transport) as client:
        plan, _ = await make_plan(load_config(config_dir), client, PlanOptions(instance="t"))
    return plan


def test_policies_on_the_sandbox_plan(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, "cfg")
    with open("cfg/domogov.yaml", "a", encoding="utf-8") as f:
        f.write(POLICIES)
    shares = Path("cfg/datasets/sales-marketing.yaml")
    text = shares.read_text(encoding="utf-8")
    # A new group grant on Campaign Performance, whose certification is not managed.
    text = text.replace(
        "      - { group: Executives, access: CAN_VIEW }\n      - { user: dave",
        "      - { group: Executives, access: CAN_VIEW }\n"
        "      - { group: Finance Analysts, access: CAN_VIEW }\n      - { user: dave",
    )
    shares.write_text(text, encoding="utf-8")
    config = load_config("cfg")
    plan = asyncio.run(_plan(Path("cfg")))
    found = {(v.rule, v.object, v.subject): v for v in check_plan_policies(config, plan)}
    assert set(found) == {
        ("forbid_share_levels", f"dataset_share.{LEDGER}", "user:carol.jones@acme.example"),
        ("max_group_size", "group.gov-Marketing Analysts", ""),
        (
            "require_certified_for_share_to_groups",
            f"dataset_share.{CAMPAIGN}",
            "group:Finance Analysts",
        ),
    }
    waived = found[
        "forbid_share_levels", f"dataset_share.{LEDGER}", "user:carol.jones@acme.example"
    ]
    assert waived.waived_by.startswith("Carol stewards")
    assert str(waived.location).startswith("cfg/datasets/finance.yaml:")
    size = found["max_group_size", "group.gov-Marketing Analysts", ""]
    assert "would have 3 members after this plan" in size.message
    cert = found[
        "require_certified_for_share_to_groups",
        f"dataset_share.{CAMPAIGN}",
        "group:Finance Analysts",
    ]
    assert "state is unknown" in cert.message
    assert str(cert.location).startswith("cfg/datasets/sales-marketing.yaml:")
    assert len(unwaived(found.values())) == 2
