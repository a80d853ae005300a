"""The bodies of report schedule writes: a create's from the manifest, an update's read-modify-
write of the schedule as read; recipients as principal ids; the error for an update it cannot
build (a part of the read missing: ``PUT`` replaces the whole schedule).

Helpers of the ``report_schedule`` kind (no kind here).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from domogov.core.diff import diff_objects
from domogov.resources.context import LiveContext
from domogov.resources.report_schedule_read import SCHEDULES, ReportScheduleLive
from domogov.spec.base import Spec


def refuse_update(
    ctx: LiveContext,
    spec: Spec,
    label: str,
    address: str,
    before: ReportScheduleLive,
    after: Mapping[str, Any],
    unknown: list[str],
) -> None:
    """The plan error for an update that would have to send a partly unknown schedule."""
    changes = ", ".join(d.field for d in diff_objects(before, after))
    parts = [ctx.unreadable_parts[(address, p)] for p in unknown]
    if parts:
        lacks = " and no ".join(p.reason.removeprefix("has no ") for p in parts)
        read = f"{parts[0].endpoint} has no {lacks}"
        lost = " and ".join(unknown)
    else:  # a live record without its full read: nothing to build the body from
        read, lost = f"GET {SCHEDULES}/{before['id']} was not read", "the rest of it"
    ctx.problem(
        spec,
        (),
        label,
        f"{read}; PUT replaces the whole schedule, so this update ({changes}) would send it "
        f"without its {lost} and Domo would drop them. domogov will not update this "
        "schedule from an unknown (SPEC: unknown is not empty): make the change in Domo, "
        "or check the instance with `domogov doctor`",
    )


def _recipients(ctx: LiveContext, labels: list[str]) -> list[dict[str, Any]]:
    recipients = []
    for principal in labels:
        ptype, pid = ctx.principal_id(principal)
        if pid is not None:
            recipients.append({"type": ptype, "value": str(pid)})
    return recipients


def create_body(ctx: LiveContext, obj: Mapping[str, Any]) -> dict[str, Any]:
    """A create's body: every field from the manifest."""
    body: dict[str, Any] = {
        "title": obj["title"],
        "pageId": obj["page"],
        "schedule": {
            **_timing(obj["schedule"]),
            "enabled": obj["enabled"],
            "additionalRecipients": _recipients(ctx, obj["recipients"]),
        },
        "attachmentInclude": obj["attachment"],
    }
    if obj.get("view") is not None:
        body["viewId"] = obj["view"]
    return body


def update_body(
    ctx: LiveContext,
    raw: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    manages_recipients: bool,
) -> dict[str, Any]:
    """An update's body: the schedule as read, whole, with only the managed fields replaced.

    PUT replaces the whole schedule: whatever the body leaves out, Domo drops. Recipients
    the manifest does not manage go back exactly as read."""
    body = copy.deepcopy(dict(raw))
    body["title"] = obj["title"]
    body["pageId"] = obj["page"]
    if obj.get("view") is not None:
        body["viewId"] = obj["view"]
        if "reportViewId" in body:  # the read's name for it: the two must not disagree
            body["reportViewId"] = obj["view"]
    sched = body["schedule"]  # present: an update is refused while it is unreadable
    sched.update(_timing(obj["schedule"]))
    sched["enabled"] = obj["enabled"]
    if manages_recipients:
        sched["additionalRecipients"] = _recipients(ctx, obj["recipients"])
    body["attachmentInclude"] = obj["attachment"]
    return body


def _timing(sched: Mapping[str, Any]) -> dict[str, Any]:
    """The timing fields of a schedule body, from a live or planned ``schedule``."""
    hour, minute = (int(x) for x in str(sched["at"]).split(":"))
    return {
        "frequency": sched["frequency"],
        "daysToRun": ",".join(str(d) for d in sched["days"]),
        "hourOfDay": hour,
        "minOfHour": minute,
        "timezone": sched["timezone"],
    }
