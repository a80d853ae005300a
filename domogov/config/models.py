"""The manifest file model, assembled from the kinds' own spec models (``domogov.resources``).

Each kind module defines its model (``GroupSpec`` in ``resources/group.py``, ...); this module
only puts them together: one optional list per kind section, in plan order.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from domogov.resources import ALL_KINDS
from domogov.spec.base import Spec

#: Section name → model, in the order plans and messages list them.
KINDS: dict[str, type[Spec]] = {kind.section: kind.spec_model for kind in ALL_KINDS}
SECTIONS: tuple[str, ...] = tuple(KINDS)
#: Section name → the singular kind name used in addresses.
KIND_NAMES: dict[str, str] = {kind.section: kind.name for kind in ALL_KINDS}


def address(spec: Spec) -> str:
    """The address of an object in plans: ``group.<name>``, ``certification.card.<id>``, ..."""
    return spec.address


def identity(spec: Spec) -> tuple[str, str]:
    """``(kind, key)`` naming the object: ``("group", "Finance Analysts")``."""
    return (spec.kind, spec.identity_key())


def label(spec: Spec) -> str:
    """How messages name an object: ``group 'Finance Analysts'``, ``alert 358``."""
    return spec.label()


_SECTION_FIELDS: dict[str, Any] = {
    kind.section: (
        list[kind.spec_model] | None,  # type: ignore[name-defined]
        Field(None, description=kind.section_doc),
    )
    for kind in ALL_KINDS
}

#: One manifest file: any of the kind sections, each a list of objects.
ManifestFile: type[BaseModel] = create_model(
    "ManifestFile",
    __config__=ConfigDict(extra="forbid", frozen=True),
    __doc__="One manifest file: any of the kind sections, each a list of objects.",
    **_SECTION_FIELDS,
)
