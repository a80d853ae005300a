"""domogov: declarative governance-as-code for Domo."""

__version__ = "0.1.0"
