"""Reading files: discovery, YAML hazards, and positions of values."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from config_helpers import issues_of, lines_of, write_tree

from domogov.config import SECTIONS, load_config
from domogov.config.loader import MAX_ALIAS_VALUES, MAX_FILE_BYTES

GROUP = """
groups:
  - name: Finance Analysts
    members: [alice@acme.example]
"""


def test_files_are_read_recursively_sorted_by_path(load):
    config = load(
        {
            "b.yaml": "groups: [{name: B}]",
            "a/z.yml": "groups: [{name: AZ}]",
            "a/b.yaml": "groups: [{name: AB}]",
            "notes.txt": "groups: [{name: ignored}]",
        }
    )
    assert config.files == ["cfg/a/b.yaml", "cfg/a/z.yml", "cfg/b.yaml"]
    assert [g.name for g in config.groups] == ["AB", "AZ", "B"]


def test_hidden_directories_and_files_are_skipped(load):
    config = load({".github/workflows/ci.yaml": "on: push", ".x.yaml": "a: 1", "g.yaml": GROUP})
    assert config.files == ["cfg/g.yaml"]


def test_project_file_only_counts_at_the_top(tree):
    name = tree({"domogov.yaml": "instance: acme", "sub/domogov.yaml": "instance: other"})
    assert lines_of(name) == [
        "cfg/sub/domogov.yaml:1:1: instance: 'instance' is a project setting; "
        "it belongs in domogov.yaml at the top"
    ]


def test_project_file_is_read_for_settings(load):
    config = load({"domogov.yaml": "instance: acme\nmax_destructive: 3\n"})
    assert config.project.instance == "acme"
    assert config.project.max_destructive == 3
    assert config.object_count == 0
    assert config.files == ["cfg/domogov.yaml"]


def test_empty_and_comment_only_files_are_allowed(load):
    config = load({"empty.yaml": "", "comments.yaml": "# nothing yet\n", "null.yaml": "~\n"})
    assert config.object_count == 0
    assert len(config.files) == 3


def test_empty_section_is_allowed(load):
    assert load({"g.yaml": "groups:\n# - name: later\n"}).groups == []


def test_paths_are_shown_as_the_user_gave_the_directory(tmp_path, monkeypatch):
    write_tree(tmp_path / "gov" / "conf", {"g.yaml": "groups: [{name: X, nam: Y}]"})
    monkeypatch.chdir(tmp_path)
    assert lines_of("gov/conf")[0].startswith("gov/conf/g.yaml:1:20: group.X: nam:")
    assert lines_of("gov/conf/")[0].startswith("gov/conf/g.yaml:1:20:")
    monkeypatch.chdir(tmp_path / "gov" / "conf")
    assert lines_of(".")[0].startswith("g.yaml:1:20:")
    assert lines_of(str(tmp_path / "gov/conf"))[0].startswith(f"{tmp_path}/gov/conf/g.yaml:")


def test_a_single_file_can_be_loaded(tree):
    name = tree({"g.yaml": GROUP})
    config = load_config(f"{name}/g.yaml")
    assert config.files == ["cfg/g.yaml"]
    assert config.groups[0].name == "Finance Analysts"


def test_missing_directory_is_an_error(tmp_path):
    assert lines_of(tmp_path / "nope") == [f"{tmp_path}/nope: no such file or directory"]


def test_duplicate_yaml_key_names_both_lines(tree):
    name = tree({"g.yaml": "groups:\n  - name: A\n    type: open\n    name: B\n"})
    assert lines_of(name) == [
        "cfg/g.yaml:4:5: groups[0].name: duplicate key 'name'; first defined at line 2, column 5"
    ]


def test_every_duplicate_key_is_reported(tree):
    name = tree({"a.yaml": "groups: []\ngroups: []\n", "b.yaml": "roles: []\nroles: []\n"})
    assert [str(i.location) for i in issues_of(name)] == ["cfg/a.yaml:2:1", "cfg/b.yaml:2:1"]


def test_non_utf8_file_points_at_the_bad_byte(tree):
    name = tree({"g.yaml": b"groups:\n  - name: Caf\xe9\n"})
    assert lines_of(name) == [
        "cfg/g.yaml:2:14: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


def test_utf8_bom_is_accepted(load):
    assert load({"g.yaml": "\ufeffgroups: [{name: Café}]".encode()}).groups[0].name == "Café"


def test_control_character_is_an_error(tree):
    name = tree({"g.yaml": "groups:\n  - name: a\x07b\n"})
    assert lines_of(name) == ["cfg/g.yaml:2:12: invalid YAML: character U+0007 is not allowed"]


@pytest.mark.parametrize(
    ("text", "found"),
    [("- a\n- b\n", "a list"), ("just text\n", "a string"), ("42\n", "an integer")],
)
def test_file_that_is_not_a_mapping(tree, text, found):
    name = tree({"g.yaml": text})
    [issue] = issues_of(name)
    assert str(issue.location) == "cfg/g.yaml:1:1"
    assert issue.message.startswith(
        "a manifest must be a mapping of kind sections (users, groups, "
    )
    assert issue.message.endswith(f"got {found}")


def test_alias_bomb_is_refused_quickly(tree):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    name = tree({"bomb.yaml": "\n".join([*lines, "groups: *a11", ""])})
    start = time.monotonic()
    [issue] = issues_of(name)
    assert time.monotonic() - start < 5
    assert f"aliases expand to more than {MAX_ALIAS_VALUES} values" in issue.message
    assert issue.location.line > 0


def test_modest_aliases_are_expanded(load):
    config = load(
        {
            "g.yaml": """
            x-owners: &owners [carol@acme.example]
            groups:
              - {name: A, owners: *owners}
              - {name: B, owners: *owners}
            """
        }
    )
    assert [g.owners.items for g in config.groups] == [("carol@acme.example",)] * 2


def test_merge_keys_fill_in_missing_keys_only(load):
    config = load(
        {
            "g.yaml": """
            x-defaults: &defaults {type: closed, description: Team}
            groups:
              - <<: *defaults
                name: A
                type: open
            """
        }
    )
    group = config.groups[0]
    assert (group.type, group.description) == ("open", "Team")
    assert str(config.where(group, "type")) == "cfg/g.yaml:5:11"
    assert str(config.where(group, "description")) == "cfg/g.yaml:1:51"


def test_recursive_alias_is_an_error(tree):
    [issue] = issues_of(tree({"g.yaml": "groups: &a [*a]\n"}))
    assert issue.message == "an alias refers to itself (recursive structure)"


def test_deep_nesting_is_an_error_not_a_crash(tree):
    name = tree({"a.yaml": "groups: " + "[" * 3000, "b.yaml": "groups: " + "[" * 80 + "]" * 80})
    issues = issues_of(name)
    assert [i.message for i in issues] == ["nesting deeper than 64 levels"] * 2


def test_file_over_10_mb_is_not_read(tree):
    name = tree({"big.yaml": ""})
    with open(Path(name) / "big.yaml", "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: large on paper, cheap on disk
    assert lines_of(name) == ["cfg/big.yaml: file is larger than 10 MB (10.0 MB); not read"]


def test_unsupported_tag_is_an_error(tree):
    name = tree({"g.yaml": "groups: !!python/object:os.system [ls]\n"})
    assert lines_of(name) == [
        "cfg/g.yaml:1:9: groups: unsupported YAML tag '!!python/object:os.system'"
    ]


def test_two_documents_in_one_file(tree):
    name = tree({"g.yaml": "groups: []\n---\nroles: []\n"})
    assert lines_of(name) == [
        "cfg/g.yaml:2:1: invalid YAML: a file holds one YAML document; "
        "remove the '---' that starts another"
    ]


def test_syntax_error_has_position(tree):
    [issue] = issues_of(tree({"g.yaml": "groups:\n  - name: A\n   bad: [\n"}))
    assert issue.location.line >= 2
    assert issue.message.startswith("invalid YAML: ")


def test_unknown_section_suggests_a_kind(tree):
    assert lines_of(tree({"g.yaml": "group: []\n"})) == [
        "cfg/g.yaml:1:1: group: unknown section; did you mean 'groups'?"
    ]


def test_unknown_section_without_close_match_lists_sections(tree):
    [issue] = issues_of(tree({"g.yaml": "zebras: []\n"}))
    # Every kind's section, in the registry's (plan) order.
    assert issue.message == f"unknown section; valid sections: {', '.join(SECTIONS)}"


def test_section_must_be_a_list(tree):
    assert lines_of(tree({"g.yaml": "groups: {name: A}\n"})) == [
        "cfg/g.yaml:1:9: groups: expected a list of groups (one '- ' entry each), got a mapping"
    ]


def test_dates_and_numbers_as_names_are_not_converted_silently(tree):
    [issue] = issues_of(tree({"g.yaml": "groups: [{name: 2024}]\n"}))
    assert issue.message == 'expected a string, got an integer (quote it: "2024")'
    assert load_config(tree({"g.yaml": "groups: [{name: 2024-01-01}]\n"})).groups[0].name == (
        "2024-01-01"
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
class TestSymlinks:
    def test_symlink_leading_outside_is_not_followed(self, tmp_path, monkeypatch):
        write_tree(tmp_path, {"outside/evil.yaml": "groups: [{name: Evil}]", "cfg/g.yaml": GROUP})
        (tmp_path / "cfg" / "linked.yaml").symlink_to(tmp_path / "outside" / "evil.yaml")
        (tmp_path / "cfg" / "dir").symlink_to(tmp_path / "outside")
        monkeypatch.chdir(tmp_path)
        lines = lines_of("cfg")
        assert lines == [
            f"cfg/dir: symlink leads outside the configuration directory "
            f"(to {tmp_path}/outside); not followed",
            f"cfg/linked.yaml: symlink leads outside the configuration directory "
            f"(to {tmp_path}/outside/evil.yaml); not followed",
        ]

    def test_symlink_inside_is_followed_once(self, tmp_path, monkeypatch):
        write_tree(tmp_path, {"cfg/shared/g.yaml": GROUP})
        (tmp_path / "cfg" / "alias.yaml").symlink_to(tmp_path / "cfg" / "shared" / "g.yaml")
        (tmp_path / "cfg" / "again").symlink_to(tmp_path / "cfg" / "shared")
        (tmp_path / "cfg" / "shared" / "loop").symlink_to(tmp_path / "cfg")
        monkeypatch.chdir(tmp_path)
        config = load_config("cfg")
        assert config.files == ["cfg/shared/g.yaml"]
        assert len(config.groups) == 1

    def test_broken_symlink_is_reported(self, tmp_path, monkeypatch):
        write_tree(tmp_path, {"cfg/g.yaml": GROUP})
        (tmp_path / "cfg" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
        monkeypatch.chdir(tmp_path)
        assert lines_of("cfg") == ["cfg/gone.yaml: broken symlink; not read"]


def test_a_reused_anchor_name_is_located_not_a_warning(tree, recwarn):
    name = tree(
        {"g.yaml": "x-a: &d {type: open}\nx-b: &d {type: closed}\ngroups:\n  - {<<: *d, name: A}\n"}
    )
    assert lines_of(name) == [
        "cfg/g.yaml:2:6: anchor '&d' defined again (also at line 1, column 6); "
        "give each anchor its own name"
    ]
    assert [str(w.message) for w in recwarn] == []
