"""Certification of datasets and cards (the CERTIFIED system tag).

```yaml
certifications:
  - { dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426, certified: true }
  - { card: 1234567, certified: false }
```
One state read per declared object: Domo has no bulk read of certification.
"""

from __future__ import annotations

from typing import Any

from domogov.core.changes import Action, ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.common import ensure_absent, make_change, map_limited
from domogov.resources.context import LiveContext

TAGS = "/api/tags/v3"


def state_path(entity_type: str, entity_id: Any) -> str:
    return f"{TAGS}/{entity_type}/{entity_id}/system/CERTIFIED/state"


def _entity(key: dict[str, Any]) -> tuple[str, str, str]:
    if key.get("dataset"):
        return "DATA_SOURCE", str(key["dataset"]), f"certification.dataset.{key['dataset']}"
    return "CARD", str(key["card"]), f"certification.card.{key['card']}"


class CertificationKind:
    """The ``certification`` kind."""

    name = "certification"
    section = "certifications"

    def address_of(self, spec: Any) -> str:
        return _entity(self.key_of(spec))[2]

    def key_of(self, spec: Any) -> dict[str, Any]:
        if getattr(spec, "dataset", None):
            return {"dataset": spec.dataset}
        return {"card": spec.card}

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> dict[str, Any] | None:
        entity_type, entity_id, _ = _entity(key)
        try:
            state = await ctx.client.get(state_path(entity_type, entity_id))
        except NotFoundError:
            return None
        certified = isinstance(state, dict) and str(state.get("state") or "").upper() == "ACTIVE"
        return {"entity_type": entity_type, "id": entity_id, "certified": certified}

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        results = await map_limited(lambda k: self._read(ctx, k), keys, ctx.parallelism)
        return {_entity(k)[2]: r for k, r in zip(keys, results, strict=True) if r is not None}

    async def fetch_prunable(self, ctx: LiveContext) -> dict[str, dict[str, Any]]:
        return {}  # there is no list of certified objects to prune from

    def plan(
        self,
        ctx: LiveContext,
        desired: list[Any],
        live: dict[str, dict[str, Any]],
        prunable: dict[str, dict[str, Any]],
    ) -> list[Change]:
        changes = []
        for index, spec in enumerate(desired):
            address, key = self.address_of(spec), self.key_of(spec)
            before = live.get(address)
            if before is None:
                what = "dataset" if "dataset" in key else "card"
                ctx.problem(
                    spec,
                    (what,),
                    f"certifications[{index}].{what}",
                    f"unknown {what} {next(iter(key.values()))!r}: not found in Domo",
                )
                continue
            want = bool(spec.certified) and not ensure_absent(spec)
            if want == before["certified"]:
                continue
            path = state_path(before["entity_type"], before["id"])
            call = ApiCall("PUT", f"{path}/ACTIVE") if want else ApiCall("DELETE", path)
            change = make_change(
                kind=self.name,
                address=address,
                key=key,
                before=before,
                after={**before, "certified": want},
                calls=[call],
                destructive=0 if want else 1,
                action=Action.UPDATE,
            )
            if change is not None:
                changes.append(change)
        return changes

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None


KIND = CertificationKind()
