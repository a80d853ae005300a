"""``domogov export``: live state written as manifests that ``plan`` finds nothing to change in."""

from domogov.export.run import ExportOptions, ExportResult, export_instance, parse_kinds

__all__ = ["ExportOptions", "ExportResult", "export_instance", "parse_kinds"]
