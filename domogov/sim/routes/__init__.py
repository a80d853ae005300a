"""domogov.sim.routes."""
