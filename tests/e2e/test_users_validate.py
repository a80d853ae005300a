"""validate: a user's role is managed in users[].role or in roles[].users, never both."""

from __future__ import annotations

from pathlib import Path

import pytest

from domogov.config import load_config
from domogov.errors import ConfigError


def _issues(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(tmp_path)
    return [str(i) for i in failed.value.issues]


def test_user_role_and_role_users_both_refused_naming_both_places(tmp_path: Path) -> None:
    issues = _issues(
        tmp_path,
        {
            "roles.yaml": "roles:\n  - name: Data Steward\n    users: [Dana@example.com]\n",
            "people.yaml": "users:\n  - email: dana@example.com\n    role: Editor\n",
        },
    )
    assert len(issues) == 1, issues
    (issue,) = issues
    assert "people.yaml:3:11: user.dana@example.com: role:" in issue
    assert "managed twice: here (role: Editor) and in role 'Data Steward' users at " in issue
    assert "roles.yaml:3:13" in issue


def test_user_given_a_role_whose_users_list_is_authoritative(tmp_path: Path) -> None:
    issues = _issues(
        tmp_path,
        {
            "roles.yaml": "roles:\n  - name: Data Steward\n    users: [carol@example.com]\n",
            "people.yaml": "users:\n  - {email: zed@example.com, role: Data Steward}\n",
        },
    )
    assert len(issues) == 1 and "is authoritative and does not name them" in issues[0]


def test_additive_role_users_and_users_role_elsewhere_are_fine(tmp_path: Path) -> None:
    (tmp_path / "roles.yaml").write_text(
        "roles:\n  - name: Data Steward\n    users: {mode: additive, items: [carol@example.com]}\n"
    )
    (tmp_path / "people.yaml").write_text(
        "users:\n  - {email: zed@example.com, role: Data Steward}\n"
        "  - {email: carol@example.com, title: Steward}\n"
    )
    config = load_config(tmp_path)
    assert [u.email for u in config.users] == ["zed@example.com", "carol@example.com"]
