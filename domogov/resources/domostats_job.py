"""Remote DomoStats jobs: a publisher instance collecting other instances' governance data.

```yaml
domostats_jobs:
  - application: 50e7230f-d2f2-42e2-a208-d94c8ae9f64c   # the executor application
    remote_instance: subsidiary.domo.com                # identity: application + instance
    reports: { AccessTokens: 85f65936-..., SAML: 081d8320-... }   # report -> dataset id
    metrics_dataset: 2644b5d0-...
    account: 479
    timeout_minutes: 720
    schedule: { frequency: DAILY, at: "02:00", timezone: UTC }
```
Read: the v2 job list of each declared application (``GET /api/executor/v2/applications/{app}
/jobs``, paged until an empty page), a job found by its ``executionPayload.remoteInstance``.
Update: 000's ``PUT .../jobs/{jobId}`` replaces the whole job, so its body is the live job as
read, whole, with only the managed fields changed (read-modify-write). Create: the form public
clients send (the job plus ``executionClass``); its answer is not relied on (it may be the job,
only ``{jobId}``, or nothing): nothing waits for the new id, and apply's verify re-reads the list.

Unknown is not empty (SPEC §5):
- A job without ``executionPayload.policies``, ``metricsDatasetId``, ``executionTimeout``,
  ``accounts`` or ``triggers``, or with a trigger in a form domogov does not know, has that part
  *unreadable*: a manifest managing it is refused, and so is any update of that job (a whole-job
  ``PUT`` would drop or overwrite what was not read). No document shows a trigger: domogov writes
  ``{type: SCHEDULE, frequency, days, hour, minute, timezone}``, and verify after apply reports a
  Domo that does not keep it.
- No delete is documented or sent by public clients: ``ensure: absent`` is refused at plan time.
- Removing a report from ``reports`` stops collecting it: counted as destructive.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict

from pydantic import Field, field_validator
from ruamel.yaml.comments import CommentedMap

from domogov.client.shapes import STR, Array, Object, Shape
from domogov.core.changes import ApiCall, Change, fingerprint
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import ensure_absent, make_change, map_limited
from domogov.resources.context import LiveContext, as_int
from domogov.resources.export_api import ExportSession, add_comment, valid
from domogov.spec.base import Spec
from domogov.spec.schedule import Schedule
from domogov.spec.types import DatasetId, Ensure, EnsureState, PositiveInt, describe, fail, show

APPS = "/api/executor/v1/applications"
JOBS_V2 = "/api/executor/v2/applications"
#: What public clients send as the create form's executionClass (README, "More governance
#: surfaces"); an application whose jobs run it is a DomoStats one.
SUBSCRIBER_STATS = "com.domo.executor.subscriberstats.SubscriberStatsExecutor"
JOB_PAGE = 50
KNOWN_APPS = "domostats_job.applications"  # ctx.cache: the applications the run found
DEFAULT_TIMEOUT = 720  # minutes: 000's example
#: 000's example sends these resources; a new job gets the same.
RESOURCES = {"requests": {"memory": "256M"}, "limits": {"memory": "256M"}}
PARTS = ("reports", "metrics_dataset", "account", "timeout_minutes", "schedule")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\Z")

_JOB = Object(required={"jobId": STR}, optional={"jobName": STR})


def check_instance(value: Any) -> str:
    """A remote instance host name, like ``subsidiary.domo.com`` (lower-cased)."""
    if not isinstance(value, str):
        fail(f"expected an instance host name like subsidiary.domo.com, got {describe(value)}")
    host = value.strip().lower()
    if not _HOST.match(host):
        fail(f"invalid instance {show(value)}: expected a host name like subsidiary.domo.com")
    return host


class DomostatsJobSpec(Spec):
    """A Remote DomoStats job; identity is ``application`` + ``remote_instance``."""

    kind: ClassVar[str] = "domostats_job"

    application: DatasetId = Field(description="Executor application id (a UUID).")
    remote_instance: str = Field(
        description="The instance collected from, like subsidiary.domo.com; with application, "
        "the identity."
    )
    reports: dict[str, DatasetId] | None = Field(
        None,
        description="Report name -> dataset id (the job's policies), authoritative. "
        "Omitted: unmanaged.",
    )
    metrics_dataset: DatasetId | None = Field(None, description="Metrics dataset id.")
    account: PositiveInt | None = Field(None, description="Account id the job connects with.")
    timeout_minutes: PositiveInt | None = Field(
        None, description=f"Execution timeout in minutes (new jobs: {DEFAULT_TIMEOUT})."
    )
    schedule: Schedule | None = Field(None, description="When the job runs. Omitted: unmanaged.")
    ensure: EnsureState = Field(
        Ensure.PRESENT,
        description="present (default). absent is refused: no delete is documented.",
    )

    @field_validator("remote_instance", mode="before")
    @classmethod
    def _instance(cls, value: Any) -> str:
        return check_instance(value)

    @field_validator("reports", mode="before")
    @classmethod
    def _reports(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in value:
                if not isinstance(name, str) or not name.strip():
                    fail(f"report names must be non-empty strings, got {show(name)}")
        return value

    def identity_key(self) -> str:
        return f"{self.application}/{self.remote_instance}"

    def label(self) -> str:
        return f"DomoStats job {self.remote_instance} (application {self.application})"


class DomostatsJobLive(TypedDict):
    """A live job: the managed fields in display form, and the whole job as Domo answered it
    (the base of every ``PUT``)."""

    application: str
    remote_instance: str
    job_id: str
    reports: dict[str, str]
    metrics_dataset: str | None
    account: int | None
    timeout_minutes: int | None
    schedule: dict[str, Any] | None
    job: dict[str, Any]


def schedule_of(trigger: Any) -> dict[str, Any] | None:
    """A schedule trigger as the manifest writes it; None for a form domogov does not know."""
    if not isinstance(trigger, dict) or trigger.get("type") != "SCHEDULE":
        return None
    hour, minute = as_int(trigger.get("hour")), as_int(trigger.get("minute"))
    frequency, zone = trigger.get("frequency"), trigger.get("timezone")
    days = trigger.get("days", [])
    if hour is None or minute is None or not isinstance(zone, str) or not isinstance(days, list):
        return None
    try:
        schedule = Schedule.model_validate(
            {
                "frequency": frequency,
                "days": days,
                "at": f"{hour:02d}:{minute:02d}",
                "timezone": zone,
            }
        )
    except ValueError:
        return None
    return schedule_dict(schedule)


def schedule_dict(schedule: Schedule) -> dict[str, Any]:
    doc: dict[str, Any] = {"frequency": schedule.frequency.value}
    if schedule.days:
        doc["days"] = [d.value if hasattr(d, "value") else d for d in schedule.days]
    doc.update(at=schedule.at, timezone=schedule.timezone)
    return doc


def trigger_of(schedule: Mapping[str, Any]) -> dict[str, Any]:
    hour, minute = str(schedule["at"]).split(":")
    return {
        "type": "SCHEDULE",
        "frequency": schedule["frequency"],
        "days": list(schedule.get("days") or []),
        "hour": int(hour),
        "minute": int(minute),
        "timezone": schedule["timezone"],
    }


class DomostatsJobKind(KindBase[DomostatsJobSpec, DomostatsJobLive]):
    """The ``domostats_job`` kind."""

    name = "domostats_job"
    section = "domostats_jobs"
    spec_model = DomostatsJobSpec
    identity_fields = ("application", "remote_instance")
    plural = "DomoStats jobs"
    plan_order = 95
    section_doc = "Remote DomoStats jobs: what a publisher instance collects from others."
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", APPS + "/"): Array(Object(required={"id": STR}, optional={"name": STR})),
        ("GET", JOBS_V2 + "/{app}/jobs"): Object(required={"jobs": Array(_JOB)}),
        ("GET", APPS + "/{app}/jobs/{jobId}"): _JOB,
    }

    async def _jobs(self, ctx: LiveContext, app: str) -> list[dict[str, Any]] | None:
        """Every job of an application (None: no such application)."""
        try:
            rows = await ctx.client.paginate(
                f"{JOBS_V2}/{app}/jobs",
                style="offset",
                page_size=JOB_PAGE,
                items_key="jobs",
                stop_on="empty",
            )
        except NotFoundError:
            return None
        return [r for r in rows if isinstance(r, dict)]

    def normalise(self, ctx: LiveContext, app: str, job: dict[str, Any]) -> DomostatsJobLive:
        payload = job.get("executionPayload")
        payload = payload if isinstance(payload, dict) else {}
        remote = str(payload.get("remoteInstance") or "").lower()
        address = f"{self.name}.{app}/{remote}"
        endpoint = f"GET {JOBS_V2}/{app}/jobs"

        def missing(part: str, what: str) -> None:
            ctx.unreadable(address, part, endpoint, f"job {job.get('jobId')} has no {what}")

        policies = payload.get("policies")
        reports: dict[str, str] = {}
        if isinstance(policies, dict):
            reports = {str(k): str(v).lower() for k, v in sorted(policies.items())}
        else:
            missing("reports", "executionPayload.policies")
        metrics = payload.get("metricsDatasetId")
        if not isinstance(metrics, str):
            missing("metrics_dataset", "executionPayload.metricsDatasetId")
        accounts = job.get("accounts")
        account: int | None = None
        if isinstance(accounts, list) and len(accounts) == 1 and as_int(accounts[0]) is not None:
            account = as_int(accounts[0])
        elif isinstance(accounts, list) and not accounts:
            account = None
        else:
            missing("account", "single account in accounts")
        timeout = as_int(job.get("executionTimeout"))
        if timeout is None:
            missing("timeout_minutes", "executionTimeout")
        triggers = job.get("triggers")
        schedule: dict[str, Any] | None = None
        if not isinstance(triggers, list):
            missing("schedule", "triggers")
        elif len(triggers) > 1:
            missing("schedule", "single trigger (it has several)")
        elif triggers:
            schedule = schedule_of(triggers[0])
            if schedule is None:
                ctx.unreadable(
                    address,
                    "schedule",
                    endpoint,
                    f"job {job.get('jobId')} has a trigger domogov cannot read: {triggers[0]!r}",
                )
        return {
            "application": app,
            "remote_instance": remote,
            "job_id": str(job.get("jobId")),
            "reports": reports,
            "metrics_dataset": metrics.lower() if isinstance(metrics, str) else None,
            "account": account,
            "timeout_minutes": timeout,
            "schedule": schedule,
            "job": job,
        }

    async def _read_app(
        self, ctx: LiveContext, app: str
    ) -> tuple[bool, dict[str, DomostatsJobLive]]:
        jobs = await self._jobs(ctx, app)
        if jobs is None:
            return False, {}
        out: dict[str, DomostatsJobLive] = {}
        for job in jobs:
            live = self.normalise(ctx, app, job)
            out[f"{self.name}.{app}/{live['remote_instance']}"] = live
        return True, out

    async def fetch(
        self, ctx: LiveContext, keys: list[dict[str, Any]]
    ) -> dict[str, DomostatsJobLive]:
        apps = sorted({str(k["application"]).lower() for k in keys})
        results = await map_limited(lambda a: self._read_app(ctx, a), apps, ctx.parallelism)
        known = ctx.cache.setdefault(KNOWN_APPS, set())
        known.update(a for a, (found, _) in zip(apps, results, strict=True) if found)
        wanted = {f"{self.name}.{k['application']}/{k['remote_instance']}" for k in keys}
        return {a: j for _, jobs in results for a, j in jobs.items() if a in wanted}

    def plan_one(
        self, ctx: LiveContext, spec: DomostatsJobSpec, before: DomostatsJobLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"domostats_jobs[{index}]"
        if ensure_absent(spec):
            ctx.problem(
                spec,
                ("ensure",),
                f"{label}.ensure",
                "ensure: absent is not supported for DomoStats jobs: Domo documents no delete "
                "(remove the job in Domo, then drop it from the manifest)",
            )
            return None
        if before is None:
            if spec.application not in ctx.cache.get(KNOWN_APPS, set()):
                ctx.problem(
                    spec,
                    ("application",),
                    f"{label}.application",
                    f"unknown executor application {spec.application}: not found in Domo",
                )
                return None
            return self._create(ctx, spec, address, key, label)
        refused = False
        for part in PARTS:
            if getattr(spec, part) is not None:
                refused |= ctx.refuse_unreadable(spec, address, part, f"{label}.{part}")
        if refused:
            return None
        after: dict[str, Any] = dict(before)
        if spec.reports is not None:
            after["reports"] = dict(sorted(spec.reports.items()))
        if spec.metrics_dataset is not None:
            after["metrics_dataset"] = spec.metrics_dataset
        if spec.account is not None:
            after["account"] = spec.account
        if spec.timeout_minutes is not None:
            after["timeout_minutes"] = spec.timeout_minutes
        if spec.schedule is not None:
            after["schedule"] = schedule_dict(spec.schedule)
        live: dict[str, Any] = dict(before)
        if all(after[p] == live[p] for p in PARTS):
            return None
        # The PUT replaces the whole job: any part not read would be dropped or overwritten.
        for part in PARTS:
            unread = ctx.unreadable_parts.get((address, part))
            if unread is not None:
                ctx.problem(
                    spec,
                    (),
                    label,
                    f"{unread.endpoint} {unread.reason}, so the job's '{part}' is unknown; "
                    "its update is a whole-job PUT that would drop or overwrite it, so domogov "
                    "will not update this job (SPEC: unknown is not empty); check the instance "
                    "with `domogov doctor`",
                )
                return None
        body = copy.deepcopy(before["job"])
        body.pop("applicationId", None)  # part of the read, not of 000's PUT body
        payload = body.setdefault("executionPayload", {})
        payload["policies"] = dict(after["reports"])
        payload["metricsDatasetId"] = after["metrics_dataset"]
        if after["account"] != before["account"]:
            body["accounts"] = [after["account"]]
        body["executionTimeout"] = after["timeout_minutes"]
        if after["schedule"] != before["schedule"]:
            body["triggers"] = [trigger_of(after["schedule"])]
        path = f"{APPS}/{spec.application}/jobs/{before['job_id']}"
        removed = set(before["reports"]) - set(after["reports"])
        view = {p: after[p] for p in ("application", "remote_instance", "job_id", *PARTS)}
        change = make_change(
            kind=self.name,
            address=address,
            key=key,
            before={p: live[p] for p in view},
            after=view,
            calls=[ApiCall("PUT", path, body=body)],
            destructive=len(removed),
            notes=[f"stops collecting {', '.join(sorted(removed))}"] if removed else [],
        )
        if change is not None:
            # A saved plan's stale check re-reads the whole live record (raw job included):
            # fingerprint that, not the shown subset, or every saved plan would be stale.
            change.fingerprint = fingerprint(before)
        return change

    def _create(
        self,
        ctx: LiveContext,
        spec: DomostatsJobSpec,
        address: str,
        key: dict[str, Any],
        label: str,
    ) -> Change | None:
        lacking = [p for p in ("reports", "metrics_dataset", "account") if getattr(spec, p) is None]
        if lacking:
            ctx.problem(
                spec,
                (lacking[0],),
                f"{label}.{lacking[0]}",
                f"a new DomoStats job needs {', '.join(lacking)} (no job for "
                f"{spec.remote_instance} in application {spec.application})",
            )
            return None
        assert spec.reports is not None and spec.metrics_dataset is not None
        schedule = None if spec.schedule is None else schedule_dict(spec.schedule)
        timeout = spec.timeout_minutes or DEFAULT_TIMEOUT
        body = {
            "jobName": spec.remote_instance,
            "executionClass": SUBSCRIBER_STATS,
            "executionTimeout": timeout,
            "executionPayload": {
                "remoteInstance": spec.remote_instance,
                "policies": dict(sorted(spec.reports.items())),
                "metricsDatasetId": spec.metrics_dataset,
            },
            "executionResponse": {},
            "accounts": [spec.account],
            "resources": copy.deepcopy(RESOURCES),
            "triggers": [] if schedule is None else [trigger_of(schedule)],
        }
        after = {
            "application": spec.application,
            "remote_instance": spec.remote_instance,
            "reports": dict(sorted(spec.reports.items())),
            "metrics_dataset": spec.metrics_dataset,
            "account": spec.account,
            "timeout_minutes": timeout,
            "schedule": schedule,
        }
        # The create's answer is undocumented (the job, only {jobId}, or nothing): nothing
        # waits for the new id, and verify finds the job by its remote instance.
        call = ApiCall("POST", f"{APPS}/{spec.application}/jobs", body=body, idempotent=False)
        return make_change(
            kind=self.name, address=address, key=key, before=None, after=after, calls=[call]
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        found = await self.fetch(ctx, [change.key])
        live = found.get(change.address)
        return None if live is None else live["job_id"]

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every job of every DomoStats application."""
        if not session.wants(self.section):
            return
        session.start("Reading DomoStats applications", None)
        apps = await ctx.client.get(f"{APPS}/")
        rows = [a for a in apps if isinstance(a, dict)] if isinstance(apps, list) else []
        ids = sorted(str(a["id"]).lower() for a in rows if is_domostats(a))
        names = {str(a["id"]).lower(): str(a.get("name") or "") for a in rows}
        results = await map_limited(lambda a: self._read_app(ctx, a), ids, ctx.parallelism)
        nodes = []
        for app, (_, jobs) in zip(ids, results, strict=True):
            for address, live in sorted(jobs.items()):
                node = CommentedMap(application=app, remote_instance=live["remote_instance"])
                add_comment(node, "application", names.get(app, ""))
                for part in PARTS:
                    value = dict(live)[part]
                    if ctx.is_unreadable(address, part):
                        session.warnings.append(f"{address}: '{part}' not exported (unreadable)")
                    elif value is not None:
                        node[part] = copy.deepcopy(value)
                if valid(DomostatsJobSpec, node, address, session.warnings):
                    nodes.append(node)
        notes = ["Jobs of the DomoStats applications; each reports map is authoritative."]
        session.write(self.section, nodes, notes, self.plural)

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        return []  # no activity-log objectType is documented for executor jobs


def is_domostats(app: Mapping[str, Any]) -> bool:
    """Whether an application (a row of ``GET /api/executor/v1/applications/``) is a DomoStats
    one: its executionClass is the subscriber-stats executor, or, lacking that field, its name
    says DomoStats."""
    execution_class = app.get("executionClass")
    if isinstance(execution_class, str):
        return execution_class == SUBSCRIBER_STATS
    return "domostats" in str(app.get("name") or "").lower().replace(" ", "")


KIND = DomostatsJobKind()
