"""domogov.core."""
