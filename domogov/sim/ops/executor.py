"""Executor operations: applications listed, jobs listed, read, created and replaced.

``PUT .../jobs/{jobId}`` replaces the whole job with the body (000 "Update the Job" sends the
whole job): a field the body leaves out is gone afterwards. Jobs cannot be deleted: no document
or public client shows a delete.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from domogov.sim.entities.executor import ExecutorApplication, check_job
from domogov.sim.state import SimError, SimState
from domogov.sim.writelog import note


def application(state: SimState, app_id: str) -> ExecutorApplication:
    app = state.executor.get(app_id)
    if app is None:
        raise SimError(404, f"Application {app_id} not found")
    return app


def job(state: SimState, app_id: str, job_id: str) -> dict[str, Any]:
    found = application(state, app_id).jobs.get(job_id)
    if found is None:
        raise SimError(404, f"Job {job_id} not found in application {app_id}")
    return found


def _remote(doc: dict[str, Any]) -> str:
    return str(doc["executionPayload"]["remoteInstance"]).lower()


def _clash(app: ExecutorApplication, body: dict[str, Any], job_id: str | None) -> None:
    for other in app.jobs.values():
        if other["jobId"] != job_id and _remote(other) == _remote(body):
            raise SimError(
                409, f"A job for remote instance {_remote(body)} already exists in this application"
            )


def create_job(state: SimState, app_id: str, body: Any) -> dict[str, Any]:
    """A new job from the create form public clients send (the job plus executionClass)."""
    app = application(state, app_id)
    problem = check_job(body)
    if problem:
        raise SimError(400, problem)
    if body.get("executionClass") != app.execution_class:
        raise SimError(400, f"executionClass must be {app.execution_class}")
    _clash(app, body, None)
    seed = f"{app_id}/{_remote(body)}/{len(app.jobs)}"
    job_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    stored = {k: copy.deepcopy(v) for k, v in body.items() if k != "executionClass"}
    stored["jobId"] = job_id
    stored.setdefault("jobName", _remote(body))
    app.jobs[job_id] = stored
    note(created=job_id)
    name = str(stored["jobName"])
    state.record("CREATED", "JOB", job_id, name, f"created job {name}", "Created job")
    return stored


def replace_job(state: SimState, app_id: str, job_id: str, body: Any) -> dict[str, Any]:
    """The whole job replaced by the body: what it leaves out is gone (000 sends it whole)."""
    app = application(state, app_id)
    old = job(state, app_id, job_id)
    problem = check_job(body)
    if problem:
        raise SimError(400, problem)
    if body.get("jobId", job_id) != job_id:
        raise SimError(400, "jobId does not match the job of the URL")
    _clash(app, body, job_id)
    new = {k: copy.deepcopy(v) for k, v in body.items() if k != "executionClass"}
    new["jobId"] = job_id
    app.jobs[job_id] = new
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    note(updated=[{"jobId": job_id, "changes": changed}])
    name = str(new.get("jobName") or job_id)
    state.record("UPDATED", "JOB", job_id, name, f"updated job {name}", "Updated job")
    return new
