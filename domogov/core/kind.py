"""The contract every resource kind implements; the engine knows kinds only through it."""

from __future__ import annotations

from typing import Any, Protocol

from domogov.core.changes import Change


class ResourceKind(Protocol):
    """One kind of governed object (group, role, dataset share, ...).

    ``ctx`` is the live context built by ``domogov.resources`` (directory of users, groups and
    roles, the client, the project file, collected warnings and issues); the engine passes it
    through without looking inside.
    """

    name: str
    """Singular kind name used in addresses and plan JSON: ``group``."""

    section: str
    """Manifest section holding this kind: ``groups``."""

    def address_of(self, spec: Any) -> str:
        """The address of a declared object."""

    def key_of(self, spec: Any) -> dict[str, Any]:
        """The identity a saved plan needs to re-read the object."""

    async def fetch(self, ctx: Any, keys: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Live objects for these identities, normalised, by address; absent ones are missing."""

    async def fetch_prunable(self, ctx: Any) -> dict[str, dict[str, Any]]:
        """Live objects inside this kind's prune scope, by address (empty when not pruned)."""

    def plan(
        self,
        ctx: Any,
        desired: list[Any],
        live: dict[str, dict[str, Any]],
        prunable: dict[str, dict[str, Any]],
    ) -> list[Change]:
        """Changes that make live match desired, with their API calls."""

    async def find_created(self, ctx: Any, change: Change) -> Any | None:
        """After an ambiguous or 'already exists' create: the live id of the object, if any."""

    # Optional hooks, looked up with getattr by reconcile.apply_plan:
    #   async confirm_call(ctx, change, path, body) -> bool
    #       a write that answered 400: did it take effect anyway? (roles)
    #   async settle_created(ctx, change, new_id) -> id
    #       after a create, where Domo allows duplicate names: agree on one survivor
    #       (report schedules)
