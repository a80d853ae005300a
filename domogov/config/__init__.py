"""domogov.config."""
