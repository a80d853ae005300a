"""domogov.client."""
