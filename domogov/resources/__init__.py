"""The resource kinds, one module each, found in this package; ALL_KINDS is in plan order.

A module here that defines ``KIND`` (an instance of ``KindBase``) is a kind: adding one means
adding its module, nothing else in this package. ``plan_order`` places it among the others
(creates of what others reference come first).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from domogov.client.shapes import register as register_shapes
from domogov.resources.base import KindBase

Kind = KindBase[Any, Any]


def _discover() -> list[Kind]:
    kinds: list[Kind] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, KindBase):
            kinds.append(kind)
    return sorted(kinds, key=lambda k: (k.plan_order, k.name))


ALL_KINDS: list[Kind] = _discover()
KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in ALL_KINDS}
KINDS_BY_SECTION: dict[str, Kind] = {k.section: k for k in ALL_KINDS}

for _kind in ALL_KINDS:
    register_shapes(_kind.answer_shapes)

__all__ = ["ALL_KINDS", "KINDS_BY_NAME", "KINDS_BY_SECTION", "Kind"]
