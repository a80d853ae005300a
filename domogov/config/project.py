"""The project file ``domogov.yaml``: instance, prune scopes, protections, budgets."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    create_model,
    field_validator,
)

from domogov.resources import ALL_KINDS
from domogov.spec.types import Access, Name, PositiveInt, describe, fail, show, suggest


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
        got = "an empty string" if value == "" else describe(value)
        fail(f"expected {what} (a non-empty string), got {got}")
    return value


#: What --instance accepts too (domogov.client.baseurl): acme for https://acme.domo.com.
_INSTANCE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


def _instance(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == value and not _INSTANCE_NAME.match(value):
        fail(
            f"invalid instance name {show(value)}: use only letters, digits and hyphens "
            "(acme for https://acme.domo.com); a proxy or another URL goes in --base-url"
        )
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


class _PruneBase(BaseModel):
    """Kinds whose undeclared live objects are deleted; a kind left out is never pruned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        # `report_schedules:` with nothing after it reads as null: say {} or remove the key.
        if value is None:
            fail("write {} to prune every object of this kind, or remove the key")
        return value


class _ProtectBase(BaseModel):
    """Objects domogov never modifies or deletes, whatever the manifests say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            fail(f"expected a list of names or ids, got {describe(value)}")
        return value


# One key per kind, from the kinds themselves (``prunable``, ``protect_doc``): a new kind
# needs no edit here.
_PRUNE_FIELDS: dict[str, Any] = {
    kind.section: (
        PruneScope | None,
        Field(None, description=_SCOPE_HELP.format(kind=kind.prune_doc or kind.plural)),
    )
    for kind in ALL_KINDS
    if kind.prunable
}
_PROTECT_FIELDS: dict[str, Any] = {
    kind.section: (
        tuple[ProtectedKey, ...],
        Field((), description=_PROTECT_HELP.format(kind=kind.protect_doc or kind.plural)),
    )
    for kind in ALL_KINDS
}
PruneSettings = create_model(
    "PruneSettings", __base__=_PruneBase, __doc__=_PruneBase.__doc__, **_PRUNE_FIELDS
)
ProtectSettings = create_model(
    "ProtectSettings", __base__=_ProtectBase, __doc__=_ProtectBase.__doc__, **_PROTECT_FIELDS
)


class Principal(StrEnum):
    """Who a share-level rule is about: grants to groups, to users, or to anyone."""

    GROUP = "group"
    USER = "user"
    ANY = "any"


class PolicyRule(StrEnum):
    """The policy rules a waiver may name."""

    FORBID_SHARE_LEVELS = "forbid_share_levels"
    REQUIRE_CERTIFIED_FOR_SHARE_TO_GROUPS = "require_certified_for_share_to_groups"
    MAX_GROUP_SIZE = "max_group_size"
    FORBID_PUBLIC_FILES = "forbid_public_files"
    FORBID_PDP_DISABLED_ON_CERTIFIED = "forbid_pdp_disabled_on_certified"


def _choice(enum: type[StrEnum], what: str) -> Any:
    values = [m.value for m in enum]

    def check(value: Any) -> Any:
        if isinstance(value, enum) or (isinstance(value, str) and value in values):
            return value
        close = suggest(value, values) if isinstance(value, str) else None
        hint = f"; did you mean '{close}'?" if close else ""
        fail(f"unknown {what} {show(value)}; valid: {', '.join(values)}{hint}")

    return BeforeValidator(check)


def _iso_date(value: Any) -> Any:
    # The loader hands dates over as the text written; only YYYY-MM-DD is accepted.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    fail(f"expected a date YYYY-MM-DD, got {show(value)}")


class ShareLevelRule(BaseModel):
    """Access levels that may not be granted to a kind of principal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    principal: Annotated[Principal, _choice(Principal, "principal")] = Field(
        description="group, user or any: which grants the rule applies to."
    )
    levels: tuple[Access, ...] = Field(
        description="Forbidden access levels (CO_OWNER, CAN_EDIT, ...).",
        json_schema_extra={"minItems": 1},
    )

    @field_validator("levels", mode="before")
    @classmethod
    def _some_levels(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            fail(f"expected a list of access levels, got {describe(value)}")
        if not value:
            fail("list at least one access level (CO_OWNER, CAN_EDIT, CAN_SHARE, CAN_VIEW)")
        return value

    def forbids(self, principal: str, level: str) -> bool:
        """True when a grant of ``level`` to a ``principal`` ("group"/"user") breaks the rule."""
        return self.principal in (Principal.ANY, principal) and level in self.levels


class PolicySettings(BaseModel):
    """Governance rules checked by validate (from the manifests) and by plan (on the plan)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    forbid_share_levels: tuple[ShareLevelRule, ...] = Field(
        (),
        description="Grants that may not exist, e.g. [{principal: group, levels: [CO_OWNER]}].",
    )
    require_certified_for_share_to_groups: StrictBool = Field(
        False,
        description="A dataset shared with a group must be certified; a dataset whose "
        "certification domogov does not manage counts as not certified.",
    )
    max_group_size: PositiveInt | None = Field(
        None, description="Most members a group may have. Omitted: no limit."
    )
    forbid_public_files: StrictBool = Field(
        False,
        description="No file may be public: a file_permissions entry may not declare "
        "public: true, and a plan may not make a file public.",
    )
    # personalized data permissions (issue 14)
    forbid_pdp_disabled_on_certified: StrictBool = Field(
        False,
        description="A certified dataset keeps PDP on: a pdp_policies entry may not declare "
        "enabled: false on a dataset the manifests certify, and a plan may not turn PDP off "
        "on a dataset that is certified after it (or whose certification domogov does not "
        "manage, so its state is unknown).",
    )

    @field_validator("forbid_share_levels", mode="before")
    @classmethod
    def _null_is_none(cls, value: Any) -> Any:
        return () if value is None else value

    def enabled(self, rule: str) -> bool:
        """Whether ``rule`` is switched on."""
        if rule == PolicyRule.FORBID_SHARE_LEVELS:
            return bool(self.forbid_share_levels)
        if rule == PolicyRule.REQUIRE_CERTIFIED_FOR_SHARE_TO_GROUPS:
            return self.require_certified_for_share_to_groups
        if rule == PolicyRule.FORBID_PUBLIC_FILES:
            return self.forbid_public_files
        if rule == PolicyRule.FORBID_PDP_DISABLED_ON_CERTIFIED:
            return self.forbid_pdp_disabled_on_certified
        return self.max_group_size is not None


class Waiver(BaseModel):
    """An accepted exception to one policy rule for one object (or a glob of objects)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Annotated[PolicyRule, _choice(PolicyRule, "policy rule")] = Field(
        description="The rule waived: forbid_share_levels, "
        "require_certified_for_share_to_groups, max_group_size, forbid_public_files or "
        "forbid_pdp_disabled_on_certified."
    )
    object: Name = Field(
        description="Address of the object it applies to (group.<name> for max_group_size, "
        "dataset_share.<id> for the share rules, file_permission.<id> for "
        "forbid_public_files, pdp_policy.<dataset id> for forbid_pdp_disabled_on_certified); "
        "globs allowed. Must match a declared object."
    )
    reason: Name = Field(description="Why the exception is accepted, and by whom; shown in plans.")
    expires: Annotated[
        date | None,
        BeforeValidator(lambda v: None if v is None else _iso_date(v)),
        WithJsonSchema({"type": "string", "format": "date"}),
    ] = Field(None, description="Last day (YYYY-MM-DD) the waiver applies. Omitted: no end.")


# --- fleet (issue 16): one directory governing several instances ------------------------

#: ``${var.NAME}`` names: what a shell or Terraform variable may be called.
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _var_value(value: Any) -> str:
    # A region or a threshold is written bare in YAML (US, 5): every value substitutes as text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    fail(f"expected a text or number value, got {describe(value)}")


def _var_name(value: Any) -> Any:
    if not isinstance(value, str) or not VAR_NAME.match(value):
        fail(
            f"invalid variable name {show(value)}: use letters, digits and underscores, "
            "not starting with a digit (used as ${var.NAME})"
        )
    return value


def _overlay(value: Any) -> Any:
    text = _text(value, "a directory below this one")
    if text.startswith("/") or ".." in text.replace("\\", "/").split("/"):
        fail(f"the overlay {show(text)} must be a directory inside the configuration directory")
    return text.strip("/")


class InstanceSettings(BaseModel):
    """One instance of a fleet: its variables and an optional overlay directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vars: dict[
        Annotated[str, BeforeValidator(_var_name)], Annotated[str, BeforeValidator(_var_value)]
    ] = Field(
        default_factory=dict,
        description="Values for ${var.NAME} in any string value of the manifests.",
    )
    overlay: Annotated[str, BeforeValidator(_overlay)] | None = Field(
        None,
        description="Directory (relative to domogov.yaml) of manifests for this instance only: "
        "an object there replaces the shared object with the same identity, or adds one.",
    )

    @field_validator("vars", mode="before")
    @classmethod
    def _null_vars(cls, value: Any) -> Any:
        return {} if value is None else value


def _instances(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                fail(f"instance names are text, got {describe(name)}")
            _instance(name)
        return {k: ({} if v is None else v) for k, v in value.items()}
    return value


InstancesBlock = Annotated[dict[str, InstanceSettings], BeforeValidator(_instances)]


class ProjectSpec(BaseModel):
    """The project file ``domogov.yaml``; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: Annotated[Name, AfterValidator(_instance)] | None = Field(
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

    policies: PolicySettings = Field(
        default_factory=PolicySettings,
        description="Governance rules (forbid_share_levels, "
        "require_certified_for_share_to_groups, max_group_size). Only in domogov.yaml.",
    )
    waivers: tuple[Waiver, ...] = Field(
        (),
        description="Accepted exceptions to the policies: [{rule, object, reason}]. "
        "Only in domogov.yaml.",
    )

    # fleet (issue 16)
    instances: InstancesBlock = Field(
        default_factory=dict,
        description="Instances this directory governs, each {vars: {NAME: value}, overlay: "
        "DIR}; the manifests apply to all. Run with --all-instances or --instance a,b. "
        "Only in domogov.yaml.",
    )

    @field_validator("prune", "protect", "policies", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("waivers", mode="before")
    @classmethod
    def _no_waivers(cls, value: Any) -> Any:
        return () if value is None else value

    def prune_scope(self, section: str) -> PruneScope | None:
        """The prune scope of a kind section (``"groups"``), or None when it is not pruned."""
        scope: PruneScope | None = getattr(self.prune, section)
        return scope

    def protected(self, section: str) -> tuple[str, ...]:
        """Names or ids protected in a kind section (``"roles"``)."""
        names: tuple[str, ...] = getattr(self.protect, section)
        return names


PROJECT_KEYS: tuple[str, ...] = tuple(ProjectSpec.model_fields)
