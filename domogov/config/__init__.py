"""The manifest language: load a configuration directory into validated, located objects.

The kinds' own models live in their modules (``domogov.resources``); the value types in
``domogov.spec``.
"""

from domogov.config.manifest import Config, load_config
from domogov.config.models import (
    KIND_NAMES,
    KINDS,
    SECTIONS,
    ManifestFile,
    address,
    identity,
    label,
)
from domogov.config.project import ProjectSpec, ProtectSettings, PruneScope, PruneSettings

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "SECTIONS",
    "Config",
    "ManifestFile",
    "ProjectSpec",
    "ProtectSettings",
    "PruneScope",
    "PruneSettings",
    "address",
    "identity",
    "label",
    "load_config",
]
