"""Stand-ins for `gh` and `curl` in the CI recipe tests: they log each call and play GitHub
and GitLab from a JSON state file, so the recipes' shell logic runs for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

STATE = Path(os.environ.get("STUB_DIR", ".")) / "state.json"
#: The jq filters the recipes use, emulated (test_jq_emulation checks them against real jq).
JQ = {
    '.[] | select(.body | contains("<!-- domogov-plan -->")) | .id': lambda d: [
        c["id"] for c in d if "<!-- domogov-plan -->" in c["body"]
    ],
    ".[0].number // empty": lambda d: [d[0]["number"]] if d else [],
    ".[0].head.sha // empty": lambda d: [d[0]["head"]["sha"]] if d else [],
    ".[0].databaseId // empty": lambda d: [d[0]["databaseId"]] if d else [],
}


def jq(expr: str, data: Any) -> list[Any]:
    # The recipe writes \" inside a double-quoted shell string; the shell removes it.
    if expr not in JQ:
        sys.exit(f"stub: unknown jq filter {expr!r}")
    return JQ[expr](data)


def option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            return args[i + 1]
    return None


def read_value(value: str) -> str:
    return Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value


def gh(args: list[str], state: dict[str, Any]) -> Any:
    """`gh api`, `gh run list|download`, `gh issue list|create|edit|close`."""
    if not os.environ.get("GH_TOKEN"):
        sys.exit("stub: gh needs GH_TOKEN")
    if args[0] == "api":
        method = option(args, "--method", "-X") or "GET"
        path = next(a for a in args[1:] if not a.startswith("-") and a != method)
        fields = {}
        for i, arg in enumerate(args):
            if arg in ("-F", "--field", "-f", "--raw-field"):
                key, value = args[i + 1].split("=", 1)
                fields[key] = read_value(value) if arg in ("-F", "--field") else value
        if m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
            if method == "GET":
                return [c for c in state["comments"] if c["pr"] == int(m[1])]
            state["comments"].append(
                {"id": 9000 + len(state["comments"]), "pr": int(m[1]), **fields}
            )
            return {}
        if m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
            next(c for c in state["comments"] if c["id"] == int(m[1])).update(fields)
            return {}
        if m := re.fullmatch(r"repos/[^/]+/[^/]+/commits/(\w+)/pulls", path):
            return [p for p in state["pulls"] if p["merge_sha"] == m[1]]
    if args[:2] == ["run", "list"]:
        commit = option(args, "--commit")
        return [{"databaseId": r["id"]} for r in state["runs"] if r["head_sha"] == commit]
    if args[:2] == ["run", "download"]:
        source = Path(state["artifacts"]) / str(args[2]) / (option(args, "--name", "-n") or "")
        if not source.is_dir():
            sys.exit(f"stub: no artifact {source}")
        shutil.copytree(source, option(args, "--dir", "-D") or ".", dirs_exist_ok=True)
        return None
    if args[:2] == ["issue", "list"]:
        label = option(args, "--label")
        return [
            {"number": i["number"]} for i in state["issues"] if label in i["labels"] and i["open"]
        ]
    if args[:2] == ["issue", "create"]:
        body = Path(option(args, "--body-file") or "").read_text(encoding="utf-8")
        number = 100 + len(state["issues"])
        state["issues"].append(
            {
                "number": number,
                "title": option(args, "--title"),
                "body": body,
                "labels": [option(args, "--label")],
                "open": True,
            }
        )
        return None
    if args[:2] in (["issue", "edit"], ["issue", "close"]):
        issue = next(i for i in state["issues"] if i["number"] == int(args[2]))
        if args[1] == "edit":
            issue["body"] = Path(option(args, "--body-file") or "").read_text(encoding="utf-8")
        else:
            issue["open"] = False
        return None
    sys.exit(f"stub: gh {' '.join(args)} is not emulated")


def curl(args: list[str], state: dict[str, Any]) -> Any:
    """The GitLab REST API calls of the recipe (merge-request notes, jobs, issues)."""
    url = next(a for a in args if a.startswith("http"))
    if "PRIVATE-TOKEN: " + os.environ.get("GITLAB_API_TOKEN", "?") not in args:
        sys.exit("stub: curl without the PRIVATE-TOKEN header")
    method = option(args, "--request", "-X") or "GET"
    data = {}
    for i, arg in enumerate(args):
        if arg == "--data-urlencode":
            text = args[i + 1]
            if "=" in text:
                key, value = text.split("=", 1)
            else:
                key, _, name = text.partition("@")
                value = Path(name).read_text(encoding="utf-8")
            data[key] = value
    path = re.sub(r"^.*/api/v4/projects/\d+", "", url).split("?")[0]
    if m := re.fullmatch(r"/merge_requests/(\d+)/notes", path):
        if method == "GET":
            return [n for n in state["notes"] if n["mr"] == int(m[1])]
        state["notes"].append({"id": 500 + len(state["notes"]), "mr": int(m[1]), **data})
        return {}
    if m := re.fullmatch(r"/merge_requests/\d+/notes/(\d+)", path):
        next(n for n in state["notes"] if n["id"] == int(m[1])).update(data)
        return {}
    if m := re.fullmatch(r"/repository/commits/(\w+)/merge_requests", path):
        return [{"iid": p["number"]} for p in state["pulls"] if p["merge_sha"] == m[1]]
    if m := re.fullmatch(r"/merge_requests/(\d+)", path):
        pull = next(p for p in state["pulls"] if p["number"] == int(m[1]))
        return {"iid": pull["number"], "head_pipeline": {"id": pull["pipeline"]}}
    if m := re.fullmatch(r"/pipelines/(\d+)/jobs", path):
        return [j for j in state["jobs"] if j["pipeline"] == int(m[1])]
    if m := re.fullmatch(r"/jobs/(\d+)/artifacts/(.+)", path):
        source = Path(state["artifacts"]) / m[1] / m[2]
        if not source.is_file():
            sys.exit(22)  # curl --fail on a 404
        shutil.copy(source, option(args, "--output", "-o") or "/dev/stdout")
        return None
    if path == "/issues" and method == "GET":
        return [
            {"iid": i["number"]} for i in state["issues"] if i["open"] and "domogov-drift" in url
        ]
    if path == "/issues":
        number = 100 + len(state["issues"])
        state["issues"].append(
            {
                "number": number,
                "title": data["title"],
                "body": data["description"],
                "labels": data["labels"].split(","),
                "open": True,
            }
        )
        return {}
    if m := re.fullmatch(r"/issues/(\d+)", path):
        issue = next(i for i in state["issues"] if i["number"] == int(m[1]))
        if data.get("state_event") == "close":
            issue["open"] = False
        if "description" in data:
            issue["body"] = data["description"]
        return {}
    sys.exit(f"stub: curl {method} {path} is not emulated")


def main() -> None:
    tool, args = Path(sys.argv[0]).name, sys.argv[1:]
    state = json.loads(STATE.read_text(encoding="utf-8"))
    with (STATE.parent / "calls.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    result = (gh if tool == "gh" else curl)(args, state)
    STATE.write_text(json.dumps(state), encoding="utf-8")
    expr = option(args, "--jq", "-q") if tool == "gh" else None
    if result is not None and expr is not None:
        for value in jq(expr, result):
            print(value)
    elif result is not None:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
