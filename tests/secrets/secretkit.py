"""Helpers for the secrets tests: a distinctive token, CLI runs, and a thorough leak check."""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from click.testing import CliRunner, Result

from domogov.cli import cli

STATE = Path(__file__).parents[1] / "e2e" / "state.yaml"
TOKEN = "Q7fZ2m9xK4pL8wN3-dgv-secret"
WRONG = "Hc3Vn8Jt5Rb1yD6-dgv-wrong"
SECRETS = (TOKEN, WRONG)
MANIFESTS = """\
groups:
  - name: Finance Analysts
    members: [bob@example.com, carol@example.com]
  - name: Web Analysts
    members: [erin@example.com]
roles:
  - name: Data Steward
    users: [carol@example.com, grace@example.com]
dataset_shares:
  - dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426
    grants:
      - {group: Finance Analysts, access: CAN_VIEW}
alerts:
  - alert: 358
    subscribers: [{user: bob@example.com}]
"""


def forms(secret: str) -> list[str]:
    """What would betray a secret: itself, URL-encoded, and its first and last 8 characters
    (a message cut through the token keeps one end, which no redaction of the whole finds)."""
    return [secret, quote(secret, safe=""), secret[:8], secret[-8:]]


def assert_no_secret(where: str, *texts: str | bytes | None) -> None:
    for text in texts:
        if text is None:
            continue
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in SECRETS:
            for form in forms(secret):
                assert form not in shown, f"{where}: the token ({form!r}) leaked:\n{shown}"


def everything(result: Result) -> list[str]:
    """stdout, stderr and the text of any exception that escaped, traceback included."""
    texts = [result.stdout]
    with contextlib.suppress(ValueError):  # stderr not captured apart
        texts.append(result.stderr)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    return texts


def run(*args: str, token: str | None = TOKEN, input: str | None = None) -> Result:
    """The CLI in-process, DOMO_TOKEN set; an exception is kept in the result, not raised."""
    env = {"DOMO_TOKEN": token or ""}
    return CliRunner().invoke(cli, list(args), env=env, input=input)


def check(result: Result, *files: Path, logs: Iterable[logging.LogRecord] = ()) -> Result:
    """The run's output, its files and every log record are free of any secret."""
    assert_no_secret("output", *everything(result))
    for path in files:
        if path.exists():
            assert_no_secret(str(path), path.read_bytes())
    for record in logs:
        exc = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        assert_no_secret(f"log {record.name}", record.getMessage(), record.exc_text, exc)
    return result


def stats(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/_sim/stats").json()


def faults(url: str, *script: dict[str, Any]) -> None:
    response = httpx.post(f"{url}/_sim/faults", json={"script": list(script)})
    response.raise_for_status()


def output(result: Result) -> str:
    return "\n".join(t for t in everything(result) if t)
