"""Opening a client: a real instance (token + base URL) or the embedded sandbox simulator."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from domogov.client.baseurl import resolve_base_url
from domogov.client.http import DomoClient
from domogov.errors import UsageError

log = logging.getLogger("domogov")

SANDBOX_DIR = Path(".domogov")
SANDBOX_STATE = SANDBOX_DIR / "sandbox.json"
SANDBOX_LABEL = "sandbox"


@dataclass
class Connection:
    """How to reach Domo, as the command line and domogov.yaml say."""

    instance: str | None = None
    base_url: str | None = None
    sandbox: bool = False
    token_file: str | None = None
    parallelism: int = 8
    rate_limit: float | None = None

    def label(self, project_instance: str | None = None) -> str:
        """The instance name recorded in plans; a saved plan is refused on another one."""
        if self.sandbox:
            return SANDBOX_LABEL
        if self.base_url:
            return self.base_url.rstrip("/")
        return self.instance or os.environ.get("DOMO_INSTANCE") or project_instance or ""


def sample_state_path() -> Path:
    """The sample instance shipped inside the package that seeds a new sandbox."""
    return Path(str(resources.files("domogov") / "data" / "sandbox.yaml"))


def read_token(token_file: str | None) -> str:
    """The token from --token-file or DOMO_TOKEN; never from a flag (shell history)."""
    if token_file:
        path = Path(token_file)
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {token_file}: {exc.strerror}") from exc
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning(
                "the token file %s is readable by other users; run: chmod 600 %s",
                token_file,
                token_file,
            )
        if not text:
            raise UsageError(f"the token file {token_file} is empty")
        return text
    token = os.environ.get("DOMO_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "no Domo token: set DOMO_TOKEN or pass --token-file FILE "
            "(or use --sandbox to try domogov on the embedded simulator)"
        )
    return token


@asynccontextmanager
async def open_client(
    conn: Connection, project_instance: str | None = None
) -> AsyncIterator[DomoClient]:
    """A DomoClient for the connection; the sandbox runs the simulator in-process."""
    if conn.sandbox:
        from domogov.sim import SimTransport, create_app, load_state_file

        if not SANDBOX_STATE.exists():
            SANDBOX_DIR.mkdir(parents=True, exist_ok=True)
            state = load_state_file(sample_state_path())
            from domogov.sim.state import save_state_file

            # A new instance has a history: one activity-log entry, dated now (a fixed date in
            # the sample would age out of every window drift and doctor read).
            state.record(
                "CREATED",
                "GROUP",
                next(iter(state.groups)),
                "sandbox",
                "created the sandbox instance",
                "Sandbox created",
            )
            save_state_file(state, SANDBOX_STATE)
            log.info("sandbox: seeded %s from the sample instance", SANDBOX_STATE)
        state = load_state_file(SANDBOX_STATE)
        app = create_app(state, state_file=SANDBOX_STATE, autosave=True)
        client = DomoClient(
            "http://127.0.0.1",
            state.token,
            transport=SimTransport(app),
            max_concurrency=conn.parallelism,
        )
    else:
        instance = conn.instance or os.environ.get("DOMO_INSTANCE") or project_instance
        base_url = resolve_base_url(None if conn.base_url else instance, conn.base_url)
        client = DomoClient(
            base_url,
            read_token(conn.token_file),
            max_concurrency=conn.parallelism,
            rate_limit=conn.rate_limit,
        )
    try:
        yield client
    finally:
        await client.aclose()


def reset_sandbox() -> None:
    """Forget the sandbox state; the next --sandbox run starts from the sample again."""
    shutil.rmtree(SANDBOX_DIR, ignore_errors=True)
