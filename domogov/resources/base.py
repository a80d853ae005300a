"""KindBase: the engine's ResourceKind bound to the LiveContext, plus the hooks that export,
drift and access impact call. Every kind module subclasses it; nothing outside a kind's
module knows the kind by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from domogov.client.shapes import Shape
from domogov.core.changes import Change
from domogov.core.kind import LiveT, ResourceKind, SpecT
from domogov.resources.common import map_limited
from domogov.resources.context import LiveContext

if TYPE_CHECKING:
    from domogov.resources.export_api import ExportSession
    from domogov.resources.impact import ImpactView

#: An activity-log object: ``(objectType, objectId)``; ``"*"`` as the id matches any row
#: of that type that mentions the object (role assignments are logged on the user); ``""``
#: says the object has no live id (a create: it is missing in Domo), so only rows naming it
#: (``activity_names``) can be about it.
ActivityKey = tuple[str, str]


class KindBase(ResourceKind[SpecT, LiveT, LiveContext], Generic[SpecT, LiveT]):
    """A kind reading through a LiveContext; the optional hooks do nothing by default."""

    #: Words for the section in progress lines and export notes: ``report schedules``.
    plural: str = ""
    #: Place among the kinds in plans and manifests (lower first: what others reference).
    plan_order: int = 100
    #: Whether ``prune:`` in domogov.yaml may name this kind, and what its scope matches.
    prunable: bool = False
    prune_doc: str = ""
    #: What ``protect:`` lists for this kind: ``report schedules (titles or ids)``.
    protect_doc: str = ""
    #: What the section holds, for the JSON Schema and editors.
    section_doc: str = ""
    #: Activity-log ``objectType`` values that record changes to this kind (drift).
    activity_types: tuple[str, ...] = ()
    #: The documented shape of each read this kind relies on: ``(method, path template)`` ->
    #: Shape; the client refuses an answer that does not fit (hostile or changed answers).
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {}

    async def read_each(
        self,
        ctx: LiveContext,
        keys: list[dict[str, Any]],
        read: Callable[[dict[str, Any]], Awaitable[LiveT | None]],
        address: Callable[[dict[str, Any]], str],
    ) -> dict[str, LiveT]:
        """One read per declared object, where Domo has no bulk read, a few at a time; the
        objects found, by address (``read`` answers None for one that does not exist)."""
        results = await map_limited(read, keys, ctx.parallelism)
        return {address(k): r for k, r in zip(keys, results, strict=True) if r is not None}

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Write every live object of this kind as manifest entries (``domogov export``)."""

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        """The activity-log objects that record changes to this change's object (drift)."""
        return []

    def activity_names(self, change: Change) -> list[str]:
        """How an activity-log row names this change's object: as its ``objectName``, or in
        its comment (rows without an ``objectId``). By default the object's name or title."""
        state = change.before or change.after or {}
        name = state.get("name") or state.get("title")
        return [str(name)] if name else []

    def own_activity(self, row: Mapping[str, Any]) -> bool:
        """Whether an activity row is about the object itself (not a related user)."""
        return True

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """This kind's share of the plan's access impact: who gains or loses what."""
        return []
