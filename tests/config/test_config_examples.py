"""Shipped examples: examples/config is valid; each examples/invalid case fails as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import REPO

from domogov.config import load_config
from domogov.config.validate import run, validate_dir
from domogov.errors import ConfigError

INVALID = sorted(p.name for p in (REPO / "examples" / "invalid").iterdir() if p.is_dir())
SCHEMA_LINE = "# yaml-language-server: $schema="


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)


def test_example_config_is_valid():
    config, line = validate_dir("examples/config")
    assert line == f"OK: {config.object_count} objects in {len(config.files)} files"
    assert run("examples/config") == (0, line)


def test_example_config_uses_every_kind_and_feature():
    config = load_config("examples/config")
    for section in (
        "groups",
        "roles",
        "dataset_shares",
        "certifications",
        "alerts",
        "report_schedules",
    ):
        assert config.section(section), section
    assert config.project.instance == "acme"
    assert config.project.prune_scope("groups").match == "gov-*"
    assert config.project.prune_scope("report_schedules").match is None
    assert config.project.default_role == "Participant"
    assert any(not s.present for s in config.specs())
    assert any(g.members and g.members.additive for g in config.groups)
    assert any(g.owners for g in config.groups)
    assert any(g.id for g in config.groups)
    assert any(r.from_role and r.users and r.authorities for r in config.roles)
    grants = [g for s in config.dataset_shares for g in s.grants.items]
    assert any(g.user for g in grants) and any(g.group for g in grants)
    assert {c.card is None for c in config.certifications} == {True, False}
    subscribers = [s for a in config.alerts for s in a.subscribers.items]
    assert any(s.user for s in subscribers) and any(s.group for s in subscribers)
    assert {s.schedule.frequency for s in config.report_schedules} == {"WEEKLY", "MONTHLY"}
    recipients = [r for s in config.report_schedules for r in s.recipients.items]
    assert all(any(getattr(r, k) for r in recipients) for k in ("user", "group", "email"))


# Manifests only: examples/sandbox holds simulator state and examples/ci CI recipes.
MANIFESTS = sorted(
    p
    for p in (REPO / "examples").glob("**/*.yaml")
    if p.relative_to(REPO / "examples").parts[0] in ("config", "invalid")
)


@pytest.mark.parametrize("path", MANIFESTS, ids=str)
def test_every_example_file_points_at_the_schema(path: Path):
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith(SCHEMA_LINE)
    target = (path.parent / first[len(SCHEMA_LINE) :]).resolve()
    assert target == REPO / "schemas" / "domogov.schema.json"


@pytest.mark.parametrize("case", INVALID)
def test_invalid_example_gives_its_documented_message(case):
    expected = (REPO / "examples" / "invalid" / case / "expected.txt").read_text().splitlines()
    with pytest.raises(ConfigError) as info:
        load_config(f"examples/invalid/{case}")
    assert [str(i) for i in info.value.issues] == expected
    code, text = run(f"examples/invalid/{case}")
    assert code == 1 and text.splitlines()[: len(expected)] == expected


def test_invalid_cases_cover_the_common_mistakes():
    wanted = {
        "unknown_key",
        "duplicate_yaml_key",
        "declared_twice",
        "user_in_two_roles",
        "grant_user_and_group",
        "grant_neither",
        "unknown_access_level",
        "owner_access",
        "invalid_email",
        "not_a_mapping",
        "bad_schedule_time",
        "bad_timezone",
        "monthly_day_32",
        "wrong_type",
        "non_utf8",
        "unknown_section",
    }
    assert wanted <= set(INVALID)
