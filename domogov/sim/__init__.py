"""The Domo simulator: a stateful fake of the Domo product API; imports nothing else of domogov.

In-process use::

    state = load_state_file("state.yaml")            # or generate_state(...) / SimState()
    app = create_app(state)
    async with httpx.AsyncClient(transport=SimTransport(app), base_url="http://sim") as client:
        ...

Over HTTP: ``domogov sim serve --state state.yaml``.

Undocumented behaviours switch to their other form with ``create_app(state, variants=[...])``,
``set_variants(app, [...])`` or ``PUT /_sim/variants`` (the table: ``VARIANTS``); every write
the simulator received, and its effect, is in ``write_log(app)`` / ``GET /_sim/writes``.
"""

from domogov.sim.app import create_app
from domogov.sim.faults import FaultConfig
from domogov.sim.generate import generate_state
from domogov.sim.state import SimError, SimState
from domogov.sim.statefile import load_state_file, save_state_file
from domogov.sim.transport import SimTransport
from domogov.sim.variants import VARIANTS, Variants, set_variants
from domogov.sim.writelog import WriteLog, write_log

__all__ = [
    "VARIANTS",
    "FaultConfig",
    "SimError",
    "SimState",
    "SimTransport",
    "Variants",
    "WriteLog",
    "create_app",
    "generate_state",
    "load_state_file",
    "save_state_file",
    "set_variants",
    "write_log",
]
