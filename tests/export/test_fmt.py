"""`domogov fmt`: canonical layout and key order, comments and list order kept, --check for CI."""

from __future__ import annotations

import io
import random
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.cli import cli
from domogov.config import load_config
from domogov.fmt import canonical_yaml, format_dir, format_text

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "config"

MESSY = """\
# yaml-language-server: $schema=../schemas/domogov.schema.json
# Written by hand, out of order.
report_schedules:
- schedule: {timezone: UTC, at: "07:00", frequency: DAILY}
  title: Daily Digest    # the morning one
  page: 345678
  recipients: [{email: ops@example.com}, {user: bob@example.com}]
groups:
-   members:
      items: [zed@example.com, amy@example.com]
      mode: additive
    # the team's own name
    name: Web Analysts
    type: open
- name: Sales Analysts
  owners: [frank@example.com]
  members: [frank@example.com, bob@example.com, amy@example.com]
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/domogov.schema.json
# Written by hand, out of order.
groups:
  - name: Web Analysts
    # the team's own name
    type: open
    members:
      mode: additive
      items: [zed@example.com, amy@example.com]
  - name: Sales Analysts
    members: [frank@example.com, bob@example.com, amy@example.com]
    owners: [frank@example.com]
report_schedules:
  - title: Daily Digest  # the morning one
    page: 345678
    schedule: { frequency: DAILY, at: "07:00", timezone: UTC }
    recipients: [{ email: ops@example.com }, { user: bob@example.com }]
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _copy(tmp_path: Path, source: Path = EXAMPLES) -> Path:
    target = tmp_path / "config"
    shutil.copytree(source, target)
    return target


def test_examples_are_canonical() -> None:
    result = run("fmt", str(EXAMPLES), "--check")
    assert result.exit_code == 0, result.output
    assert "0 file(s) would reformat, 10 already formatted." in result.output


def test_canonical_form() -> None:
    # Sections and keys move; lists keep their order; comments and quotes stay.
    assert format_text(MESSY) == CANONICAL
    assert format_text(CANONICAL) == CANONICAL


def test_check_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    (config / "web.yaml").write_text(MESSY)
    result = run("fmt", str(config), "--check")
    assert result.exit_code == 1
    assert f"would reformat {config / 'web.yaml'}" in result.output
    assert "1 file(s) would reformat, 10 already formatted." in result.output
    assert (config / "web.yaml").read_text() == MESSY


def test_fmt_rewrites_and_is_idempotent(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    (config / "web.yaml").write_text(MESSY)
    before = load_config(config)
    result = run("fmt", str(config))
    assert result.exit_code == 0, result.output
    assert f"reformatted {config / 'web.yaml'}" in result.output
    assert (config / "web.yaml").read_text() == CANONICAL
    # Same objects as before, and a second run changes nothing.
    after = load_config(config)
    assert list(after.specs()) == list(before.specs())
    assert after.project == before.project
    assert run("fmt", str(config), "--check").exit_code == 0


def test_invalid_manifests_are_refused_like_validate(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    bad = "groups:\n- name: Web\n  memebrs: [a@example.com]\n"
    (config / "groups.yaml").write_text(bad)
    formatted = run("fmt", str(config))
    validated = run("validate", str(config))
    assert formatted.exit_code == validated.exit_code == 1
    assert formatted.output == validated.output
    assert "did you mean 'members'" in formatted.output
    assert (config / "groups.yaml").read_text() == bad


def test_missing_directory_is_refused_like_validate(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert run("fmt", missing).output == run("validate", missing).output


def test_project_file_keys_in_model_order(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "domogov.yaml").write_text(
        "default_role: Participant  # where dropped users go\n"
        "protect:\n  roles: [Admin]\n"
        "prune:\n  report_schedules: {}\n  groups: {match: 'gov-*'}\n"
        "instance: acme\n"
    )
    format_dir(config)
    assert (config / "domogov.yaml").read_text() == (
        "instance: acme\n"
        "prune:\n  groups: { match: 'gov-*' }\n  report_schedules: {}\n"
        "protect:\n  roles: [Admin]\n"
        "default_role: Participant  # where dropped users go\n"
    )


def test_anchors_and_merge_keys_survive(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        x-defaults: &closed
          type: closed
          description: Managed by domogov
        groups:
          - <<: *closed
            members: [amy@example.com]
            name: Web
        """
    )
    config = tmp_path / "config"
    config.mkdir()
    (config / "groups.yaml").write_text(text)
    before = load_config(config)
    format_dir(config)
    out = (config / "groups.yaml").read_text()
    assert out.startswith("x-defaults: &closed\n")
    # Merged keys stay merged: only the keys written here are moved.
    assert "  - <<: *closed\n    name: Web\n    members: [amy@example.com]\n" in out
    assert list(load_config(config).specs()) == list(before.specs())


def test_comments_above_a_key_move_with_it() -> None:
    text = textwrap.dedent(
        """\
        groups:
          - owners:
              - carol@example.com  # the steward
            # who is in it
            members:
              - bob@example.com
            # what it is called

            name: Web
            # after the last key
          # before the next group
          - name: Sales
        """
    )
    assert format_text(text) == textwrap.dedent(
        """\
        groups:
          - name: Web
            # what it is called

            # who is in it
            members:
              - bob@example.com
            owners:
              - carol@example.com  # the steward
            # after the last key
          # before the next group
          - name: Sales
        """
    )


def test_single_file_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("\ufeffgroups:\n- name: Web\n")
    assert format_dir(path, check=True).changed == [str(path)]
    format_dir(path)
    assert path.read_text() == "\ufeffgroups:\n  - name: Web\n"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "groups: []\n"])
def test_nothing_to_format(text: str) -> None:
    assert format_text(text) == text


def _comments(text: str) -> list[str]:
    return sorted(line.split("#", 1)[1].strip() for line in text.splitlines() if "# " in line)


def _shuffle(node: Any, rng: random.Random) -> None:
    if isinstance(node, CommentedMap):
        keys = list(node)
        rng.shuffle(keys)
        for key in keys:
            node.move_to_end(key)
        for value in node.values():
            _shuffle(value, rng)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _shuffle(item, rng)


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_examples_come_back_equal(tmp_path: Path, seed: int) -> None:
    # Keys shuffled at every level (comments stay on their keys): fmt restores the order,
    # keeps every comment and every object, and a second run changes nothing.
    config = _copy(tmp_path)
    rng = random.Random(seed)
    yaml = canonical_yaml()
    for path in sorted(config.rglob("*.yaml")):
        data = yaml.load(path.read_text())
        _shuffle(data, rng)
        out = io.StringIO()
        yaml.dump(data, out)
        path.write_text(out.getvalue())
    before = load_config(config)
    texts = {p: p.read_text() for p in config.rglob("*.yaml")}
    format_dir(config)
    for path, text in texts.items():
        assert _comments(path.read_text()) == _comments(text), path
    after = load_config(config)
    assert list(after.specs()) == list(before.specs())
    assert after.project == before.project
    assert format_dir(config, check=True).changed == []
    for path in texts:
        # Without comments and blank lines, each file is the example as it was written.
        original = (EXAMPLES / path.relative_to(config)).read_text()
        assert _content(path.read_text()) == _content(original), path


def _content(text: str) -> list[str]:
    lines = (line.split(" #")[0].rstrip() for line in text.splitlines())
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
