"""forbid_pdp_disabled_on_certified: judged on the manifests (validate), on a plan, waived per
dataset, and end to end on the sandbox (a plan turning PDP off on a certified dataset fails)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from policykit import LEDGER, SALES, cert_change, errors, load, plan_of

from domogov.cli import cli
from domogov.config import Config
from domogov.core.changes import Action, Change
from domogov.errors import PlanError
from domogov.policy import (
    check_config_policies,
    check_plan_policies,
    raise_for_violations,
    unwaived,
)

ROOT = Path(__file__).parents[2]
RULE = "forbid_pdp_disabled_on_certified"
PROJECT = f"policies: {{ {RULE}: true }}\n"
MANIFESTS = f"""
    certifications:
      - {{ dataset: {SALES}, certified: true }}
    pdp_policies:
      - dataset: {SALES}
        name: Sales Pipeline
        enabled: false
      - dataset: {LEDGER}
        enabled: false
"""


def pdp_change(dataset: str, before: bool | None, after: bool | None, name: str = "") -> Change:
    """A pdp_policy change as the kind builds it (policies unchanged here)."""
    base: dict[str, Any] = {"dataset": dataset, "name": name or None, "policies": {}, "id": {}}
    return Change(
        address=f"pdp_policy.{dataset}",
        kind="pdp_policy",
        action=Action.UPDATE,
        key={"dataset": dataset},
        before={**base, "enabled": before},
        after={**base, "enabled": after},
    )


def test_pdp_off_on_a_declared_certified_dataset_fails_validate_at_enabled(
    tmp_path: Path,
) -> None:
    lines = errors(tmp_path, {"domogov.yaml": PROJECT, "pdp.yaml": MANIFESTS})
    assert lines == [
        f"cfg/pdp.yaml:6:14: pdp_policies[0].enabled: policy {RULE}: dataset 'Sales Pipeline' "
        f"({SALES}) is certified (cfg/pdp.yaml:2:5) but declares PDP off (enabled: false); "
        "certified datasets keep PDP on"
    ]  # the Ledger's certification is not declared: only a plan can judge it


def test_off_by_default_and_pdp_on_passes(tmp_path: Path) -> None:
    config = load(tmp_path, {"pdp.yaml": MANIFESTS})
    assert config.project.policies.forbid_pdp_disabled_on_certified is False
    assert check_config_policies(config) == []
    on = MANIFESTS.replace("enabled: false", "enabled: true")
    config = load(tmp_path / "b", {"domogov.yaml": PROJECT, "pdp.yaml": on})
    assert check_config_policies(config) == []
    assert check_plan_policies(config, plan_of(pdp_change(SALES, False, True))) == []


def test_a_plan_turning_pdp_off_is_judged_by_the_certification_after_it(
    tmp_path: Path,
) -> None:
    uncertified = MANIFESTS.replace("certified: true", "certified: false")
    config = load(tmp_path, {"domogov.yaml": PROJECT, "pdp.yaml": uncertified})
    assert check_config_policies(config) == []
    # Declared uncertified: PDP off is allowed. Not managed: unknown, so judged.
    plan = plan_of(pdp_change(SALES, True, False), pdp_change(LEDGER, True, False))
    [violation] = check_plan_policies(config, plan)
    assert (violation.rule, violation.object) == (RULE, f"pdp_policy.{LEDGER}")
    assert "whose certification is not managed by domogov" in violation.message
    assert (str(violation.location), violation.path) == (
        "cfg/pdp.yaml:8:14",
        "pdp_policies[1].enabled",
    )
    # PDP already off (not turned off by this plan): nothing to judge.
    assert check_plan_policies(config, plan_of(pdp_change(LEDGER, False, False))) == []
    # The plan certifies the Ledger while turning its PDP off.
    plan = plan_of(cert_change(LEDGER, True), pdp_change(LEDGER, True, False, "General Ledger"))
    [violation] = check_plan_policies(config, plan)
    assert violation.message == (
        f"this plan turns PDP off on certified dataset 'General Ledger' ({LEDGER}); "
        "certified datasets keep PDP on"
    )
    with pytest.raises(PlanError, match="1 policy violation"):
        raise_for_violations(check_plan_policies(config, plan))


def test_manifest_and_plan_findings_of_one_dataset_count_once(tmp_path: Path) -> None:
    config = with_waiver(tmp_path)
    plan = plan_of(pdp_change(SALES, True, False, "Sales Pipeline"))
    [violation] = check_plan_policies(config, plan)
    assert "declares PDP off" in violation.message  # the manifest's wording first


def with_waiver(tmp_path: Path) -> Config:
    project = PROJECT + (
        f"waivers:\n  - {{ rule: {RULE}, object: pdp_policy.{SALES}, "
        "reason: migration week, expires: 2999-01-01 }\n"
    )
    return load(tmp_path, {"domogov.yaml": project, "pdp.yaml": MANIFESTS})


def test_a_waiver_names_the_dataset_and_can_expire(tmp_path: Path) -> None:
    config = with_waiver(tmp_path)
    [violation] = check_config_policies(config)
    assert violation.waived_by == "migration week" and unwaived([violation]) == []
    [expired] = check_config_policies(config, today=date(2999, 1, 2))
    assert not expired.waived and "its waiver expired on 2999-01-01" in expired.message


def test_waivers_matching_nothing_stale_or_for_an_off_rule_are_reported(tmp_path: Path) -> None:
    stale = MANIFESTS.replace("enabled: false", "enabled: true")
    project = PROJECT + (
        "waivers:\n"
        f"  - {{ rule: {RULE}, object: pdp_policy.11111111-2222-4333-8444-555555555555, "
        "reason: r }\n"
        f"  - {{ rule: {RULE}, object: pdp_policy.{SALES}, reason: r }}\n"
    )
    lines = errors(tmp_path, {"domogov.yaml": project, "pdp.yaml": stale})
    assert any("matches no declared pdp_policy" in line for line in lines), lines
    assert any("waiver is stale" in line and f"pdp_policy.{SALES}" in line for line in lines)
    off = f"waivers:\n  - {{ rule: {RULE}, object: pdp_policy.{SALES}, reason: r }}\n"
    lines = errors(tmp_path / "b", {"domogov.yaml": off, "pdp.yaml": MANIFESTS})
    assert lines == [
        f"b/cfg/domogov.yaml:2:5: waivers[0]: waiver for '{RULE}', which is not enabled under "
        "policies; remove it"
    ]


def test_an_unknown_rule_name_is_suggested(tmp_path: Path) -> None:
    project = "waivers:\n  - { rule: forbid_pdp_disabled, object: x, reason: r }\n"
    lines = errors(tmp_path, {"domogov.yaml": project})
    assert any(f"did you mean '{RULE}'" in line for line in lines), lines


def test_sandbox_plan_turning_pdp_off_on_the_certified_pipeline_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: the examples certify Sales Pipeline; with the rule on, declaring its PDP
    off fails the plan (exit 1) at the manifest, before anything is read or written."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "examples" / "config", config)
    monkeypatch.chdir(tmp_path)
    people = config / "people.yaml"
    text = people.read_text(encoding="utf-8")
    assert text.count("    enabled: true\n") == 1
    people.write_text(text.replace("    enabled: true\n", "    enabled: false\n"), "utf-8")
    project = config / "domogov.yaml"
    rule = f"\npolicies:\n  {RULE}: true\n"
    project.write_text(project.read_text(encoding="utf-8") + rule, encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "config", "--sandbox"], env={"DOMO_TOKEN": ""})
    assert result.exit_code == 1, result.output
    assert f"people.yaml:24:14: pdp_policies[0].enabled: policy {RULE}" in result.output
    assert "Sales Pipeline" in result.output and "declares PDP off" in result.output
