"""The JSON Schema: committed file is current, every field is described, examples conform."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from config_helpers import REPO
from ruamel.yaml import YAML

from domogov.config.models import SECTIONS
from domogov.config.project import PROJECT_KEYS
from domogov.config.schema import SCHEMA_PATH, json_schema, main, render


def test_committed_schema_is_current():
    assert SCHEMA_PATH == REPO / "schemas" / "domogov.schema.json"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "schemas/domogov.schema.json is stale: run python -m domogov.config.schema --write"
    )


def _properties(node: Any, where: str = "#"):
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            yield f"{where}/{name}", prop
        for key, value in node.items():
            if key not in ("if", "else"):  # conditions restate keys, they do not define them
                yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{where}/{i}")


def test_every_field_has_a_description():
    props = list(_properties(json_schema()))
    assert len(props) > 40
    missing = [where for where, prop in props if not prop.get("description")]
    assert missing == []


def test_schema_covers_sections_and_project_keys():
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    # Every kind's section (the registry) and every key of domogov.yaml, nothing else.
    assert set(schema["properties"]) == set(SECTIONS) | set(PROJECT_KEYS)
    assert {"groups", "roles", "dataset_shares", "prune", "protect", "instances"} <= set(
        schema["properties"]
    )


def test_main_prints_the_schema(capsys):
    assert main([]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
    assert main(["--bogus"]) == 2


def test_examples_conform_to_the_schema():
    validator = jsonschema.Draft202012Validator(json_schema())
    yaml = YAML(typ="safe", pure=True)
    for path in sorted((REPO / "examples" / "config").rglob("*.yaml")):
        errors = [e.message for e in validator.iter_errors(yaml.load(path))]
        assert errors == [], path


@pytest.mark.parametrize(
    "case", ["grant_neither", "grant_user_and_group", "unknown_key", "missing_required_key"]
)
def test_schema_also_flags_invalid_examples(case):
    validator = jsonschema.Draft202012Validator(json_schema())
    yaml = YAML(typ="safe", pure=True)
    for path in (REPO / "examples" / "invalid" / case).glob("*.yaml"):
        assert not validator.is_valid(yaml.load(path))
