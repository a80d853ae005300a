"""domogov.resources."""
