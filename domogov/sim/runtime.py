"""What one running simulator holds besides the state: token, faults, variants, stats, the write
log, where to save."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domogov.sim.faults import FaultInjector, Stats
from domogov.sim.state import SimState
from domogov.sim.statefile import save_state_file
from domogov.sim.variants import Variants
from domogov.sim.writelog import WriteLog


@dataclass
class SimRuntime:
    """The simulator's state plus its run-time settings (reachable as ``app.state.runtime``)."""

    state: SimState
    faults: FaultInjector = field(default_factory=FaultInjector)
    stats: Stats = field(default_factory=Stats)
    variants: Variants = field(default_factory=Variants)
    writes: WriteLog = field(default_factory=WriteLog)
    token_override: str | None = None
    state_file: Path | None = None
    autosave: bool = False

    @property
    def token(self) -> str:
        """The accepted developer token: ``--token`` if given, else the state file's."""
        return self.token_override or self.state.token

    def save(self, path: Path | None = None) -> Path:
        """Write the state file (or ``path``); ValueError when there is nowhere to write."""
        target = path or self.state_file
        if target is None:
            raise ValueError("no state file: start the simulator with a state file or give a path")
        save_state_file(self.state, target)
        return target
