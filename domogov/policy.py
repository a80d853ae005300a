"""Governance policies of ``domogov.yaml``: judged on the manifests (validate) and on a plan."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from functools import partial
from typing import TYPE_CHECKING, Any

from domogov.config.manifest import load_config
from domogov.config.project import PolicyRule, Waiver
from domogov.core.render import policy_entry_lines, policy_markdown_section
from domogov.errors import ConfigError, ConfigIssue, Location, PlanError
from domogov.resources.certification import CertificationSpec
from domogov.resources.dataset_share import DatasetShareSpec
from domogov.resources.file_permission import FilePermissionSpec
from domogov.resources.group import GroupSpec
from domogov.resources.pdp_policy import PdpSpec
from domogov.spec.types import suggest

if TYPE_CHECKING:
    from domogov.config.manifest import Config
from domogov.core.changes import Plan

FORBID = PolicyRule.FORBID_SHARE_LEVELS.value
CERTIFIED = PolicyRule.REQUIRE_CERTIFIED_FOR_SHARE_TO_GROUPS.value
MAX_SIZE = PolicyRule.MAX_GROUP_SIZE.value
PUBLIC_FILES = PolicyRule.FORBID_PUBLIC_FILES.value
PDP_OFF = PolicyRule.FORBID_PDP_DISABLED_ON_CERTIFIED.value
#: The kind of object each rule is judged on; a waiver's object must be of that kind.
RULE_KIND = {
    FORBID: "dataset_share",
    CERTIFIED: "dataset_share",
    MAX_SIZE: "group",
    PUBLIC_FILES: "file_permission",
    PDP_OFF: "pdp_policy",
}


@dataclass(frozen=True)
class PolicyViolation:
    """One broken rule on one object; ``waived_by`` is the waiver's reason when it is waived.

    ``subject`` names what inside the object breaks it (``group:Finance Analysts``); with
    ``rule`` and ``object`` it identifies the violation, so the manifest and plan checks
    of the same grant count once. ``path`` is the data path (``dataset_shares[0].grants[1]``).
    """

    rule: str
    object: str
    message: str
    location: Location | None = None
    waived_by: str | None = None
    subject: str = ""
    path: str = ""

    @property
    def waived(self) -> bool:
        return self.waived_by is not None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        waived = f" [waived: {self.waived_by}]" if self.waived else ""
        return f"{where}{self.rule}: {self.message}{waived}"

    def as_issue(self) -> ConfigIssue:
        """The violation as a manifest error (file:line:col: path: message)."""
        return ConfigIssue(self.location, self.path, f"policy {self.rule}: {self.message}")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "object": self.object,
            "message": self.message,
            "location": str(self.location) if self.location else None,
            "waived_by": self.waived_by,
        }


# --- the manifests alone (validate) ------------------------------------------------------


def check_config_policies(config: Config, today: date | None = None) -> list[PolicyViolation]:
    """Violations the manifests show by themselves, waivers applied; no network.

    forbid_share_levels: declared grants. max_group_size: declared members (a list's length
    is exact; an additive list's is a lower bound). require_certified_for_share_to_groups:
    group grants on a dataset the manifests declare ``certified: false`` (or absent); a
    dataset whose certification is not declared is judged by the plan.
    """
    policies, found = config.project.policies, []
    share_rules = policies.forbid_share_levels or policies.require_certified_for_share_to_groups
    declared = _declared(config)
    shares = [s for s in config.section("dataset_shares") if isinstance(s, DatasetShareSpec)]
    for share in (s for s in shares if s.present and share_rules):
        cert = declared.get(share.dataset)
        state = None if cert is None else _certifies(cert)
        where = f" ({config.where(cert)})" if cert else ""
        label = _dataset(share.dataset, share.name)
        for i, grant in enumerate(share.grants.items if share.grants else ()):
            principal = f"group:{grant.group}" if grant.group else f"user:{grant.user}"
            at = partial(config.locate, share, "grants", i)
            level = grant.access.value
            found += _judge_grant(config, share.address, label, principal, level, state, at, where)
    limit = policies.max_group_size
    groups = [g for g in config.section("groups") if isinstance(g, GroupSpec)]
    for group in (g for g in groups if g.present):
        if limit is None or group.members is None or len(group.members.items) <= limit:
            continue
        loc, path = config.locate(group, "members")
        what = "declares" if group.members.authoritative else "adds at least"
        count = len(group.members.items)
        message = f"group '{group.name}' {what} {count} members; max_group_size is {limit}"
        found.append(PolicyViolation(MAX_SIZE, group.address, message, loc, None, "", path))
    found += _declared_public_files(config)
    found += _declared_pdp_off(config)
    return _waive(config, found, today)


# forbid_public_files: a file anyone in the instance may open is one no grant list governs.
def _declared_public_files(config: Config) -> list[PolicyViolation]:
    """file_permissions entries that declare ``public: true``."""
    if not config.project.policies.forbid_public_files:
        return []
    found = []
    files = [f for f in config.section("file_permissions") if isinstance(f, FilePermissionSpec)]
    for spec in (f for f in files if f.present and f.public is True):
        loc, path = config.locate(spec, "public")
        message = f"{_file(spec.file, spec.name)} is declared public; public files are forbidden"
        found.append(PolicyViolation(PUBLIC_FILES, spec.address, message, loc, None, "", path))
    return found


def _planned_public_file(config: Config, change: Any, spec: Any) -> list[PolicyViolation]:
    """A file_permission change that makes a file public (one already public it leaves be:
    the plan is judged on what it changes, as the share rules are)."""
    after, before = change.after or {}, change.before or {}
    if not config.project.policies.forbid_public_files or after.get("public") is not True:
        return []
    if before.get("public") is True:
        return []
    loc, path = config.locate(spec, "public") if spec else (None, "")
    file = _file(change.key.get("file") or after.get("file"), after.get("name"))
    message = f"this plan makes {file} public; public files are forbidden"
    return [PolicyViolation(PUBLIC_FILES, change.address, message, loc, None, "", path)]


# forbid_pdp_disabled_on_certified (issue 14): with PDP off, everyone who can open a
# certified dataset sees every row of it, whatever its policies say.
def _declared_pdp_off(config: Config) -> list[PolicyViolation]:
    """pdp_policies entries declaring ``enabled: false`` on a dataset the manifests certify."""
    if not config.project.policies.forbid_pdp_disabled_on_certified:
        return []
    declared, found = _declared(config), []
    specs = [s for s in config.section("pdp_policies") if isinstance(s, PdpSpec)]
    for spec in (s for s in specs if s.present and s.enabled is False):
        cert = declared.get(spec.dataset)
        if cert is None or not _certifies(cert):
            continue  # not declared certified: a plan judges what it turns off
        loc, path = config.locate(spec, "enabled")
        message = (
            f"{_dataset(spec.dataset, spec.name)} is certified ({config.where(cert)}) but "
            "declares PDP off (enabled: false); certified datasets keep PDP on"
        )
        found.append(PolicyViolation(PDP_OFF, spec.address, message, loc, None, "", path))
    return found


def _planned_pdp_off(
    config: Config, change: Any, spec: Any, certified: dict[str, bool]
) -> list[PolicyViolation]:
    """A pdp_policy change turning PDP off on a dataset certified after the plan, or whose
    certification is not managed (its state unknown, as for the share rule)."""
    after, before = change.after or {}, change.before or {}
    if not config.project.policies.forbid_pdp_disabled_on_certified:
        return []
    if after.get("enabled") is not False or before.get("enabled") is not True:
        return []
    dataset = str(change.key.get("dataset") or after.get("dataset"))
    state = certified.get(dataset)
    if state is False:
        return []
    label = _dataset(dataset, after.get("name") or getattr(spec, "name", None))
    if state:
        message = f"this plan turns PDP off on certified {label}; certified datasets keep PDP on"
    else:
        message = (
            f"this plan turns PDP off on {label}, whose certification is not managed by "
            "domogov, so its state is unknown; declare it under certifications, or waive "
            "the rule"
        )
    loc, path = config.locate(spec, "enabled") if spec else (None, "")
    return [PolicyViolation(PDP_OFF, change.address, message, loc, None, "", path)]


def _file(ident: Any, name: str | None) -> str:
    return f"file '{name}' ({ident})" if name else f"file {ident}"


def _judge_grant(
    config: Config,
    address: str,
    dataset: str,
    principal: str,
    level: str,
    certified: bool | None,
    at: Callable[[], tuple[Location | None, str]],
    where: str = "",
    *,
    planned: bool = False,
) -> list[PolicyViolation]:
    """The share rules on one grant; ``certified`` None means the state is not managed.

    ``at`` gives the grant's location, looked up only for a violation (big configs load fast).
    """
    policies, found = config.project.policies, []
    kind, who = principal.split(":", 1)
    if any(r.forbids(kind, level) for r in policies.forbid_share_levels):
        what = f"this plan grants {level} to" if planned else f"{level} is granted to"
        message = f"{what} {kind} '{who}' on {dataset}; {level} to {kind}s is forbidden"
        loc, path = at()
        found.append(PolicyViolation(FORBID, address, message, loc, None, principal, path))
    if not policies.require_certified_for_share_to_groups or kind != "group" or certified:
        return found
    if certified is False:
        shared = "this plan shares" if planned else "the manifests share"
        message = (
            f"{shared} {dataset} with group '{who}' ({level}) but leave it uncertified"
            f"{where}; datasets shared with groups must be certified"
        )
    elif planned:
        message = (
            f"this plan shares {dataset} with group '{who}' ({level}) but its certification "
            "is not managed by domogov, so its state is unknown; declare it certified "
            "under certifications, or waive the rule"
        )
    else:
        return found  # not declared: only a plan can judge it
    loc, path = at()
    found.append(PolicyViolation(CERTIFIED, address, message, loc, None, principal, path))
    return found


def waiver_issues(config: Config) -> list[ConfigIssue]:
    """Waivers that cannot be right: rule not enabled, or an object they cannot apply to.

    A waiver must match a declared object of the rule's kind that could break the rule; one
    whose objects are fully declared and within the rule waives nothing: it is stale.
    """
    project, issues = config.project, []
    broken = {(v.rule, v.object) for v in check_config_policies(config)} if project.waivers else ()
    for i, waiver in enumerate(project.waivers):
        loc, path = config.locate(project, "waivers", i)
        rule = waiver.rule.value
        if not project.policies.enabled(rule):
            message = f"waiver for '{rule}', which is not enabled under policies; remove it"
            issues.append(ConfigIssue(loc, path, message))
            continue
        kind = RULE_KIND[rule]
        candidates = [s for s in config.specs() if s.present and s.address.startswith(kind + ".")]
        matched = [s for s in candidates if _matches(waiver.object, s.address)]
        if not matched:
            close = suggest(waiver.object, [s.address for s in candidates])
            hint = f"; did you mean '{close}'?" if close else ""
            message = (
                f"waiver object '{waiver.object}' matches no declared {kind} "
                f"({rule} is judged on {kind}.<{'name' if kind == 'group' else 'id'}>)" + hint
            )
            issues.append(ConfigIssue(loc, f"{path}.object", message))
        elif not any((rule, s.address) in broken or _could_break(config, rule, s) for s in matched):
            message = (
                f"waiver is stale: the manifests keep '{waiver.object}' within {rule}, so "
                "it waives nothing; remove it"
            )
            issues.append(ConfigIssue(loc, path, message))
    return issues


def load_checked(path: str | os.PathLike[str]) -> Config:
    """``load_config``, then the manifests' policies (waivers, unwaived violations).

    What ``validate`` and ``plan`` load. Policies run after loading, not inside it: the
    manifest language knows nothing of policies.
    """
    config = load_config(path)
    issues = config_issues(config)
    if issues:
        raise ConfigError(issues)
    return config


def config_issues(config: Config) -> list[ConfigIssue]:
    """What validate reports: bad waivers, then every unwaived manifest violation."""
    issues = waiver_issues(config)
    issues += [v.as_issue() for v in check_config_policies(config) if not v.waived]
    return issues


# --- a plan ------------------------------------------------------------------------------


def check_plan_policies(
    config: Config, plan: Plan, today: date | None = None
) -> list[PolicyViolation]:
    """Every violation of the manifests and of the plan's after-state, waivers applied.

    The plan is judged on what it changes: a grant it adds or re-levels, a group it grows
    past max_group_size, a dataset it uncertifies while shared with groups. A group grant
    on a dataset whose certification is neither in the plan nor in the manifests counts as
    not certified (the message says the state is not managed). Sorted by rule, object.
    """
    limit = config.project.policies.max_group_size
    specs = {s.address: s for s in config.specs() if s.present}
    certified = _certified_after(config, plan)
    found: list[PolicyViolation] = []
    for change in plan.changes:
        after, before = change.after, change.before or {}
        if after is None:
            continue  # a delete grants nothing
        spec = specs.get(change.address)
        if change.kind == "dataset_share":
            dataset = str(change.key.get("dataset") or after.get("dataset"))
            label = _dataset(dataset, after.get("name") or getattr(spec, "name", None))
            was = _grants(before.get("grants"))
            for principal, level in sorted(_grants(after.get("grants")).items()):
                if was.get(principal) != level:  # only what the plan adds or re-levels
                    at = partial(_grant_location, config, spec, principal)
                    state = certified.get(dataset)
                    found += _judge_grant(
                        config, change.address, label, principal, level, state, at, planned=True
                    )
        elif change.kind == "file_permission":
            found += _planned_public_file(config, change, spec)
        elif change.kind == "pdp_policy":
            found += _planned_pdp_off(config, change, spec, certified)
        elif change.kind == "certification" and after.get("certified") is False:
            found += _uncertified(config, plan, change, specs)
        elif change.kind == "group" and limit is not None:
            members = list(after.get("members") or [])
            grows = set(members) - set(before.get("members") or [])
            if len(members) > limit and grows:
                loc, path = config.locate(spec, "members") if spec else (None, "")
                message = (
                    f"group '{after.get('name')}' would have {len(members)} members after "
                    f"this plan; max_group_size is {limit}"
                )
                found.append(
                    PolicyViolation(MAX_SIZE, change.address, message, loc, None, "", path)
                )
    merged: dict[tuple[str, str, str], PolicyViolation] = {}
    for v in [*check_config_policies(config, today), *_waive(config, found, today)]:
        merged.setdefault((v.rule, v.object, v.subject), v)  # the manifest's wording first
    return sorted(merged.values(), key=lambda v: (v.rule, v.object, v.subject))


def unwaived(violations: Iterable[PolicyViolation]) -> list[PolicyViolation]:
    """The violations that fail validate and plan."""
    return [v for v in violations if not v.waived]


def raise_for_violations(violations: Iterable[PolicyViolation]) -> None:
    """Raise PlanError (exit 1) naming every unwaived violation; waived ones pass."""
    failing = unwaived(violations)
    if failing:
        count = len(failing)
        raise PlanError(
            f"{count} policy violation{'s' if count != 1 else ''}: change the manifests, or "
            "add a waiver (waivers: [{rule, object, reason}]) in domogov.yaml",
            [v.as_issue() for v in failing],
        )


def unused_waivers(
    config: Config, violations: Iterable[PolicyViolation], today: date | None = None
) -> list[str]:
    """Warnings for waivers that waived nothing in this plan (candidates for removal)."""
    today, waivers = today or date.today(), config.project.waivers
    live = [_waivers_of(waivers, v, today)[0] for v in violations if v.waived]
    used = {id(w[0]) for w in live if w}
    return [
        f"waiver {w.rule.value} for '{w.object}' waived nothing in this plan"
        + (f" (it expired on {w.expires})" if w.expires and w.expires < today else "")
        for w in waivers
        if id(w) not in used
    ]


# --- views -------------------------------------------------------------------------------


def policy_lines(violations: Iterable[PolicyViolation]) -> list[str]:
    """Text view: ``! rule object: message`` (failing) and ``~ ... (waived: reason)``."""
    return [text for text, _ in policy_entry_lines([v.to_json() for v in violations])]


def policy_markdown(violations: Iterable[PolicyViolation]) -> str:
    """Markdown view for a pull-request comment; empty when there is nothing to show."""
    return policy_markdown_section([v.to_json() for v in violations])


# --- helpers -----------------------------------------------------------------------------


def _dataset(dataset: str, name: str | None) -> str:
    return f"dataset '{name}' ({dataset})" if name else f"dataset {dataset}"


def _matches(pattern: str, address: str) -> bool:
    return pattern == address or fnmatchcase(address, pattern)


def _grants(entries: Any) -> dict[str, str]:
    return dict(str(e).rsplit(" ", 1) for e in entries or ())


def _declared(config: Config) -> dict[str, CertificationSpec]:
    """Dataset id → its declared certification (the manifests manage its state)."""
    certs = [c for c in config.section("certifications") if isinstance(c, CertificationSpec)]
    return {c.dataset: c for c in certs if c.dataset}


def _certifies(cert: CertificationSpec) -> bool:
    return bool(cert.certified) and cert.present


def _certified_after(config: Config, plan: Plan) -> dict[str, bool]:
    """Dataset id → certified after the plan, where known (the plan first, then manifests)."""
    known = {d: _certifies(c) for d, c in _declared(config).items()}
    for change in plan.changes:
        if change.kind == "certification" and change.key.get("dataset"):
            known[str(change.key["dataset"])] = bool((change.after or {}).get("certified"))
    return known


def _uncertified(
    config: Config, plan: Plan, change: Any, specs: dict[str, Any]
) -> list[PolicyViolation]:
    """A plan uncertifying a dataset whose share, in the plan, keeps group grants.

    Declared group grants are the manifest check's (a declared ``certified: false`` is
    what makes a plan uncertify); the plan adds what it read live.
    """
    dataset = change.key.get("dataset")
    if not dataset or not config.project.policies.require_certified_for_share_to_groups:
        return []
    address = f"dataset_share.{dataset}"
    share = next((c for c in plan.changes if c.address == address), None)
    grants = _grants((share.after or {}).get("grants") if share else None)
    found = []
    for principal, level in sorted(grants.items()):
        if principal.startswith("group:"):
            loc, path = _grant_location(config, specs.get(address), principal)
            message = (
                f"this plan uncertifies dataset {dataset}, which stays shared with group "
                f"'{principal.split(':', 1)[1]}' ({level})"
            )
            found.append(PolicyViolation(CERTIFIED, address, message, loc, None, principal, path))
    return found


def _grant_location(config: Config, spec: Any, principal: str) -> tuple[Location | None, str]:
    """Where the manifests declare the grant to ``principal`` (``group:X``/``user:x``)."""
    if spec is None:
        return None, ""
    for i, grant in enumerate(spec.grants.items if spec.grants else ()):
        label = f"group:{grant.group}" if grant.group else f"user:{grant.user}"
        if label == principal:
            return config.locate(spec, "grants", i)
    return config.locate(spec)


def _could_break(config: Config, rule: str, spec: Any) -> bool:
    """Whether a plan could find ``rule`` broken on ``spec`` although the manifests do not.

    False only when the manifests fully declare what the rule judges: a waiver of it is stale.
    """
    if isinstance(spec, FilePermissionSpec):
        return False  # only a declared public: true makes a file public, and that is judged
    if isinstance(spec, PdpSpec):
        # Only a declared enabled: false turns PDP off; the manifests judge it when they
        # certify the dataset, a plan when they leave its certification unmanaged.
        cert = _declared(config).get(spec.dataset)
        return spec.enabled is False and cert is None
    # An omitted collection is unmanaged: the plan never adds to it, so it breaks nothing.
    if isinstance(spec, GroupSpec):
        return spec.members is not None and spec.members.additive  # adds to live members
    collection = spec.grants
    if collection is None:
        return False
    if collection.additive:
        return True  # live grants the manifests do not list may be judged by the plan
    if rule == FORBID:
        return False  # every grant is declared, and none is forbidden
    cert = _declared(config).get(spec.dataset)
    has_groups = any(g.group for g in collection.items)
    return has_groups and (cert is None or not _certifies(cert))


def _waive(
    config: Config, violations: list[PolicyViolation], today: date | None
) -> list[PolicyViolation]:
    """Attach the first matching, unexpired waiver's reason to each violation."""
    out = []
    for v in violations:
        live, expired = _waivers_of(config.project.waivers, v, today or date.today())
        if live:
            v = replace(v, waived_by=live[0].reason)
        elif expired:
            v = replace(v, message=f"{v.message} (its waiver expired on {expired[0].expires})")
        out.append(v)
    return out


def _waivers_of(
    waivers: Iterable[Waiver], v: PolicyViolation, today: date
) -> tuple[list[Waiver], list[Waiver]]:
    """The waivers naming ``v``'s rule and object: (still valid, expired)."""
    named = [w for w in waivers if w.rule.value == v.rule and _matches(w.object, v.object)]
    live = [w for w in named if w.expires is None or w.expires >= today]
    return live, [w for w in named if w not in live]
