"""The table of assumptions: one entry per undocumented answer domogov relies on.

The entries follow "Undocumented answers" of the API reference (``domo-api/README.md``). Each
names what domogov assumes, the kinds that cannot be managed safely when it does not hold,
the endpoint, and its probe. The writes no read can test (a group revoked through the bulk
DELETE, a share that lowers a level, a certify that takes effect at once) have no probe:
apply's verify step re-reads every changed object and reports a write that did not take
effect, so doctor lists them as ``verify``.

``variants`` names the simulator switch (``domogov sim serve --variant NAME``) that serves the
other form of each behaviour, so a finding can be rehearsed against the simulator; the
simulator itself is never imported here (a test keeps the two tables in step).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domogov.resources.alert import ALERTS
from domogov.resources.dataset_share import DATASOURCES
from domogov.resources.directory import GROUPLIST_PATH, USERS_PATH
from domogov.resources.report_schedule_read import SCHEDULES

from . import probes
from .probes import AUDIT_PATH, Finding
from .session import Session

Probe = Callable[[Session], Awaitable[Finding]]

#: Every kind that names users (members, owners, holders, grants, subscribers, recipients).
USER_KINDS: tuple[str, ...] = ("group", "role", "dataset_share", "alert", "report_schedule")
# content permissions (issue 15): they name users and groups too
USER_KINDS += ("page_share", "file_permission", "workflow_permission")
#: Every kind that names groups (and so needs the whole grouplist).
GROUP_KINDS: tuple[str, ...] = ("group", "dataset_share", "alert", "report_schedule")
GROUP_KINDS += ("page_share", "file_permission", "workflow_permission")
# users and PDP policies (issue 14): users are the directory itself; policies name both
USER_KINDS += ("user", "pdp_policy")
GROUP_KINDS += ("pdp_policy",)
DRIFT = "drift attribution (drift falls back to matching rows by type and text)"


@dataclass(frozen=True)
class Assumption:
    """One undocumented behaviour domogov relies on."""

    id: str
    assumes: str
    kinds: tuple[str, ...]
    endpoint: str
    #: None: a write behaviour, checked by apply's verify step (status ``verify``).
    probe: Probe | None
    #: The simulator variants that serve the other form.
    variants: tuple[str, ...] = ()
    #: What else depends on it, for assumptions no kind's safety rests on.
    affects: str = ""


# fmt: off
ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "users_top_level_fields",
        "users list rows carry emailAddress and roleId at the top level",
        USER_KINDS, f"GET {USERS_PATH}", probes.users_top_level_fields,
        ("users_attributes_only",)),
    Assumption(
        "users_list_complete",
        "the users list holds every user (it shows no paging)",
        USER_KINDS, f"GET {USERS_PATH}", probes.users_list_complete,
        ("users_list_truncated",)),
    Assumption(
        "grouplist_honours_limit",
        "grouplist answers as many groups as limit asks (100), not a capped page",
        GROUP_KINDS, f"GET {GROUPLIST_PATH}", probes.grouplist_honours_limit,
        ("grouplist_page_cap_30",)),
    Assumption(
        "schedule_list_every_owner",
        "the schedule list without filter shows every owner's schedules",
        ("report_schedule",), f"GET {SCHEDULES}", probes.schedule_list_every_owner,
        ("schedule_list_user_filter",)),
    Assumption(
        "schedule_detail_fields",
        "a schedule read carries schedule.additionalRecipients and attachmentInclude",
        ("report_schedule",), f"GET {SCHEDULES}/{{id}}", probes.schedule_detail_fields,
        ("schedule_detail_minimal",)),
    Assumption(
        "dataset_access_levels",
        "dataset permission levels are CO_OWNER, CAN_EDIT, CAN_SHARE, CAN_VIEW (and OWNER)",
        ("dataset_share",), f"GET {DATASOURCES}/{{id}}/permissions",
        probes.dataset_access_levels, ("access_levels_read_write",)),
    Assumption(
        "certification_states",
        "a certified object reads state ACTIVE, an uncertified one null",
        ("certification",), "GET /api/tags/v3/{type}/{id}/system/CERTIFIED/state",
        probes.certification_states,
        ("cert_state_certified", "cert_state_expired", "cert_state_null")),
    Assumption(
        "alert_subscriptions",
        "alert reads (the list and one alert, fields=all) carry subscriptions",
        ("alert",), f"GET {ALERTS}/{{id}}?fields=all", probes.alert_subscriptions,
        ("alerts_no_subscriptions",)),
    Assumption(
        "alert_subscription_items",
        "each subscription names its subscriberId and type",
        ("alert",), f"GET {ALERTS}/{{id}}/subscriptions", probes.alert_subscription_items),
    Assumption(
        "activity_rows_name_objects",
        "activity-log rows carry objectId and objectName",
        (), f"GET {AUDIT_PATH}", probes.activity_rows_name_objects,
        ("activity_rows_minimal",), DRIFT),
    Assumption(
        "activity_object_type_filter",
        "the activity log accepts the objectType values of domogov's kinds",
        (), f"GET {AUDIT_PATH}?objectType=...", probes.activity_object_type_filter,
        ("activity_object_type_400",),
        "drift's read (drift reads every row of the window instead)"),
    Assumption(
        "group_revoke_takes_effect",
        "the bulk DELETE of dataset users also revokes a GROUP entry",
        ("dataset_share",), f"DELETE {DATASOURCES}/{{id}}/users", None,
        ("group_revoke_ignored",)),
    Assumption(
        "share_lowers_level",
        "a share with a lower level replaces the higher one",
        ("dataset_share",), f"POST {DATASOURCES}/{{id}}/share", None,
        ("share_does_not_lower",)),
    Assumption(
        "certify_takes_effect",
        "certifying makes the object ACTIVE at once (no approval step)",
        ("certification",), "PUT /api/tags/v3/{type}/{id}/system/CERTIFIED/state/ACTIVE",
        None, ("cert_state_pending",)),
    # content permissions (issue 15)
    Assumption(
        "content_accesslist_lists",
        "a page's access list carries users and groups lists",
        ("page_share",), "GET /api/content/v1/share/accesslist/page/{id}",
        probes.content_accesslist_lists, ("content_accesslist_users_only",)),
    Assumption(
        "content_card_share_takes_effect",
        "POST /api/content/v1/share shares a card as it shares a page",
        ("page_share",), "POST /api/content/v1/share", None,
        ("content_card_share_ignored",)),
    Assumption(
        "workflow_permissions_replace",
        "the workflow permissions POST replaces the list (an entry left out is removed)",
        ("workflow_permission",), "POST /api/workflow/v1/models/{id}/permissions", None,
        ("workflow_permissions_merge",)),
    # personalized data permissions (issue 14; request forms of public clients)
    Assumption(
        "pdp_list_associations",
        "filter-group lists name userIds and groupIds even unasked (no load_associations)",
        (), "GET /api/query/v1/data-control/{id}/filter-groups",
        probes.pdp_list_associations, ("pdp_associations_unless_asked",),
        "other readers only: pdp_policies always asks for load_associations"),
    Assumption(
        "pdp_open_policy_flagged",
        "filter-group list rows carry openPolicy (true on Domo's own All Rows policy)",
        ("pdp_policy",), "GET /api/query/v1/data-control/{id}/filter-groups",
        probes.pdp_open_policy_flagged, ("pdp_open_unflagged",)),
    Assumption(
        "pdp_control_enabled",
        "a dataset's data-control read carries enabled (PDP on or off)",
        ("pdp_policy",), "GET /api/query/v1/data-control/{id}", probes.pdp_control_enabled,
        ("pdp_enabled_absent",)),
    # Remote DomoStats jobs (issue 16): the probe also lists the executor applications
    Assumption(
        "domostats_job_triggers",
        "executor job reads carry triggers (the whole job, so a PUT of it drops nothing)",
        ("domostats_job",), "GET /api/executor/v2/applications/{app}/jobs",
        probes.domostats_job_triggers, ("domostats_job_no_triggers",)),
    Assumption(
        "domostats_create_answer",
        "a DomoStats job create answers the new job",
        (), "POST /api/executor/v1/applications/{app}/jobs", None,
        ("domostats_create_id_only", "domostats_create_empty"),
        "nothing: domostats_jobs never reads the create's answer; verify re-reads the job list"),
)
# fmt: on

#: Not an assumption but what the run saw: rate-limit answers (429, or 403 "API Rate limit
#: reached.") and the pause they caused. domogov slows down for them; no kind is unsafe.
RATE_LIMITS = Assumption(
    "rate_limits",
    "no rate limiting at doctor's pace",
    (),
    "every read of this run",
    None,
    ("rate_limit_per_minute",),
    "how fast a plan can read (every request waits out a rate-limit pause)",
)
ALL_ASSUMPTIONS = (*ASSUMPTIONS, RATE_LIMITS)
