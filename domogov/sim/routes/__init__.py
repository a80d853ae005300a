"""The simulator's HTTP layer: one module of Starlette handlers per Domo API area."""
