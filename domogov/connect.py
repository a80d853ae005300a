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
    #: The fleet instance (domogov.yaml ``instances``) this connection is for: its token comes
    #: from DOMO_TOKEN_<NAME> first, and its sandbox has its own state file.
    fleet_name: str | None = None

    @property
    def sandbox_state(self) -> Path:
        if self.fleet_name:
            return SANDBOX_DIR / f"sandbox-{self.fleet_name}.json"
        return SANDBOX_STATE

    def label(self, project_instance: str | None = None) -> str:
        """The instance name recorded in plans; a saved plan is refused on another one."""
        if self.sandbox:
            return f"{SANDBOX_LABEL}-{self.fleet_name}" if self.fleet_name else SANDBOX_LABEL
        if self.base_url:
            return self.base_url.rstrip("/")
        return self.instance or os.environ.get("DOMO_INSTANCE") or project_instance or ""


def sample_state_path() -> Path:
    """The sample instance shipped inside the package that seeds a new sandbox."""
    return Path(str(resources.files("domogov") / "data" / "sandbox.yaml"))


def token_variable(instance: str) -> str:
    """``DOMO_TOKEN_ACME_EMEA`` for instance acme-emea: upper case, ``-`` as ``_`` (SPEC §7)."""
    return "DOMO_TOKEN_" + instance.upper().replace("-", "_")


def read_token(token_file: str | None, instance: str | None = None) -> str:
    """The token from --token-file or DOMO_TOKEN; never from a flag (shell history).

    A fleet instance's own ``DOMO_TOKEN_<NAME>`` comes first: each instance of a fleet is
    another Domo company, and one token never works on two.
    """
    if instance:
        own = os.environ.get(token_variable(instance), "").strip()
        if own:
            return own
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

        state_file = conn.sandbox_state
        if not state_file.exists():
            SANDBOX_DIR.mkdir(parents=True, exist_ok=True)
            state = load_state_file(sample_state_path())
            from domogov.sim.statefile import save_state_file

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
            save_state_file(state, state_file)
            log.info("sandbox: seeded %s from the sample instance", state_file)
        state = load_state_file(state_file)
        app = create_app(state, state_file=state_file, autosave=True)
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
            read_token(conn.token_file, conn.fleet_name),
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
