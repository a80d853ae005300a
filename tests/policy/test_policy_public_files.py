"""forbid_public_files: judged on the manifests (validate), on a plan, and waived per file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from policykit import errors, load

from domogov.config import Config
from domogov.core.changes import Action, Change, Plan
from domogov.errors import PlanError
from domogov.policy import (
    check_config_policies,
    check_plan_policies,
    raise_for_violations,
    unwaived,
)

PROJECT = "policies: { forbid_public_files: true }\n"
FILES = """
    file_permissions:
      - file: 4711
        name: Board Pack.pdf
        public: true
      - file: 4712
        public: false
      - file: 4713
        grants: [{ user: a@example.com, access: READ }]
"""


def file_change(file: int, before: bool | None, after: bool | None, name: str = "") -> Change:
    """A file_permission change as the kind builds it (grants unchanged here)."""
    base = {"file": file, "name": name or None, "grants": []}
    return Change(
        address=f"file_permission.{file}",
        kind="file_permission",
        action=Action.UPDATE,
        key={"file": file},
        before={**base, "public": before},
        after={**base, "public": after},
    )


def test_a_declared_public_file_fails_validate_at_its_public_field(tmp_path: Path) -> None:
    lines = errors(tmp_path, {"domogov.yaml": PROJECT, "files.yaml": FILES})
    assert lines == [
        "cfg/files.yaml:4:13: file_permissions[0].public: policy forbid_public_files: "
        "file 'Board Pack.pdf' (4711) is declared public; public files are forbidden"
    ]


def test_off_by_default_and_private_files_pass(tmp_path: Path) -> None:
    config = load(tmp_path, {"files.yaml": FILES})
    assert config.project.policies.forbid_public_files is False
    assert check_config_policies(config) == []
    private = FILES.replace("public: true", "public: false")
    config = load(tmp_path / "b", {"domogov.yaml": PROJECT, "files.yaml": private})
    assert check_config_policies(config) == []


def test_a_plan_making_a_file_public_is_judged_once(tmp_path: Path) -> None:
    private = FILES.replace("public: true", "public: false")
    config = load(tmp_path, {"domogov.yaml": PROJECT, "files.yaml": private})
    plan = Plan(
        instance="t",
        changes=[
            file_change(4712, False, True),  # the plan makes it public: a violation
            file_change(4713, True, True),  # already public, public unmanaged: not judged
            file_change(4711, True, False, "Board Pack.pdf"),  # made private: fine
        ],
    )
    [violation] = check_plan_policies(config, plan)
    assert violation.rule == "forbid_public_files"
    assert violation.object == "file_permission.4712"
    assert violation.message == "this plan makes file 4712 public; public files are forbidden"
    assert (str(violation.location), violation.path) == (
        "cfg/files.yaml:6:13",
        "file_permissions[1].public",
    )
    with pytest.raises(PlanError, match="1 policy violation"):
        raise_for_violations(check_plan_policies(config, plan))


def test_manifest_and_plan_findings_of_one_file_count_once(tmp_path: Path) -> None:
    config = with_waiver(tmp_path)
    plan = Plan(instance="t", changes=[file_change(4711, False, True, "Board Pack.pdf")])
    [violation] = check_plan_policies(config, plan)
    assert "is declared public" in violation.message  # the manifest's wording first


def with_waiver(tmp_path: Path) -> Config:
    project = PROJECT + (
        "waivers:\n  - { rule: forbid_public_files, object: file_permission.4711, "
        "reason: board portal, expires: 2999-01-01 }\n"
    )
    return load(tmp_path, {"domogov.yaml": project, "files.yaml": FILES})


def test_a_waiver_names_the_file_and_can_expire(tmp_path: Path) -> None:
    config = with_waiver(tmp_path)
    [violation] = check_config_policies(config)
    assert violation.waived_by == "board portal" and unwaived([violation]) == []
    [expired] = check_config_policies(config, today=date(2999, 1, 2))
    assert not expired.waived and "its waiver expired on 2999-01-01" in expired.message


def test_a_waiver_matching_no_file_or_a_private_one_is_reported(tmp_path: Path) -> None:
    project = PROJECT + (
        "waivers:\n"
        "  - { rule: forbid_public_files, object: file_permission.9999, reason: r }\n"
        "  - { rule: forbid_public_files, object: file_permission.4712, reason: r }\n"
    )
    lines = errors(tmp_path, {"domogov.yaml": project, "files.yaml": FILES})
    assert any(
        "waiver object 'file_permission.9999' matches no declared file_permission" in line
        for line in lines
    )
    assert any("waiver is stale" in line and "file_permission.4712" in line for line in lines)


def test_a_waiver_for_the_rule_when_it_is_off(tmp_path: Path) -> None:
    project = (
        "waivers:\n  - { rule: forbid_public_files, object: file_permission.4711, reason: r }\n"
    )
    lines = errors(tmp_path, {"domogov.yaml": project, "files.yaml": FILES})
    assert lines == [
        "cfg/domogov.yaml:2:5: waivers[0]: waiver for 'forbid_public_files', which is not "
        "enabled under policies; remove it"
    ]
