"""Typed operations on the simulator state, one module per API area; HTTP-free."""
