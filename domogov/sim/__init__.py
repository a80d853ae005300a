"""The Domo simulator: a stateful fake of the Domo product API; imports nothing else of domogov.

In-process use::

    state = load_state_file("state.yaml")            # or generate_state(...) / SimState()
    app = create_app(state)
    async with httpx.AsyncClient(transport=SimTransport(app), base_url="http://sim") as client:
        ...

Over HTTP: ``domogov sim serve --state state.yaml``.
"""

from domogov.sim.app import create_app
from domogov.sim.faults import FaultConfig
from domogov.sim.generate import generate_state
from domogov.sim.state import SimError, SimState, load_state_file, save_state_file
from domogov.sim.transport import SimTransport

__all__ = [
    "FaultConfig",
    "SimError",
    "SimState",
    "SimTransport",
    "create_app",
    "generate_state",
    "load_state_file",
    "save_state_file",
]
