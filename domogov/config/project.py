"""The project file ``domogov.yaml``: instance, prune scopes, protections, budgets."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, field_validator

from domogov.config.types import Name, describe, fail


class PruneScope(BaseModel):
    """Which undeclared live objects of a kind are deleted; ``{}`` means all of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: Annotated[str, BeforeValidator(lambda v: _text(v, "a glob"))] | None = Field(
        None,
        description='Glob on the object\'s name (e.g. "gov-*"); only matching live objects are '
        "pruned. Omitted: every undeclared object of the kind.",
    )

    def covers(self, name: str) -> bool:
        """True when a live object with this name (or id) is in scope."""
        return self.match is None or fnmatchcase(name, self.match)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        fail(f"expected {what} (a non-empty string), got {describe(value)}")
    return value


def _key(value: Any) -> str:
    # Alert and card ids are numbers in YAML; protections compare as strings.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, "a name or id")


ProtectedKey = Annotated[str, BeforeValidator(_key)]
_SCOPE_HELP = (
    "Prune undeclared live {kind}: {{}} for all, or {{match: GLOB}}. Omitted: never pruned."
)
_PROTECT_HELP = "Names (or ids) of {kind} domogov must never modify or delete."


class PruneSettings(BaseModel):
    """Kinds whose undeclared live objects are deleted; a kind left out is never pruned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: PruneScope | None = Field(None, description=_SCOPE_HELP.format(kind="groups"))
    roles: PruneScope | None = Field(None, description=_SCOPE_HELP.format(kind="roles"))
    dataset_shares: PruneScope | None = Field(
        None, description=_SCOPE_HELP.format(kind="dataset grants")
    )
    certifications: PruneScope | None = Field(
        None, description=_SCOPE_HELP.format(kind="certifications")
    )
    alerts: PruneScope | None = Field(None, description=_SCOPE_HELP.format(kind="alerts"))
    report_schedules: PruneScope | None = Field(
        None, description=_SCOPE_HELP.format(kind="report schedules")
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        # `report_schedules:` with nothing after it reads as null: say {} or remove the key.
        if value is None:
            fail("write {} to prune every object of this kind, or remove the key")
        return value


class ProtectSettings(BaseModel):
    """Objects domogov never modifies or deletes, whatever the manifests say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: tuple[ProtectedKey, ...] = Field((), description=_PROTECT_HELP.format(kind="groups"))
    roles: tuple[ProtectedKey, ...] = Field((), description=_PROTECT_HELP.format(kind="roles"))
    dataset_shares: tuple[ProtectedKey, ...] = Field(
        (), description=_PROTECT_HELP.format(kind="datasets (ids)")
    )
    certifications: tuple[ProtectedKey, ...] = Field(
        (), description=_PROTECT_HELP.format(kind="certified datasets or cards (ids)")
    )
    alerts: tuple[ProtectedKey, ...] = Field(
        (), description=_PROTECT_HELP.format(kind="alerts (ids)")
    )
    report_schedules: tuple[ProtectedKey, ...] = Field(
        (), description=_PROTECT_HELP.format(kind="report schedules (titles or ids)")
    )

    @field_validator("*", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            fail(f"expected a list of names or ids, got {describe(value)}")
        return value


class ProjectSpec(BaseModel):
    """The project file ``domogov.yaml``; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: Name | None = Field(
        None,
        description="Domo instance name (acme → https://acme.domo.com); "
        "--instance and DOMO_INSTANCE override it. Only in domogov.yaml.",
    )
    prune: PruneSettings = Field(
        default_factory=PruneSettings,
        description="Kinds whose UNDECLARED live objects are deleted (default: none). "
        "Only in domogov.yaml.",
    )
    protect: ProtectSettings = Field(
        default_factory=ProtectSettings,
        description="Objects never modified or deleted, per kind. Only in domogov.yaml.",
    )
    max_destructive: StrictInt = Field(
        25,
        ge=0,
        description="More deletes + revokes than this in one plan need --allow-destructive "
        "(default 25). Only in domogov.yaml.",
    )
    default_role: Name | None = Field(
        None,
        description="Role that users dropped from a role's users list move to. "
        "Only in domogov.yaml.",
    )

    @field_validator("prune", "protect", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    def prune_scope(self, section: str) -> PruneScope | None:
        """The prune scope of a kind section (``"groups"``), or None when it is not pruned."""
        return getattr(self.prune, section)

    def protected(self, section: str) -> tuple[str, ...]:
        """Names or ids protected in a kind section (``"roles"``)."""
        return getattr(self.protect, section)


PROJECT_KEYS: tuple[str, ...] = tuple(ProjectSpec.model_fields)
