"""Waivers: an unknown rule, a rule not enabled, an object matching nothing, a stale waiver."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jsonschema
import pytest
from policykit import SALES, emails, errors, load

from domogov.config.schema import json_schema

GROUPS = f"""
    groups:
      - name: All Sales
        members: [{", ".join(emails(3))}]
      - name: Partners
        members: {{ mode: additive, items: [a@example.com] }}
      - name: Small
        members: [a@example.com]
      - name: Gone
        ensure: absent
"""
SHARES = f"""
    dataset_shares:
      - dataset: {SALES}
        grants:
          - {{ group: All Sales, access: CAN_VIEW }}
"""


def _project(*waivers: str, policies: str = "max_group_size: 2") -> str:
    lines = [f"policies: {{ {policies} }}", "waivers:"]
    lines += [f"  - {{ {w}, reason: approved }}" for w in waivers]
    return "\n".join(lines) + "\n"


def _errors(tmp_path: Path, project: str) -> list[str]:
    """The errors about waivers (All Sales also breaks max_group_size when not waived)."""
    files = {"domogov.yaml": project, "groups.yaml": GROUPS, "s.yaml": SHARES}
    return [line for line in errors(tmp_path, files) if line.startswith("cfg/domogov.yaml")]


def test_unknown_rule_is_a_schema_error_with_a_suggestion(tmp_path: Path) -> None:
    lines = _errors(tmp_path, _project("rule: max_group_sise, object: group.All Sales"))
    assert lines == [
        "cfg/domogov.yaml:3:13: waivers[0].rule: unknown policy rule 'max_group_sise'; valid: "
        "forbid_share_levels, require_certified_for_share_to_groups, max_group_size, "
        "forbid_public_files, forbid_pdp_disabled_on_certified; "
        "did you mean 'max_group_size'?"
    ]


def test_waiver_for_a_rule_not_enabled(tmp_path: Path) -> None:
    project = _project(
        "rule: max_group_size, object: group.All Sales",
        f"rule: forbid_share_levels, object: dataset_share.{SALES}",
    )
    [line] = _errors(tmp_path, project)
    assert line == (
        "cfg/domogov.yaml:4:5: waivers[1]: waiver for 'forbid_share_levels', which is not "
        "enabled under policies; remove it"
    )


def test_waiver_object_matching_nothing_suggests_the_closest(tmp_path: Path) -> None:
    [line] = _errors(tmp_path, _project("rule: max_group_size, object: group.All Sale"))
    assert line == (
        "cfg/domogov.yaml:3:5: waivers[0].object: waiver object 'group.All Sale' matches no "
        "declared group (max_group_size is judged on group.<name>); did you mean "
        "'group.All Sales'?"
    )


@pytest.mark.parametrize(
    "target",
    [
        f"dataset_share.{SALES}",  # a share: max_group_size is judged on groups
        "group.Gone",  # declared, but to be deleted
        "group.Nope-*",  # a glob matching nothing
    ],
)
def test_waiver_object_of_the_wrong_kind_or_absent(tmp_path: Path, target: str) -> None:
    [line] = _errors(tmp_path, _project(f"rule: max_group_size, object: {target}"))
    assert f"waiver object '{target}' matches no declared group" in line


def test_stale_waiver_for_a_group_declared_within_the_limit(tmp_path: Path) -> None:
    [line] = _errors(tmp_path, _project("rule: max_group_size, object: group.Small"))
    assert line == (
        "cfg/domogov.yaml:3:5: waivers[0]: waiver is stale: the manifests keep 'group.Small' "
        "within max_group_size, so it waives nothing; remove it"
    )


def test_stale_waiver_for_a_group_whose_members_are_unmanaged(tmp_path: Path) -> None:
    files = {
        "domogov.yaml": _project("rule: max_group_size, object: group.Unmanaged"),
        "groups.yaml": textwrap.dedent(GROUPS) + "  - name: Unmanaged\n",
        "s.yaml": SHARES,
    }
    lines = [line for line in errors(tmp_path, files) if "waivers[0]" in line]
    assert lines and "waiver is stale" in lines[0]  # domogov never adds members to it


def test_waivers_that_may_still_be_needed_are_kept(tmp_path: Path) -> None:
    # All Sales breaks the rule; Partners is additive, so the plan may find it too large.
    project = _project(
        "rule: max_group_size, object: group.All Sales",
        "rule: max_group_size, object: group.Partners",
        'rule: max_group_size, object: "group.*"',
    )
    files = {"domogov.yaml": project, "groups.yaml": GROUPS, "s.yaml": SHARES}
    assert len(load(tmp_path, files).project.waivers) == 3


def test_stale_share_waivers(tmp_path: Path) -> None:
    forbid = "forbid_share_levels: [{ principal: group, levels: [CO_OWNER] }]"
    project = _project(f"rule: forbid_share_levels, object: dataset_share.{SALES}", policies=forbid)
    [line] = _errors(tmp_path, project)
    assert "waiver is stale" in line  # every grant is declared and none is CO_OWNER
    certified = "require_certified_for_share_to_groups: true"
    rule = f"rule: require_certified_for_share_to_groups, object: dataset_share.{SALES}"
    files = {
        "domogov.yaml": _project(rule, policies=certified),
        "groups.yaml": GROUPS,
        "s.yaml": SHARES,
    }
    assert load(tmp_path / "unknown", files)  # certification not declared: the plan judges
    files["c.yaml"] = f"certifications: [{{ dataset: {SALES}, certified: true }}]\n"
    [line] = errors(tmp_path / "certified", files)
    assert "waiver is stale" in line


def test_bad_waiver_fields(tmp_path: Path) -> None:
    project = (
        "policies: { max_group_size: 2 }\n"
        "waivers:\n"
        "  - { rule: max_group_size, object: group.All Sales, reason: '', expires: soon }\n"
        "  - { rule: max_group_size, object: group.All Sales, why: x }\n"
    )
    lines = _errors(tmp_path, project)
    assert "cfg/domogov.yaml:3:62: waivers[0].reason: must not be empty" in lines
    assert "cfg/domogov.yaml:3:75: waivers[0].expires: expected a date YYYY-MM-DD, got 'soon'" in (
        lines
    )
    assert any("waivers[1]: missing required key 'reason'" in line for line in lines)
    assert any("waivers[1].why: unknown key" in line for line in lines)


def test_policy_keys_are_project_settings(tmp_path: Path) -> None:
    files = {"groups.yaml": "policies: { max_group_size: 2 }\n"}
    [line] = errors(tmp_path, files)
    assert "'policies' is a project setting; it belongs in domogov.yaml" in line


def test_schema_documents_policies_and_waivers() -> None:
    props = json_schema()["properties"]
    assert {"policies", "waivers"} <= set(props)
    validator = jsonschema.Draft202012Validator(json_schema())
    doc = {
        "policies": {
            "forbid_share_levels": [{"principal": "group", "levels": ["CO_OWNER"]}],
            "require_certified_for_share_to_groups": True,
            "max_group_size": 200,
        },
        "waivers": [{"rule": "max_group_size", "object": "group.All Sales", "reason": "ok"}],
    }
    assert list(validator.iter_errors(doc)) == []
    doc["waivers"][0]["rule"] = "nope"
    assert list(validator.iter_errors(doc))
