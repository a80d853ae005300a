"""The base every kind's manifest model derives from: strict keys, identity, address, label.

A scalar key left out (``description``, ``type``, ``view``, ...) is ``None``: "not managed",
domogov leaves the live value alone. An omitted collection (``members``, ``grants``, ...) is
``None`` too; ``[]`` is an authoritative empty collection. With ``ensure: absent`` only the
identity keys are required.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from domogov.spec.types import Ensure, fail

ENSURE_DOC = "present (default) keeps the object as declared; absent deletes it."
PINNED_DOC = "Pinned Domo id: lets a rename be an update instead of delete + create."


def _schema_extra(schema: dict[str, Any], cls: type) -> None:
    # What the validators enforce, told to editors too: "exactly one of", "required unless absent".
    one_of: tuple[str, ...] = getattr(cls, "one_of", ())
    if one_of:
        schema["oneOf"] = [{"required": [k]} for k in one_of]
    required: tuple[str, ...] = getattr(cls, "required_when_present", ())
    if required:
        schema["if"] = {"properties": {"ensure": {"const": "absent"}}, "required": ["ensure"]}
        schema["else"] = {"required": list(required)}


#: The model configuration of every manifest object and entry.
SPEC_CONFIG = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_schema_extra)


def exactly_one(model: BaseModel, what: str) -> None:
    """Refuse a model that gives none, or more than one, of its ``one_of`` keys."""
    keys: tuple[str, ...] = getattr(model, "one_of", ())
    given = [k for k in keys if getattr(model, k) is not None]
    names = " or ".join(f"'{k}'" for k in keys)
    if not given:
        fail(f"{what} needs one of {names}")
    if len(given) > 1:
        fail(f"{what} names exactly one of {names}, not {' and '.join(repr(k) for k in given)}")


class Spec(BaseModel):
    """Base of every manifest object: strict keys, immutable, hashable.

    Each kind's model sets ``kind`` (the singular name in addresses) and says how it is
    known (``identity_key``) and named in messages (``label``).
    """

    model_config = SPEC_CONFIG

    #: The singular kind name used in addresses: ``group``.
    kind: ClassVar[str] = ""
    #: Keys still required unless ``ensure: absent``.
    required_when_present: ClassVar[tuple[str, ...]] = ()
    #: Keys of which exactly one must be given.
    one_of: ClassVar[tuple[str, ...]] = ()
    #: Domo compares this kind's names without regard to case ("finance" is "Finance").
    names_fold_case: ClassVar[bool] = False

    @model_validator(mode="after")
    def _required_unless_absent(self) -> Any:
        if self.present:
            for key in self.required_when_present:
                if getattr(self, key) is None:
                    fail(f"missing required key '{key}' (only 'ensure: absent' may omit it)")
        return self

    @property
    def present(self) -> bool:
        """False when the manifests ask for this object to be deleted."""
        # Every kind declares its own ``ensure`` last, so the schema keeps the keys' order.
        return getattr(self, "ensure", Ensure.PRESENT) is Ensure.PRESENT

    def identity_key(self) -> str:
        """The part of the address after the kind: ``Finance Analysts``, ``card.12``."""
        raise TypeError(f"{type(self).__name__} does not define its identity")

    def label(self) -> str:
        """How messages name the object: ``group 'Finance Analysts'``, ``alert 358``."""
        return f"{self.kind.replace('_', ' ')} '{self.identity_key()}'"

    @classmethod
    def address_of_raw(cls, raw: Any) -> str:
        """The address an entry that failed validation would have, if its identity keys are
        readable (so the message names the object); ``""`` when they are not."""
        if not isinstance(raw, dict):
            return ""
        try:
            partial = cls.model_construct(**{k: v for k, v in raw.items() if k in cls.model_fields})
            key = partial.identity_key()
        except (AttributeError, TypeError, ValueError):
            return ""
        text = str(key) if isinstance(key, str | int) and not isinstance(key, bool) else ""
        # Only a key that prints as itself: a name with a line break or a control character is
        # exactly what the message is about, and must not garble the message.
        if not text or not text.isprintable() or len(text) > 200 or text.endswith("None"):
            return ""
        return f"{cls.kind}.{text}"

    @property
    def address(self) -> str:
        """The object's address in plans: ``group.Finance Analysts``."""
        return f"{self.kind}.{self.identity_key()}"
