"""Simulator variants: each undocumented answer of Domo, switchable to its other plausible form.

The documents (``../shared/domo-api``) leave out fields and behaviours domogov relies on; public
sources show one form, but no one has confirmed every instance answers the same way (README,
"Undocumented answers"). By default the simulator serves what public sources show. Each variant
below switches one behaviour to the other form, so tests can prove domogov is safe under both.

Switch variants on with ``domogov sim serve --variant NAME`` (repeatable), ``PUT /_sim/variants``
or, in-process, ``create_app(state, variants=[...])`` / ``app_with_variants``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Variant:
    """One switch: the assumption it breaks and where the documents leave it open."""

    name: str
    description: str
    reference: str


# fmt: off
_TABLE = (
    Variant("schedule_detail_minimal",
            "GET .../reportschedules/{id} has no schedule.additionalRecipients and no "
            "attachmentInclude (exactly the document's example).",
            "001 Scheduled Reports API: Get Report Schedule by ID"),
    Variant("schedule_list_user_filter",
            "The schedule list honours filter (default USER: only the token user's own "
            "schedules; ALL: everyone's) and an absent or 0 limit returns no rows.",
            "001 Scheduled Reports API: List Report Schedules (filter default \"USER\", "
            "limit default 0)"),
    Variant("grouplist_page_cap_30",
            "grouplist answers at most 30 groups per page whatever limit asks (a short page is "
            "not the end).",
            "README Groups / Request forms: public clients page grouplist 30 at a time"),
    Variant("users_attributes_only",
            "identity v1 user rows carry emailAddress and roleId only inside attributes "
            "([{key, values}]), and no userName, unless parts includes DETAILED.",
            "001 Users API: parts MINIMAL|SIMPLE|DETAILED|GROUPS|ROLE; README Users"),
    Variant("users_list_truncated",
            "GET /api/identity/v1/users returns only the first 50 users, with no paging hint; "
            "the users search still finds everyone.",
            "001 Users API: Get All Users shows no paging"),
    Variant("access_levels_read_write",
            "Dataset permission lists show the READ/WRITE-style levels of document 002 "
            "(CAN_VIEW->READ, CAN_EDIT->WRITE, CAN_SHARE->READ_SHARE, "
            "CO_OWNER->READ_WRITE_DELETE_SHARE_ADMIN) instead of CAN_*.",
            "002 Dataset Access List; 004 metadata permissions strings"),
    Variant("group_revoke_ignored",
            "The bulk DELETE .../datasources/{id}/users answers 200 for a GROUP entry but does "
            "not remove the group's grant.",
            "001/004 Remove multiple users from dataset: only users are documented"),
    Variant("share_does_not_lower",
            "A dataset share with a lower level than the principal already has answers 200 and "
            "keeps the higher level.",
            "004 Share Dataset: the replace-or-merge rule is not documented"),
    Variant("cert_state_certified",
            "Certified objects read state \"CERTIFIED\" (not \"ACTIVE\").",
            "001 Certified Content; README Certification"),
    Variant("cert_state_pending",
            "A certify request (PUT .../state/ACTIVE) leaves the object PENDING (approval "
            "workflow); PENDING objects can also be seeded in the state file.",
            "001 Certified Content; README Certification"),
    Variant("cert_state_expired",
            "Certified objects read state \"EXPIRED\".",
            "001 Certified Content; README Certification"),
    Variant("cert_state_null",
            "The certification state always reads null, certified or not (the document's "
            "only example).",
            "001 Certified Content: Get Certification Status"),
    Variant("alerts_no_subscriptions",
            "Alert reads (list, one alert, ?fields=all) carry no subscriptions key; GET "
            ".../alerts/{id}/subscriptions still works.",
            "001 Alerts API; README Alerts"),
    Variant("activity_rows_minimal",
            "Activity-log rows have no objectId and no objectName (the document's example).",
            "001 Activity Log API: Get Activity Log"),
    Variant("activity_object_type_400",
            "Only the documented objectType values (ACCOUNT, DATAFLOW_TYPE, DATA_SOURCE) exist: "
            "any other filter value answers 400, and objectTypes lists only those.",
            "001 Activity Log API: objectType valid values"),
    # --- content permissions (page_shares, file_permissions, workflow_permissions) ---
    Variant("content_accesslist_users_only",
            "GET .../share/accesslist/{page|card}/{id} lists users only: no groups key.",
            "README Request forms: page and card access lists (public clients only)"),
    Variant("content_card_share_ignored",
            "POST /api/content/v1/share answers 200 for a card resource but shares nothing.",
            "README Request forms: sharing (public clients only; cards not shown)"),
    Variant("workflow_permissions_merge",
            "POST .../workflow/v1/models/{id}/permissions adds and updates entries but never "
            "removes one the body leaves out.",
            "001 Changing a Workflow's Permissions: replace or merge is not documented"),
    # --- personalized data permissions (pdp_policies; request forms of public clients) ---
    Variant("pdp_associations_unless_asked",
            "The filter-groups list carries userIds, groupIds and virtualUserIds only when "
            "options asks for load_associations.",
            "README More governance surfaces: PDP list options (public clients only)"),
    Variant("pdp_open_unflagged",
            "Filter-groups list rows carry no openPolicy flag: Domo's own \"All Rows\" policy "
            "is known only by its name.",
            "README More governance surfaces: PDP list (public clients only)"),
    Variant("pdp_enabled_absent",
            "GET /api/query/v1/data-control/{datasetId} has no enabled field.",
            "README More governance surfaces: PDP on/off (public clients only)"),
    # --- Remote DomoStats (domostats_jobs; create and one-job read by public clients) ---
    Variant("domostats_create_id_only",
            "POST /api/executor/v1/applications/{app}/jobs answers only {jobId}, not the job.",
            "README More governance surfaces: DomoStats job create (public clients only)"),
    Variant("domostats_create_empty",
            "POST /api/executor/v1/applications/{app}/jobs answers 200 with no body.",
            "README More governance surfaces: DomoStats job create (public clients only)"),
    Variant("domostats_job_no_triggers",
            "Executor job reads (the v2 list and the one-job read) carry no triggers.",
            "000 Update the Job: triggers [] in the body; no read shows them"),
    Variant("rate_limit_per_minute",
            "A server-side limit of N requests per fixed one-minute window (default 600); over "
            "it, 429 with Retry-After = seconds to the window's end.",
            "001 Search Product API: about 120 requests a minute; README Errors and limits"),
)
# fmt: on
VARIANTS: dict[str, Variant] = {v.name: v for v in _TABLE}
DEFAULT_RATE_LIMIT = 600
WINDOW_SECONDS = 60


def check_names(names: Iterable[str]) -> list[str]:
    """The names, in table order without repeats; ValueError naming the valid ones otherwise."""
    wanted = list(names)
    unknown = [n for n in wanted if n not in VARIANTS]
    if unknown:
        raise ValueError(
            f"unknown variant(s) {', '.join(map(repr, unknown))}; valid: {', '.join(VARIANTS)}"
        )
    return [n for n in VARIANTS if n in wanted]


class RateWindow:
    """Fixed one-minute windows counting requests; the clock is injectable for tests."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self._window = -1
        self._count = 0

    def admit(self) -> int | None:
        """Count one request: None when admitted, else the Retry-After seconds (1 to 60)."""
        now = self.clock()
        window = math.floor(now / WINDOW_SECONDS)
        if window != self._window:
            self._window, self._count = window, 0
        self._count += 1
        if self._count <= self.limit:
            return None
        left = (window + 1) * WINDOW_SECONDS - now
        return min(WINDOW_SECONDS, max(1, math.ceil(left)))


class Variants:
    """The variants switched on in one running simulator (``app.state.runtime.variants``)."""

    def __init__(
        self,
        names: Iterable[str] = (),
        *,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled: frozenset[str] = frozenset()
        self.window = RateWindow(rate_limit_per_minute, clock)
        self.set(names)

    def set(self, names: Iterable[str], rate_limit_per_minute: int | None = None) -> None:
        """Replace the switched-on set (ValueError on an unknown name; nothing changes then)."""
        checked = check_names(names)
        if rate_limit_per_minute is not None:
            if isinstance(rate_limit_per_minute, bool) or rate_limit_per_minute < 1:
                raise ValueError("rate_limit_per_minute must be a positive integer")
            self.window.limit = rate_limit_per_minute
        self.enabled = frozenset(checked)

    def on(self, name: str) -> bool:
        """Whether ``name`` is switched on; a misspelt name in a route is a bug, not False."""
        if name not in VARIANTS:
            raise KeyError(f"no simulator variant {name!r}")
        return name in self.enabled

    def rate_limited(self) -> int | None:
        """For one /api request: None, or Retry-After seconds when over the per-minute limit."""
        if "rate_limit_per_minute" not in self.enabled:
            return None
        return self.window.admit()

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": [n for n in VARIANTS if n in self.enabled],
            "rate_limit_per_minute": self.window.limit,
            "available": {
                v.name: {"description": v.description, "reference": v.reference}
                for v in VARIANTS.values()
            },
        }

    @classmethod
    def parse_update(cls, doc: Any) -> tuple[list[str], int | None]:
        """Parse a ``PUT /_sim/variants`` body: ``{"enabled": [...], "rate_limit_per_minute"}``
        or a bare list of names; ValueError with a readable reason."""
        if isinstance(doc, list):
            doc = {"enabled": doc}
        if not isinstance(doc, dict):
            raise ValueError('expected {"enabled": [names], "rate_limit_per_minute": N}')
        unknown = set(doc) - {"enabled", "rate_limit_per_minute"}
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)}")
        names = doc.get("enabled", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("enabled is a list of variant names")
        limit = doc.get("rate_limit_per_minute")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError("rate_limit_per_minute must be a positive integer")
        return check_names(names), limit


def set_variants(
    app: Any, names: Iterable[str], *, rate_limit_per_minute: int | None = None
) -> Variants:
    """Switch the variants of a running app (from ``create_app``) to exactly ``names``.

    For tests that build the app elsewhere (e.g. a kit's ``create_app(state)``); ValueError
    naming the valid variants on an unknown name. Returns the app's ``Variants``."""
    variants: Variants = app.state.runtime.variants
    variants.set(names, rate_limit_per_minute)
    return variants
