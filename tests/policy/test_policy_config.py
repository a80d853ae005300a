"""Policies judged on the manifests alone: validate fails on them, with file:line."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from policykit import LEDGER, SALES, emails, errors, load, write

from domogov.cli import cli
from domogov.policy import check_config_policies

NO_CO_OWNER_TO_GROUPS = """
    policies:
      forbid_share_levels:
        - { principal: group, levels: [CO_OWNER] }
"""
SHARES = f"""
    dataset_shares:
      - dataset: {SALES}
        name: Sales Pipeline
        grants:
          - {{ group: Finance Analysts, access: CO_OWNER }}
          - {{ user: bob@example.com, access: CO_OWNER }}
"""


def test_forbidden_level_to_a_group_fails_at_the_grant(tmp_path: Path) -> None:
    lines = errors(tmp_path, {"domogov.yaml": NO_CO_OWNER_TO_GROUPS, "shares.yaml": SHARES})
    assert lines == [
        "cfg/shares.yaml:5:9: dataset_shares[0].grants[0]: policy forbid_share_levels: "
        "CO_OWNER is granted to group 'Finance Analysts' on dataset 'Sales Pipeline' "
        f"({SALES}); CO_OWNER to groups is forbidden"
    ]  # the user's CO_OWNER is allowed: the rule names groups only


def test_principal_any_covers_users_and_groups(tmp_path: Path) -> None:
    project = """
        policies:
          forbid_share_levels: [{ principal: any, levels: [CO_OWNER, CAN_SHARE] }]
    """
    lines = errors(tmp_path, {"domogov.yaml": project, "shares.yaml": SHARES})
    assert len(lines) == 2
    assert "to group 'Finance Analysts'" in lines[0] and "to user 'bob@example.com'" in lines[1]
    assert lines[1].startswith("cfg/shares.yaml:6:9: dataset_shares[0].grants[1]: ")


def test_allowed_levels_and_no_policies_load(tmp_path: Path) -> None:
    ok = SHARES.replace("CO_OWNER", "CAN_VIEW")
    config = load(tmp_path, {"domogov.yaml": NO_CO_OWNER_TO_GROUPS, "shares.yaml": ok})
    assert check_config_policies(config) == []
    assert load(tmp_path / "b", {"shares.yaml": SHARES}).project.policies.forbid_share_levels == ()


def test_max_group_size_counts_declared_members(tmp_path: Path) -> None:
    groups = f"""
        groups:
          - name: All Sales
            members: [{", ".join(emails(3))}]
          - name: Growing
            members: {{ mode: additive, items: [{", ".join(emails(4))}] }}
          - name: Unmanaged
          - name: Small
            members: [{", ".join(emails(2))}]
    """
    lines = errors(tmp_path, {"domogov.yaml": "policies: { max_group_size: 2 }", "g.yaml": groups})
    assert lines == [
        "cfg/g.yaml:3:14: groups[0].members: policy max_group_size: group 'All Sales' "
        "declares 3 members; max_group_size is 2",
        "cfg/g.yaml:5:14: groups[1].members: policy max_group_size: group 'Growing' "
        "adds at least 4 members; max_group_size is 2",
    ]


def _certified(value: str) -> str:
    return f"""
        certifications:
          - {{ dataset: {SALES}, {value} }}
    """


CERTIFIED_POLICY = "policies: { require_certified_for_share_to_groups: true }"
GROUP_SHARE = f"""
    dataset_shares:
      - dataset: {SALES}
        grants:
          - {{ group: Finance Analysts, access: CAN_VIEW }}
          - {{ user: bob@example.com, access: CAN_EDIT }}
"""


def test_group_share_of_a_dataset_declared_uncertified_fails(tmp_path: Path) -> None:
    files = {
        "domogov.yaml": CERTIFIED_POLICY,
        "shares.yaml": GROUP_SHARE,
        "certs.yaml": _certified("certified: false"),
    }
    assert errors(tmp_path, files) == [
        "cfg/shares.yaml:4:9: dataset_shares[0].grants[0]: policy "
        f"require_certified_for_share_to_groups: the manifests share dataset {SALES} with "
        "group 'Finance Analysts' (CAN_VIEW) but leave it uncertified (cfg/certs.yaml:2:5); "
        "datasets shared with groups must be certified"
    ]
    files["certs.yaml"] = _certified("ensure: absent")
    assert len(errors(tmp_path / "absent", files)) == 1


def test_group_share_of_a_certified_or_undeclared_dataset_loads(tmp_path: Path) -> None:
    files = {
        "domogov.yaml": CERTIFIED_POLICY,
        "shares.yaml": GROUP_SHARE,
        "certs.yaml": _certified("certified: true"),
    }
    assert check_config_policies(load(tmp_path, files)) == []
    del files["certs.yaml"]  # not managed: only the plan can judge it (see test_policy_plan)
    assert check_config_policies(load(tmp_path / "undeclared", files)) == []


def test_a_waiver_lets_validate_pass_and_is_reported(tmp_path: Path) -> None:
    project = textwrap.dedent(NO_CO_OWNER_TO_GROUPS) + (
        f"waivers:\n  - {{ rule: forbid_share_levels, object: dataset_share.{SALES}, "
        'reason: "finance owns it, approved by security 2026-10" }\n'
    )
    config = load(tmp_path, {"domogov.yaml": project, "shares.yaml": SHARES})
    [violation] = check_config_policies(config)
    assert violation.waived and violation.waived_by.startswith("finance owns it")
    assert violation.object == f"dataset_share.{SALES}"
    assert str(violation.location) == "cfg/shares.yaml:5:9"
    assert violation.to_json()["waived_by"] == violation.waived_by


def test_a_glob_waiver_matches_addresses(tmp_path: Path) -> None:
    project = """
        policies: { max_group_size: 1 }
        waivers:
          - { rule: max_group_size, object: "group.All *", reason: company-wide groups }
    """
    groups = f"groups:\n  - {{ name: All Sales, members: [{', '.join(emails(2))}] }}\n"
    [violation] = check_config_policies(load(tmp_path, {"domogov.yaml": project, "g.yaml": groups}))
    assert violation.waived_by == "company-wide groups"


def test_an_expired_waiver_no_longer_waives(tmp_path: Path) -> None:
    project = """
        policies: { max_group_size: 1 }
        waivers:
          - rule: max_group_size
            object: group.Big
            reason: until the reorg
            expires: 2020-01-31
    """
    groups = f"groups:\n  - {{ name: Big, members: [{', '.join(emails(2))}] }}\n"
    files = {"domogov.yaml": project, "g.yaml": groups}
    [line] = errors(tmp_path, files)
    assert line.endswith("max_group_size is 1 (its waiver expired on 2020-01-31)")
    fresh = project.replace("2020-01-31", "2999-12-31")
    [violation] = check_config_policies(load(tmp_path / "b", {**files, "domogov.yaml": fresh}))
    assert violation.waived
    # the `today` a check uses can be given (for CI jobs replaying a date, and for tests)
    config = load(tmp_path / "b", {**files, "domogov.yaml": fresh})
    assert not check_config_policies(config, today=date(3000, 1, 1))[0].waived


def test_validate_command_reports_policy_errors(tmp_path: Path) -> None:
    write(tmp_path, {"domogov.yaml": NO_CO_OWNER_TO_GROUPS, "shares.yaml": SHARES})
    result = CliRunner().invoke(cli, ["validate", "cfg"])
    assert result.exit_code == 1
    assert "cfg/shares.yaml:5:9: dataset_shares[0].grants[0]: policy forbid_share_levels" in (
        result.output
    )
    assert LEDGER not in result.output
