"""The token never shows: every command at -vv, under 401, 5xx, stale plans and crashes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from secretkit import TOKEN, WRONG, check, faults, output, run, stats
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import domogov.core.render

Logs = pytest.LogCaptureFixture
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _records(logs: Logs) -> list[logging.LogRecord]:
    records = list(logs.records)
    logs.clear()
    return records


def test_every_command_at_vv_keeps_the_token_out(
    sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    saved = tmp_path / "plan.json"
    checks = [
        (("validate", str(config)), 0),
        (("schema",), 0),
        (("plan", str(config), "--base-url", sim_url, "-vv"), 0),
        (("plan", str(config), "--base-url", sim_url, "-vv", "--json"), 0),
        (("plan", str(config), "--base-url", sim_url, "-vv", "--markdown"), 0),
        (("plan", str(config), "--base-url", sim_url, "-vv", "--out", str(saved)), 0),
        (("apply", str(saved), "--base-url", sim_url, "-vv"), 0),
        (("apply", str(config), "--base-url", sim_url, "-vv", "--auto-approve"), 0),
    ]
    for args, code in checks:
        result = check(run(*args), saved, logs=_records(logs))
        assert result.exit_code == code, (args, output(result))
    assert stats(sim_url)["by_method"].get("PUT", 0) > 0, "apply did write"
    assert "***" not in saved.read_text(), "the plan file never held the token at all"


def test_a_wrong_token_401_everywhere(
    sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    saved = tmp_path / "plan.json"
    assert run("plan", str(config), "--base-url", sim_url, "--out", str(saved)).exit_code == 0
    for extra in ([], ["--json"], ["--markdown"], ["--out", str(tmp_path / "p2.json")]):
        result = check(
            run("plan", str(config), "--base-url", sim_url, "-vv", *extra, token=WRONG),
            tmp_path / "p2.json",
            logs=_records(logs),
        )
        assert result.exit_code == 1 and "HTTP 401" in output(result), output(result)
    for args in (
        ("apply", str(config), "--auto-approve"),
        ("apply", str(saved)),
    ):
        result = run(*args, "--base-url", sim_url, "-vv", token=WRONG)
        check(result, saved, logs=_records(logs))
        assert result.exit_code == 1 and "HTTP 401" in output(result)
    assert not any(stats(sim_url)["by_method"].get(m) for m in WRITES)


def test_server_errors_on_reads_and_writes(
    sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    faults(sim_url, {"fault": "500", "count": 1000, "method": "GET", "path_glob": "*/roles"})
    for extra in ([], ["--json"], ["--markdown"], ["--out", str(tmp_path / "p.json")]):
        result = run("plan", str(config), "--base-url", sim_url, "-vv", *extra)
        check(result, tmp_path / "p.json", logs=_records(logs))
        assert result.exit_code == 1 and "gave up after 7 attempts" in output(result)
    result = check(
        run("apply", str(config), "--base-url", sim_url, "-vv", "--auto-approve"),
        logs=_records(logs),
    )
    assert result.exit_code == 1
    # Now the reads work and every kind of write fails: 500, a dropped connection, a lost
    # answer. The report lists Domo's answers (and -vv logs every body): still no token.
    faults(
        sim_url,
        {"fault": "500", "count": 1000, "method": "PUT"},
        {"fault": "drop", "count": 1000, "method": "POST"},
        {"fault": "lost_write", "count": 1000, "method": "DELETE"},
    )
    result = run("apply", str(config), "--base-url", sim_url, "-vv", "--auto-approve")
    check(result, logs=_records(logs))
    assert result.exit_code in (1, 3), output(result)  # 1: nothing done, 3: part done
    assert "FAILED" in output(result) and "HTTP 500" in output(result)


def test_a_stale_plan_is_refused_without_the_token(
    sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    saved = tmp_path / "plan.json"
    assert run("plan", str(config), "--base-url", sim_url, "--out", str(saved)).exit_code == 0
    moved = httpx.put(
        f"{sim_url}/api/content/v2/groups/501/user/1004",
        headers={"X-DOMO-Developer-Token": TOKEN},
    )
    assert moved.status_code < 300
    result = check(
        run("apply", str(saved), "--base-url", sim_url, "-vv"), saved, logs=_records(logs)
    )
    assert result.exit_code == 1 and "stale" in output(result)


def _raise(*args: Any, **kwargs: Any) -> str:
    raise RuntimeError("renderer failed while drawing the plan")


def test_an_exception_inside_a_renderer_carries_no_token(
    sim_url: str, config: Path, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domogov.core.render, "render_markdown", _raise)
    result = run("plan", str(config), "--base-url", sim_url, "-vv", "--markdown")
    check(result, logs=_records(logs))
    assert result.exit_code != 0


def test_an_exception_inside_a_renderer_is_one_clean_line(
    sim_url: str, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domogov.core.render, "render_markdown", _raise)
    result = run("plan", str(config), "--base-url", sim_url, "--markdown")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    lines = [line for line in output(result).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "renderer failed" in lines[0] and "Traceback" not in output(result)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1",
        "http://10.0.0.1:8765/domo",
        "HTTP://10.0.0.1",
        " http://10.0.0.1 ",
        "http://192.168.1.20",
        "http://169.254.169.254",
        "http://0.0.0.0:8765",
        "http://[fd00::1]:8765",
        "http://[::ffff:10.0.0.1]",
        "http://2130706433",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://acme.domo.com",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_before_any_connection(
    url: str, config: Path, tmp_path: Path, connections: list[Any], logs: Logs
) -> None:
    for args in (
        ("plan", str(config), "--base-url", url, "-vv"),
        ("apply", str(config), "--base-url", url, "-vv", "--auto-approve"),
    ):
        result = check(run(*args), logs=_records(logs))
        assert result.exit_code == 1, output(result)
        assert "refusing plain http://" in output(result), output(result)
        assert "unencrypted" in output(result)
    assert connections == [], "a connection was attempted"


def test_a_saved_plan_is_not_sent_to_a_remote_plain_http_host(
    sim_url: str, config: Path, tmp_path: Path, connections: list[Any]
) -> None:
    saved = tmp_path / "plan.json"
    assert run("plan", str(config), "--base-url", sim_url, "--out", str(saved)).exit_code == 0
    doc = json.loads(saved.read_text())
    doc["instance"] = "http://10.0.0.1"  # as if made there: the instance check passes
    saved.write_text(json.dumps(doc))
    connections.clear()
    result = check(run("apply", str(saved), "--base-url", "http://10.0.0.1", "-vv"))
    assert result.exit_code == 1 and "refusing plain http:// to 10.0.0.1" in output(result)
    assert connections == []


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_token_file_readable_by_others_gives_a_warning_without_the_token(
    mode: int, warned: bool, sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    token_file = tmp_path / "domo.token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(mode)
    for command in ("plan", "apply"):
        args = [command, str(config), "--base-url", sim_url, "--token-file", str(token_file)]
        if command == "apply":
            args.append("--auto-approve")
        result = check(run(*args, token=None), logs=_records(logs))
        assert result.exit_code == 0, output(result)
        shown = output(result)
        assert ("readable by other users; run: chmod 600" in shown) is warned, shown
        if warned:
            assert str(token_file) in shown


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(f"{TOKEN}\n# the prod token\n", id="second_line"),
        pytest.param(f"{TOKEN}\x00", id="nul"),
        pytest.param(f"{TOKEN} {TOKEN}", id="space"),
        pytest.param(f"{TOKEN}é", id="non_ascii"),
        pytest.param(f"export DOMO_TOKEN={TOKEN}\r\nother", id="shell_line"),
    ],
)
def test_a_malformed_token_is_refused_without_quoting_it(
    content: str, sim_url: str, config: Path, tmp_path: Path, logs: Logs
) -> None:
    token_file = tmp_path / "domo.token"
    token_file.write_text(content, encoding="utf-8")
    token_file.chmod(0o600)
    result = run(
        "plan", str(config), "--base-url", sim_url, "-vv", "--token-file", str(token_file),
        token=None,
    )  # fmt: skip
    check(result, logs=_records(logs))
    assert result.exit_code == 1 and "not a developer token" in output(result), output(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stats(sim_url)["total"] == 0


def _echo_app(pad: int, status: int, html: bool) -> Starlette:
    """A server that puts the token it receives into its answers, after ``pad`` characters:
    chosen so that a message cut for length ends inside the token."""

    async def answer(request: Request) -> Response:
        token = request.headers.get("x-domo-developer-token", "")
        filler = "A" * pad
        if html:
            body = f"<html><body>{filler}{token}</body></html>"
            return Response(body, status_code=status, media_type="text/html")
        doc = (
            {"status": status, "message": f"{filler}{token}"} if status >= 400 else [filler + token]
        )
        return Response(json.dumps(doc), status_code=status, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "PUT"])])


@pytest.mark.parametrize(
    ("pad", "status", "html"),
    [
        pytest.param(490, 400, False, id="json_message_cut_at_500"),
        pytest.param(495, 400, False, id="json_message_cut_at_500_later"),
        pytest.param(190, 400, True, id="html_excerpt_cut_at_200"),
        pytest.param(190, 200, True, id="html_200_excerpt_cut_at_200"),
        pytest.param(192, 503, True, id="html_503_retried"),
        pytest.param(1985, 200, False, id="debug_body_cut_at_2000"),
    ],
)
def test_a_server_echoing_the_token_near_a_cut(
    pad: int, status: int, html: bool, config: Path, logs: Logs
) -> None:
    from servekit import serve

    with serve(_echo_app(pad, status, html)) as url:
        result = run("plan", str(config), "--base-url", url, "-vv")
    check(result, logs=_records(logs))
    assert result.exit_code == 1, output(result)


# Every command at -vv against a live server: CI runs these; the fast loop leaves them out.
pytestmark = pytest.mark.slow
