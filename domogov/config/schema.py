"""JSON Schema of the manifest files, generated from the models; ``--write`` updates schemas/."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, create_model

from domogov.config.models import ManifestFile
from domogov.config.project import ProjectSpec

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "domogov.schema.json"


def json_schema() -> dict[str, Any]:
    """One schema for every file of a configuration directory.

    Its top level allows the six kind sections and the project keys of ``domogov.yaml``, so
    the same ``$schema`` line serves both kinds of file; the loader still refuses project
    keys outside ``domogov.yaml`` and kind sections inside it.
    """
    fields: dict[str, Any] = {}
    for model in (ManifestFile, ProjectSpec):
        for name, info in model.model_fields.items():
            fields[name] = (info.annotation, info)
    root = create_model(
        "DomogovFile",
        __config__=ConfigDict(extra="forbid", title="domogov manifest"),
        __doc__=(
            "A domogov manifest: any of the kind sections (groups, roles, dataset_shares, "
            "certifications, alerts, report_schedules); in domogov.yaml, the project "
            "settings (instance, prune, protect, max_destructive, default_role)."
        ),
        **fields,
    )
    schema = root.model_json_schema()
    # `x-...` keys hold YAML anchors for merge keys (`<<: *defaults`); the loader skips them.
    schema["patternProperties"] = {
        "^x-": {"description": "Ignored by domogov: a place for YAML anchors (x-defaults: &d)."}
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render() -> str:
    """The schema as committed: sorted keys, indent 2, trailing newline."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m domogov.config.schema [--write]``: print the schema, or update the file."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write"]:
        SCHEMA_PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
        return 0
    if args:
        print("usage: python -m domogov.config.schema [--write]", file=sys.stderr)
        return 2
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
