"""Policies judged on a plan's after-state: what the plan adds, and certification it knows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from policykit import (
    LEDGER,
    SALES,
    cert_change,
    emails,
    group_change,
    load,
    plan_of,
    share_change,
)

from domogov.errors import ConfigError, PlanError
from domogov.policy import (
    PolicyViolation,
    check_plan_policies,
    policy_lines,
    policy_markdown,
    raise_for_violations,
    unused_waivers,
    unwaived,
)

CERTIFIED = "policies: { require_certified_for_share_to_groups: true }\n"
SHARE = f"""
    dataset_shares:
      - dataset: {SALES}
        name: Sales Pipeline
        grants: {{ mode: additive, items: [{{ group: Finance Analysts, access: CAN_VIEW }}] }}
"""


def test_a_new_group_grant_on_a_dataset_of_unknown_certification(tmp_path: Path) -> None:
    config = load(tmp_path, {"domogov.yaml": CERTIFIED, "s.yaml": SHARE})
    plan = plan_of(share_change(SALES, [], ["group:Finance Analysts CAN_VIEW"], "Sales Pipeline"))
    [v] = check_plan_policies(config, plan)
    assert (v.rule, v.object, v.waived) == (
        "require_certified_for_share_to_groups",
        f"dataset_share.{SALES}",
        False,
    )
    assert v.message == (
        f"this plan shares dataset 'Sales Pipeline' ({SALES}) with group 'Finance Analysts' "
        "(CAN_VIEW) but its certification is not managed by domogov, so its state is unknown; "
        "declare it certified under certifications, or waive the rule"
    )
    assert str(v.location) == "cfg/s.yaml:4:39"  # the grant in the manifests
    assert v.path == "dataset_shares[0].grants.items[0]"


@pytest.mark.parametrize(
    ("changes", "declared"),
    [
        ([cert_change(SALES, True)], None),  # the plan certifies it
        ([], "certified: true"),  # declared certified (and already so: no change)
    ],
)
def test_certified_per_the_plan_or_the_manifests(
    tmp_path: Path, changes: list, declared: str | None
) -> None:
    files = {"domogov.yaml": CERTIFIED, "s.yaml": SHARE}
    if declared:
        files["c.yaml"] = f"certifications: [{{ dataset: {SALES}, {declared} }}]\n"
    config = load(tmp_path, files)
    plan = plan_of(share_change(SALES, [], ["group:Finance Analysts CAN_VIEW"]), *changes)
    assert check_plan_policies(config, plan) == []


def test_declared_uncertified_fails_already_at_validate(tmp_path: Path) -> None:
    files = {
        "domogov.yaml": CERTIFIED,
        "s.yaml": SHARE,  # additive grants are declared too: they exist after apply
        "c.yaml": f"certifications: [{{ dataset: {SALES}, certified: false }}]\n",
    }
    with pytest.raises(ConfigError, match="but leave it uncertified"):
        load(tmp_path, files)


def test_grants_already_live_are_not_judged_again(tmp_path: Path) -> None:
    config = load(tmp_path, {"domogov.yaml": CERTIFIED, "s.yaml": SHARE})
    live = ["group:Finance Analysts CAN_VIEW", "group:Legacy CAN_VIEW", "user:a@x.com CAN_VIEW"]
    plan = plan_of(share_change(SALES, live, [*live[:2], "user:b@x.com CAN_EDIT"]))
    assert check_plan_policies(config, plan) == []


def test_uncertifying_a_dataset_the_plan_shows_shared_with_groups(tmp_path: Path) -> None:
    # Only users are declared; the plan's read of the share shows live group grants.
    share = f"""
        dataset_shares:
          - dataset: {SALES}
            grants: {{ mode: additive, items: [{{ user: b@x.com, access: CAN_VIEW }}] }}
        certifications: [{{ dataset: {SALES}, certified: false }}]
    """
    config = load(tmp_path, {"domogov.yaml": CERTIFIED, "s.yaml": share})
    live = ["group:Finance Analysts CAN_VIEW", "group:Legacy CAN_EDIT", "user:a@x.com CAN_VIEW"]
    after = [*live, "user:b@x.com CAN_VIEW"]
    plan = plan_of(share_change(SALES, live, after), cert_change(SALES, False))
    violations = check_plan_policies(config, plan)
    assert [v.subject for v in violations] == ["group:Finance Analysts", "group:Legacy"]
    assert violations[1].message == (
        f"this plan uncertifies dataset {SALES}, which stays shared with group 'Legacy' (CAN_EDIT)"
    )
    assert str(violations[1].location) == "cfg/s.yaml:2:5"  # the share (no such grant declared)
    # Without the share in the plan there is nothing known to judge.
    assert check_plan_policies(config, plan_of(cert_change(SALES, False))) == []


def test_forbidden_levels_the_plan_adds_or_raises(tmp_path: Path) -> None:
    forbid = "policies: { forbid_share_levels: [{ principal: group, levels: [CO_OWNER] }] }\n"
    config = load(tmp_path, {"domogov.yaml": forbid, "s.yaml": SHARE})
    before = ["group:Finance Analysts CAN_VIEW", "group:Old Owners CO_OWNER"]
    after = ["group:Finance Analysts CO_OWNER", "group:Old Owners CO_OWNER", "group:New CAN_EDIT"]
    [v] = check_plan_policies(config, plan_of(share_change(SALES, before, after)))
    assert v.rule == "forbid_share_levels" and v.subject == "group:Finance Analysts"
    assert v.message == (
        f"this plan grants CO_OWNER to group 'Finance Analysts' on dataset 'Sales Pipeline' "
        f"({SALES}); "
        "CO_OWNER to groups is forbidden"
    )


def test_max_group_size_on_groups_the_plan_grows(tmp_path: Path) -> None:
    project = "policies: { max_group_size: 3 }\n"
    groups = "groups:\n  - { name: Partners, members: { mode: additive, items: [a@x.com] } }\n"
    config = load(tmp_path, {"domogov.yaml": project, "g.yaml": groups})
    grows = group_change("Partners", emails(3), [*emails(3), "a@x.com"])
    [v] = check_plan_policies(config, plan_of(grows))
    assert v.message == "group 'Partners' would have 4 members after this plan; max_group_size is 3"
    assert str(v.location) == "cfg/g.yaml:2:32"
    # Already too large, and the plan adds nobody (a rename, a removal): not this plan's doing.
    shrinks = group_change("Partners", emails(6), emails(5))
    assert check_plan_policies(config, plan_of(shrinks)) == []
    created = group_change("Partners", None, emails(4))
    assert len(check_plan_policies(config, plan_of(created))) == 1


def test_waivers_apply_to_plan_violations_and_waived_manifest_ones_are_listed(
    tmp_path: Path,
) -> None:
    project = (
        "policies:\n"
        "  require_certified_for_share_to_groups: true\n"
        "  max_group_size: 2\n"
        "waivers:\n"
        f"  - {{ rule: require_certified_for_share_to_groups, object: dataset_share.{SALES},"
        " reason: certification pending (DATA-123) }\n"
        "  - { rule: max_group_size, object: group.All Sales, reason: company-wide }\n"
        f"  - {{ rule: max_group_size, object: group.Partners, reason: spare }}\n"
    )
    groups = (
        f"groups:\n  - {{ name: All Sales, members: [{', '.join(emails(3))}] }}\n"
        "  - { name: Partners, members: { mode: additive, items: [a@x.com] } }\n"
    )
    config = load(tmp_path, {"domogov.yaml": project, "s.yaml": SHARE, "g.yaml": groups})
    plan = plan_of(share_change(SALES, [], ["group:Finance Analysts CAN_VIEW"]))
    violations = check_plan_policies(config, plan)
    assert [(v.rule, v.waived_by) for v in violations] == [
        ("max_group_size", "company-wide"),  # from the manifests: not in the plan, still shown
        ("require_certified_for_share_to_groups", "certification pending (DATA-123)"),
    ]
    assert unwaived(violations) == []
    raise_for_violations(violations)  # waived: passes
    assert unused_waivers(config, violations) == [
        "waiver max_group_size for 'group.Partners' waived nothing in this plan"
    ]


def test_manifest_and_plan_findings_of_one_grant_count_once(tmp_path: Path) -> None:
    project = (
        "policies: { forbid_share_levels: [{ principal: group, levels: [CO_OWNER] }] }\n"
        f"waivers: [{{ rule: forbid_share_levels, object: dataset_share.{LEDGER}, reason: ok }}]\n"
    )
    share = (
        f"dataset_shares:\n  - dataset: {LEDGER}\n"
        "    grants: [{ group: Finance Analysts, access: CO_OWNER }]\n"
    )
    config = load(tmp_path, {"domogov.yaml": project, "s.yaml": share})
    plan = plan_of(share_change(LEDGER, [], ["group:Finance Analysts CO_OWNER"]))
    [v] = check_plan_policies(config, plan)
    assert v.message.startswith("CO_OWNER is granted to group")  # the manifest's wording
    assert v.waived_by == "ok"


def test_unwaived_violations_raise_a_plan_error_naming_each() -> None:
    failing = PolicyViolation("max_group_size", "group.X", "too big", None)
    waived = PolicyViolation("max_group_size", "group.Y", "too big", None, waived_by="fine")
    with pytest.raises(PlanError) as info:
        raise_for_violations([failing, waived])
    assert info.value.exit_code == 1
    assert str(info.value) == (
        "1 policy violation: change the manifests, or add a waiver (waivers: [{rule, object, "
        "reason}]) in domogov.yaml\n  policy max_group_size: too big"
    )


def test_views() -> None:
    from domogov.errors import Location

    failing = PolicyViolation("max_group_size", "group.X", "too big", Location("g.yaml", 3, 5))
    waived = PolicyViolation("forbid_share_levels", "dataset_share.d", "a | b", None, "ok")
    assert policy_lines([failing, waived]) == [
        "! max_group_size group.X: too big  [g.yaml:3:5]",
        "~ forbid_share_levels dataset_share.d: a | b  (waived: ok)",
    ]
    markdown = policy_markdown([failing, waived])
    assert markdown.startswith("### Policy: 1 failing, 1 waived\n")
    assert "| **fails** | `max_group_size` | `group.X` | too big |  |" in markdown
    assert "| waived | `forbid_share_levels` | `dataset_share.d` | a \\| b | ok |" in markdown
    assert policy_markdown([]) == ""
    assert json.loads(json.dumps([failing.to_json()])) == [
        {
            "rule": "max_group_size",
            "object": "group.X",
            "message": "too big",
            "location": "g.yaml:3:5",
            "waived_by": None,
        }
    ]
    assert str(waived) == "forbid_share_levels: a | b [waived: ok]"
