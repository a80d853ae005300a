"""Certification of datasets and cards (the CERTIFIED system tag).

```yaml
certifications:
  - { dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426, certified: true }
  - { card: 1234567, certified: false }
```
One state read per declared object: Domo has no bulk read of certification.

What each state read means (001 shows only ``"state": null``; public material names the
others; README, "Undocumented answers"):

- ``ACTIVE``, ``CERTIFIED``: certified.
- ``null`` or no ``state`` key: not certified (how an object never certified reads).
- ``EXPIRED``: not certified. Certifying it again (``PUT .../state/ACTIVE``) is a visible
  change, with a note saying the certification expired.
- ``PENDING``: unreadable for planning. A certification request is pending approval in Domo;
  a manifest managing that object is refused (a plan error naming it), never certified or
  uncertified over the request.
- anything else (another word, an empty string, an answer that is not an object):
  unreadable, refused the same way.

Verify after apply re-reads the state: a certify that leaves the object PENDING (an approval
workflow), or that never shows (an instance whose state always reads null), is reported
``not effective`` with the state Domo shows, and apply exits 3; it is not re-planned silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NotRequired, TypedDict

from pydantic import Field, StrictBool, model_validator
from ruamel.yaml.comments import CommentedMap

from domogov.client.shapes import STR, Object, Shape
from domogov.core.changes import Action, ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import make_change
from domogov.resources.context import LiveContext
from domogov.resources.export_api import ExportSession, add_comment, valid
from domogov.spec.base import Spec, exactly_one
from domogov.spec.types import DatasetId, Ensure, EnsureState, PositiveInt

TAGS = "/api/tags/v3"
CERTIFIED_STATES = frozenset({"ACTIVE", "CERTIFIED"})
UNCERTIFIED_STATES = frozenset({"EXPIRED"})  # and null / absent
PENDING = "PENDING"


def state_path(entity_type: str, entity_id: Any) -> str:
    return f"{TAGS}/{entity_type}/{entity_id}/system/CERTIFIED/state"


def _entity(key: dict[str, Any]) -> tuple[str, str, str]:
    if key.get("dataset"):
        return "DATA_SOURCE", str(key["dataset"]), f"certification.dataset.{key['dataset']}"
    return "CARD", str(key["card"]), f"certification.card.{key['card']}"


class CertificationSpec(Spec):
    """Whether a dataset or a card is certified; identity is ``dataset`` or ``card``."""

    kind: ClassVar[str] = "certification"

    required_when_present = ("certified",)
    one_of = ("dataset", "card")

    dataset: DatasetId | None = Field(None, description="Dataset id (a UUID); give this or 'card'.")
    card: PositiveInt | None = Field(None, description="Card id; give this or 'dataset'.")
    certified: StrictBool | None = Field(None, description="true to certify, false to uncertify.")
    ensure: EnsureState = Field(Ensure.PRESENT, description="present (default); absent removes it.")

    @model_validator(mode="after")
    def _one_target(self) -> CertificationSpec:
        exactly_one(self, "a certification")
        return self

    def identity_key(self) -> str:
        if self.card is not None:
            return f"card.{self.card}"
        return f"dataset.{self.dataset}"

    def label(self) -> str:
        if self.card is not None:
            return f"certification of card {self.card}"
        return f"certification of dataset '{self.dataset}'"


class CertificationLive(TypedDict):
    """The certification state of one dataset or card.

    ``certified`` is True or False when the state is readable; otherwise it is the state Domo
    answered (``"PENDING"``, an unknown word), which plans never compare (the part is
    unreadable) and verify after apply shows as what Domo holds. ``state`` is the state as read,
    kept only when it says more than ``certified`` (not null, absent or ACTIVE), for notes.
    """

    entity_type: str
    id: str
    certified: bool | str
    state: NotRequired[str]


class CertificationKind(KindBase[CertificationSpec, CertificationLive]):
    """The ``certification`` kind."""

    name = "certification"
    section = "certifications"
    spec_model = CertificationSpec
    identity_fields = ("dataset", "card")
    plural = "certifications"
    prunable = True
    prune_doc = "certifications"
    protect_doc = "certified datasets or cards (ids)"
    plan_order = 40
    section_doc = "Certification of datasets and cards."
    activity_types = ("DATA_SOURCE", "CARD")
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", "/api/tags/v3/{type}/{id}/system/CERTIFIED/state"): Object(optional={"state": STR}),
    }

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> CertificationLive | None:
        entity_type, entity_id, _ = _entity(key)
        try:
            state = await ctx.client.get(state_path(entity_type, entity_id))
        except NotFoundError:
            return None
        endpoint = f"GET {state_path(entity_type, entity_id)}"
        address = _entity(key)[2]
        shown = state.get("state") if isinstance(state, dict) else state
        certified: bool | str
        if not isinstance(state, dict):
            certified = f"{state!r}"
            ctx.unreadable(address, "certified", endpoint, "answers no object with a state")
        elif shown is None:
            certified = False  # never certified (001's example), or certified and then removed
        elif str(shown).upper() in CERTIFIED_STATES:
            certified = True
        elif str(shown).upper() in UNCERTIFIED_STATES:
            certified = False
        elif str(shown).upper() == PENDING:
            certified = str(shown)
            ctx.unreadable(
                address,
                "certified",
                endpoint,
                f"answers state {shown!r}: a certification request is pending approval in Domo",
            )
        else:
            certified = str(shown)
            ctx.unreadable(
                address,
                "certified",
                endpoint,
                f"answers state {shown!r}, which domogov does not recognise",
            )
        live: CertificationLive = {
            "entity_type": entity_type,
            "id": entity_id,
            "certified": certified,
        }
        if shown is not None and str(shown).upper() != "ACTIVE":
            live["state"] = str(shown)
        return live

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, CertificationLive]:
        return await self.read_each(
            ctx, keys, lambda k: self._read(ctx, k), lambda k: _entity(k)[2]
        )

    # No fetch_prunable: there is no list of certified objects to prune from.

    def plan_one(
        self,
        ctx: LiveContext,
        spec: CertificationSpec,
        before: CertificationLive | None,
        index: int,
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        if before is None:
            what = "dataset" if "dataset" in key else "card"
            ctx.problem(
                spec,
                (what,),
                f"certifications[{index}].{what}",
                f"unknown {what} {next(iter(key.values()))!r}: not found in Domo",
            )
            return None
        if ctx.refuse_unreadable(spec, address, "certified", f"certifications[{index}].certified"):
            return None  # pending approval or unknown: never PUT or DELETE over it
        want = bool(spec.certified) and spec.present
        if want == before["certified"]:
            return None
        path = state_path(before["entity_type"], before["id"])
        call = ApiCall("PUT", f"{path}/ACTIVE") if want else ApiCall("DELETE", path)
        notes = []
        if want and str(before.get("state") or "").upper() in UNCERTIFIED_STATES:
            notes.append(f"Domo shows the certification {before['state']}; certifying it again")
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after={**before, "certified": want},
            calls=[call],
            destructive=0 if want else 1,
            notes=notes,
            action=Action.UPDATE,
        )

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """The certified ones of the exported datasets and of every card the search API finds.

        Only certified objects are written: an uncertified one stays unmanaged. One state
        read per object (Domo has no bulk read of certification).
        """
        if not session.wants(self.section):
            return
        certified: list[tuple[str, str | int, str]] = []
        datasets = await session.datasets(self.section, unnamed="certifications lists cards only")
        if datasets is not None:
            ids = list(datasets)
            session.start("Certifications of datasets", len(ids))
            for start in range(0, len(ids), session.part_size):
                chunk = ids[start : start + session.part_size]
                live = await self.fetch(ctx, [{"dataset": d} for d in chunk])
                for dataset in chunk:
                    state = live.get(f"certification.dataset.{dataset}")
                    if state is not None and state["certified"] is True:
                        certified.append(("dataset", dataset, datasets[dataset] or ""))
                session.advance(len(chunk))
        session.start("Finding cards", None)
        cards = await session.cards()
        session.start("Certifications of cards", len(cards))
        live = await self.fetch(ctx, [{"card": c} for c in sorted(cards)])
        for card in sorted(cards):
            state = live.get(f"certification.card.{card}")
            if state is not None and state["certified"] is True:
                certified.append(("card", card, cards[card]))
        session.advance(len(cards))
        nodes = [_export_node(t, i, n, session.warnings) for t, i, n in certified]
        notes = [
            "Certified datasets (of those exported) and cards (all the search API finds); "
            "only certified objects are listed, others stay unmanaged."
        ]
        session.write(self.section, [n for n in nodes if n is not None], notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        state = change.before or change.after or {}
        return [(str(state.get("entity_type", "")), str(state.get("id", "")))]

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None


def _export_node(
    target: str, ident: str | int, label: str, warnings: list[str]
) -> CommentedMap | None:
    """A ``certifications`` entry (``target`` is dataset or card) of a certified object."""
    node = CommentedMap({target: ident})
    add_comment(node, target, label)
    node["certified"] = True
    what = f"certification of {target} {ident}"
    return node if valid(CertificationSpec, node, what, warnings) else None


KIND = CertificationKind()
