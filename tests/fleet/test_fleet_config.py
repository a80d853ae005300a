"""Fleet configuration (SPEC §7): instances, ${var.NAME}, overlays, and their located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from domogov.config.manifest import load_config, load_instances, read_tree
from domogov.errors import ConfigError

PROJECT = """\
instances:
  acme: { vars: { region: US } }
  acme-emea: { vars: { region: EMEA }, overlay: overlays/emea }
"""
GROUPS = """\
groups:
  - name: Finance
    description: Finance ${var.region}
    members: [alice.nguyen@acme.example]
  - name: Sales
    description: Sales
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_vars_are_substituted_per_instance(tmp_path: Path) -> None:
    root = _write(tmp_path, {"domogov.yaml": PROJECT, "groups.yaml": GROUPS})
    (root / "overlays" / "emea").mkdir(parents=True)
    us = load_config(root, "acme")
    emea = load_config(root, "acme-emea")
    assert [g.description for g in us.groups] == ["Finance US", "Sales"]
    assert [g.description for g in emea.groups] == ["Finance EMEA", "Sales"]


def test_a_fleet_parses_once_and_shares_what_no_variable_changes(tmp_path: Path) -> None:
    plain = "groups:\n  - name: Ops\n    members: [ops@acme.example]\n"
    root = _write(tmp_path, {"domogov.yaml": PROJECT, "groups.yaml": GROUPS, "plain.yaml": plain})
    (root / "overlays" / "emea").mkdir(parents=True)
    tree = read_tree(root)
    configs = load_instances(tree, ["acme", "acme-emea"])
    us, emea = configs["acme"], configs["acme-emea"]
    # groups.yaml holds a variable: its objects are each instance's own.
    assert us.groups[0].description == "Finance US" and emea.groups[0] is not us.groups[0]
    # plain.yaml holds none: validated once, the same (immutable) objects in both.
    assert [g.name for g in us.groups] == ["Finance", "Sales", "Ops"]
    assert emea.groups[2] is us.groups[2]
    assert list(tree.built) == ["plain.yaml"]
    for config in (us, emea):  # located as if each instance had been loaded alone
        assert str(config.where(config.groups[2], "members", 0)).endswith("plain.yaml:3:15")
        assert str(config.where(config.groups[0], "description")).endswith("groups.yaml:3:18")
    assert load_config(root, "acme-emea").groups == emea.groups


def test_overlay_replaces_same_identity_and_adds(tmp_path: Path) -> None:
    overlay = "groups:\n  - name: Sales\n    description: EMEA sales\n  - name: Council\n"
    root = _write(
        tmp_path,
        {
            "domogov.yaml": PROJECT,
            "groups.yaml": GROUPS,
            "overlays/emea/groups.yaml": overlay,
        },
    )
    us = load_config(root, "acme")
    emea = load_config(root, "acme-emea")
    # Another instance's overlay is never read into the shared manifests.
    assert [g.name for g in us.groups] == ["Finance", "Sales"]
    assert [g.description for g in us.groups] == ["Finance US", "Sales"]
    assert [(g.name, g.description) for g in emea.groups] == [
        ("Finance", "Finance EMEA"),
        ("Sales", "EMEA sales"),
        ("Council", None),
    ]
    # The replaced object is located in the overlay file.
    sales = emea.groups[1]
    assert str(emea.where(sales)).startswith(str(root / "overlays/emea/groups.yaml"))


def test_unknown_variable_is_a_located_error(tmp_path: Path) -> None:
    text = GROUPS.replace("${var.region}", "${var.regoin}")
    root = _write(tmp_path, {"domogov.yaml": PROJECT, "groups.yaml": text})
    (root / "overlays" / "emea").mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_config(root, "acme")
    [issue] = info.value.issues
    assert str(issue.location) == f"{root / 'groups.yaml'}:3:18"
    assert "unknown variable ${var.regoin} for instance acme" in issue.message
    assert "did you mean 'region'?" in issue.message


def test_validate_checks_every_instance(tmp_path: Path) -> None:
    project = PROJECT.replace("{ region: EMEA }", "{ zone: EMEA }")
    root = _write(tmp_path, {"domogov.yaml": project, "groups.yaml": GROUPS})
    (root / "overlays" / "emea").mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_config(root)  # no instance: each one is loaded, as validate does
    [issue] = info.value.issues
    assert "for instance acme-emea" in issue.message
    assert str(issue.location).endswith("groups.yaml:3:18")


def test_variable_without_instances_is_an_error(tmp_path: Path) -> None:
    root = _write(tmp_path, {"groups.yaml": GROUPS})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    [issue] = info.value.issues
    assert "declares no instances" in issue.message


def test_missing_overlay_directory_is_located(tmp_path: Path) -> None:
    root = _write(tmp_path, {"domogov.yaml": PROJECT, "groups.yaml": GROUPS})
    with pytest.raises(ConfigError) as info:
        load_config(root, "acme-emea")
    [issue] = info.value.issues
    assert str(issue.location) == f"{root / 'domogov.yaml'}:3:49"
    assert "overlay directory overlays/emea does not exist" in issue.message


def test_unknown_instance_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path, {"domogov.yaml": PROJECT, "groups.yaml": GROUPS})
    with pytest.raises(ConfigError, match="unknown instance 'nope'"):
        load_config(root, "nope")


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("instances:\n  'bad name': {}\n", "invalid instance name 'bad name'"),
        ("instances:\n  acme: { vars: { 1x: US } }\n", "invalid variable name '1x'"),
        ("instances:\n  acme: { overlay: ../elsewhere }\n", "inside the configuration"),
        ("instances:\n  acme: { vars: { region: [US] } }\n", "expected a text or number"),
        ("instances:\n  acme: { colour: red }\n", "colour"),
    ],
)
def test_bad_instance_settings(tmp_path: Path, project: str, message: str) -> None:
    root = _write(tmp_path, {"domogov.yaml": project, "groups.yaml": "groups: []\n"})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert any(message in str(i) for i in info.value.issues), info.value.issues
    assert all("domogov.yaml:" in str(i.location) for i in info.value.issues)


def test_example_fleet_loads() -> None:
    example = Path(__file__).parents[2] / "examples" / "fleet"
    emea = load_config(example, "acme-emea")
    acme = load_config(example, "acme")
    assert {g.name for g in emea.groups} - {g.name for g in acme.groups} == {"gov-Works Council"}
