"""Executor applications and their jobs (Remote DomoStats: a publisher collecting governance
data from other instances).

State file section ``executor``::

    executor:
      - id: 50e7230f-d2f2-42e2-a208-d94c8ae9f64c
        name: Remote DomoStats
        executionClass: com.domo.executor.subscriberstats.SubscriberStatsExecutor
        jobs:
          - jobId: 526906bb-e7e0-4f70-9ca0-3bb4fdf99c82
            jobName: subsidiary.domo.com
            executionTimeout: 720
            executionPayload:
              remoteInstance: subsidiary.domo.com
              policies: {AccessTokens: 85f65936-e0c3-4e74-8398-13096df9bdb3}
              metricsDatasetId: 2644b5d0-344b-4bc0-b379-d3854923a29c
            accounts: [479]
            triggers: [{type: SCHEDULE, frequency: DAILY, hour: 2, minute: 0, timezone: UTC}]

A job is kept as the document Domo answers (000 "Update the Job" shows its fields), checked by
``domogov.sim.ops.executor.check_job``. The trigger form is not documented anywhere: the one
above is this simulator's own, and domogov reads any other form as unreadable.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from domogov.sim.entities.base import Reader, StateFileError

#: The executionClass public clients send when creating a Remote DomoStats job.
SUBSCRIBER_STATS = "com.domo.executor.subscriberstats.SubscriberStatsExecutor"


#: Top-level job fields a write may send (000's body, plus the create form's executionClass).
JOB_KEYS = frozenset(
    {
        "jobId", "jobName", "applicationId", "executionClass", "executionTimeout",
        "executionPayload", "executionResponse", "accounts", "resources", "triggers",
    }
)  # fmt: skip
PAYLOAD_KEYS = frozenset({"remoteInstance", "subscriberJobId", "policies", "metricsDatasetId"})
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _trigger_problem(trigger: Any) -> str:
    if not isinstance(trigger, dict) or trigger.get("type") != "SCHEDULE":
        return "each trigger must be an object with type SCHEDULE"
    if trigger.get("frequency") not in FREQUENCIES:
        return f"trigger frequency must be one of {list(FREQUENCIES)}"
    hour, minute = trigger.get("hour"), trigger.get("minute")
    if not (isinstance(hour, int) and 0 <= hour <= 23 and isinstance(minute, int)):
        return "trigger hour (0-23) and minute (0-59) are required"
    if not 0 <= minute <= 59:
        return "trigger minute must be 0-59"
    if not isinstance(trigger.get("timezone"), str):
        return "trigger timezone is required"
    days = trigger.get("days", [])
    if not isinstance(days, list):
        return "trigger days must be an array"
    return ""


def check_job(job: Any, *, whole: bool = True) -> str:
    """What is wrong with a job document ("" when nothing). ``whole``: a write's body, which
    must carry every field the executor needs (a stored job may lack triggers)."""
    if not isinstance(job, dict):
        return "expected a job object"
    unknown = sorted(set(job) - JOB_KEYS)
    if unknown:
        return f"unknown job field {unknown[0]!r}"
    payload = job.get("executionPayload")
    if not isinstance(payload, dict):
        return "executionPayload is required"
    unknown = sorted(set(payload) - PAYLOAD_KEYS)
    if unknown:
        return f"unknown executionPayload field {unknown[0]!r}"
    if not isinstance(payload.get("remoteInstance"), str) or not payload["remoteInstance"]:
        return "executionPayload.remoteInstance is required"
    policies = payload.get("policies", {})
    if not isinstance(policies, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in policies.items()
    ):
        return "executionPayload.policies must map report names to dataset ids"
    if not isinstance(payload.get("metricsDatasetId", ""), str):
        return "executionPayload.metricsDatasetId must be a dataset id"
    timeout = job.get("executionTimeout")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        return "executionTimeout (minutes) must be a positive integer"
    accounts = job.get("accounts", [])
    if not isinstance(accounts, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in accounts
    ):
        return "accounts must be an array of account ids"
    triggers = job.get("triggers")
    if triggers is None and not whole:
        return ""
    if not isinstance(triggers, list):
        return "triggers must be an array"
    for trigger in triggers:
        problem = _trigger_problem(trigger)
        if problem:
            return problem
    return ""


@dataclass
class ExecutorApplication:
    """An executor application and its jobs (by jobId, in creation order)."""

    id: str
    name: str
    execution_class: str = SUBSCRIBER_STATS
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Any, where: str) -> ExecutorApplication:
        r = Reader(doc, where, ("id", "name", "executionClass", "jobs"))
        app = cls(r.str("id"), r.str("name"), r.str("executionClass", SUBSCRIBER_STATS))
        for i, raw in enumerate(r.list("jobs")):
            job_where = f"{where}.jobs[{i}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("jobId"), str):
                raise StateFileError(f"{job_where}: a job needs a jobId")
            problem = check_job(raw, whole=False)
            if problem:
                raise StateFileError(f"{job_where}: {problem}")
            if raw["jobId"] in app.jobs:
                raise StateFileError(f"{job_where}: duplicate jobId {raw['jobId']!r}")
            app.jobs[raw["jobId"]] = copy.deepcopy(dict(raw))
        return app

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "executionClass": self.execution_class,
            "jobs": [copy.deepcopy(j) for j in self.jobs.values()],
        }

    def is_domostats(self) -> bool:
        return self.execution_class == SUBSCRIBER_STATS
