"""The contract every resource kind implements; the engine knows kinds only through it.

A kind is generic over its manifest model (``SpecT``, a pydantic model with ``address`` and
``present``), its live record (``LiveT``, a TypedDict of the normalised live object, which is
what a plan's ``before``/``after`` hold) and the live context it reads through (``CtxT``,
opaque to the engine). The plan loop every kind shares lives here; a kind writes
``plan_one`` (one declared object) and, when it prunes, ``prune``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from domogov.core.changes import Change


class SpecLike(Protocol):
    """What the engine needs of a declared object."""

    @property
    def address(self) -> str: ...

    @property
    def present(self) -> bool: ...


SpecT = TypeVar("SpecT", bound=SpecLike)
LiveT = TypeVar("LiveT", bound=Mapping[str, Any])
CtxT = TypeVar("CtxT")


class ResourceKind(ABC, Generic[SpecT, LiveT, CtxT]):
    """One kind of governed object (group, role, dataset share, ...)."""

    name: ClassVar[str]
    """Singular kind name used in addresses and plan JSON: ``group``."""

    section: ClassVar[str]
    """Manifest section holding this kind: ``groups``."""

    spec_model: ClassVar[type[Any]]
    """The pydantic model of one declared object (one entry of ``section``)."""

    identity_fields: ClassVar[tuple[str, ...]]
    """Keys of ``key_of`` that name the object itself (``protect`` matches their values)."""

    def address_of(self, spec: SpecT) -> str:
        """The address of a declared object."""
        return spec.address

    def key_of(self, spec: SpecT) -> dict[str, Any]:
        """The identity a saved plan needs to re-read the object (identity fields given)."""
        key: dict[str, Any] = {}
        for field in self.identity_fields:
            value = getattr(spec, field, None)
            if value is not None:
                key[field] = value
        return key

    @abstractmethod
    async def fetch(self, ctx: CtxT, keys: list[dict[str, Any]]) -> dict[str, LiveT]:
        """Live objects for these identities, normalised, by address; absent ones are missing."""

    async def fetch_prunable(self, ctx: CtxT) -> dict[str, LiveT]:
        """Live objects inside this kind's prune scope, by address (empty when not pruned)."""
        return {}

    def plan(
        self,
        ctx: CtxT,
        desired: list[SpecT],
        live: Mapping[str, LiveT],
        prunable: Mapping[str, LiveT],
    ) -> list[Change]:
        """Changes that make live match desired, with their API calls.

        Each declared object is planned by ``plan_one``; live objects in the prune scope that
        no declared object names (``declares`` says which addresses a declaration covers, so
        a renamed group is not pruned under its old name) are planned by ``prune``.
        """
        self.prepare(ctx, desired)
        changes: list[Change] = []
        declared: set[str] = set()
        for index, spec in enumerate(desired):
            address = self.address_of(spec)
            before = live.get(address)
            declared.add(address)
            declared.update(self.declares(before))
            change = self.plan_one(ctx, spec, before, index)
            if change is not None:
                changes.append(change)
        for address, before in sorted(prunable.items()):
            if address not in declared:
                pruned = self.prune(ctx, address, before)
                if pruned is not None:
                    changes.append(pruned)
        return changes

    def prepare(self, ctx: CtxT, desired: list[SpecT]) -> None:
        """Hook: look at every declared object before planning each (roles collect users)."""

    def declares(self, before: LiveT | None) -> Iterable[str]:
        """Hook: more addresses a declaration covers than its own (a renamed object's)."""
        return ()

    @abstractmethod
    def plan_one(self, ctx: CtxT, spec: SpecT, before: LiveT | None, index: int) -> Change | None:
        """The change for one declared object (``index`` is its place in ``desired``)."""

    def prune(self, ctx: CtxT, address: str, before: LiveT) -> Change | None:
        """The change deleting an undeclared live object inside the prune scope."""
        return None

    @abstractmethod
    async def find_created(self, ctx: CtxT, change: Change) -> Any | None:
        """After an ambiguous or 'already exists' create: the live id of the object, if any."""

    async def confirm_call(self, ctx: CtxT, change: Change, path: str, body: Any) -> bool:
        """A write that answered 400: did it take effect anyway? (Domo's role writes do.)"""
        return False

    async def settle_created(self, ctx: CtxT, change: Change, new_id: Any) -> Any:
        """After a create, where Domo allows duplicate names: the id of the one survivor."""
        return new_id
