"""Executor routes (Remote DomoStats): applications, jobs (v2 list, v1 read), create, update.

000 documents the application list, the v2 job list and the job ``PUT``; the create
(``POST .../jobs`` with ``executionClass``) and the one-job read are the request forms of public
clients (README, "More governance surfaces"). Undocumented answers are variants
(``domogov/sim/variants.py``): by default the create answers the whole job and every job read
carries ``triggers``; ``domostats_create_id_only`` / ``domostats_create_empty`` and
``domostats_job_no_triggers`` serve the other forms.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.http import empty, ok, page, query_int, read_json, sim, variant
from domogov.sim.ops import executor as ops

#: The v2 job list's page size when ``limit`` is not given, and its cap (not documented).
JOB_PAGE = 50
MAX_JOB_PAGE = 100


def job_doc(request: Request, app_id: str, job: dict[str, Any]) -> dict[str, Any]:
    doc = {"applicationId": app_id, **job}
    if variant(request, "domostats_job_no_triggers"):
        doc.pop("triggers", None)
    return doc


async def list_applications(request: Request) -> Response:
    apps = sim(request).executor.values()
    return ok(
        [
            {
                "id": a.id,
                "name": a.name,
                "executionClass": a.execution_class,
                "jobCount": len(a.jobs),
            }
            for a in apps
        ]
    )


async def list_jobs(request: Request) -> Response:
    app_id = request.path_params["app"]
    app = ops.application(sim(request), app_id)
    offset = query_int(request, "offset", 0)
    limit = min(query_int(request, "limit", JOB_PAGE, minimum=1), MAX_JOB_PAGE)
    jobs = page(list(app.jobs.values()), offset, limit)
    return ok({"jobs": [job_doc(request, app_id, j) for j in jobs]})


async def get_job(request: Request) -> Response:
    app_id = request.path_params["app"]
    job = ops.job(sim(request), app_id, request.path_params["jobId"])
    return ok(job_doc(request, app_id, job))


async def create_job(request: Request) -> Response:
    app_id = request.path_params["app"]
    job = ops.create_job(sim(request), app_id, await read_json(request))
    if variant(request, "domostats_create_empty"):
        return empty(200)
    if variant(request, "domostats_create_id_only"):
        return ok({"jobId": job["jobId"]})
    return ok(job_doc(request, app_id, job))


async def update_job(request: Request) -> Response:
    state = sim(request)
    ops.replace_job(
        state, request.path_params["app"], request.path_params["jobId"], await read_json(request)
    )
    # 000 "Update the Job": the answer is a status, not the job.
    return ok({"status": "OK", "code": 200, "message": "Job updated successfully"})
