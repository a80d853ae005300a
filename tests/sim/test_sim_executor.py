"""Contract tests of the executor routes (Remote DomoStats applications and jobs, document 000)."""

from __future__ import annotations

import httpx
from simhelpers import assert_error, call

from domogov.sim import SimState

APP = "50e7230f-d2f2-42e2-a208-d94c8ae9f64c"
JOB_ID = "526906bb-e7e0-4f70-9ca0-3bb4fdf99c82"
V1 = f"/api/executor/v1/applications/{APP}/jobs"
V2 = f"/api/executor/v2/applications/{APP}/jobs"
EXECUTOR = "com.domo.executor.subscriberstats.SubscriberStatsExecutor"


def job(remote: str = "other.domo.com") -> dict:
    return {
        "jobName": remote,
        "executionClass": EXECUTOR,
        "executionTimeout": 60,
        "executionPayload": {
            "remoteInstance": remote,
            "policies": {"SAML": "081d8320-c6df-4d0b-8802-97875989236d"},
            "metricsDatasetId": "2644b5d0-344b-4bc0-b379-d3854923a29c",
        },
        "accounts": [479],
        "triggers": [
            {
                "type": "SCHEDULE",
                "frequency": "DAILY",
                "days": [],
                "hour": 2,
                "minute": 0,
                "timezone": "UTC",
            }
        ],
    }


async def test_applications_list_names_the_executor_class(client: httpx.AsyncClient) -> None:
    apps = await call(client, "GET", "/api/executor/v1/applications/")
    [app] = [a for a in apps if a["id"] == APP]
    assert app["executionClass"] == EXECUTOR and app["jobCount"] == 1


async def test_jobs_are_paged_in_a_jobs_key_until_an_empty_page(client: httpx.AsyncClient) -> None:
    await call(client, "POST", V1, job("b.domo.com"))
    first = await call(client, "GET", f"{V2}?offset=0&limit=1")
    second = await call(client, "GET", f"{V2}?offset=1&limit=1")
    third = await call(client, "GET", f"{V2}?offset=2&limit=1")
    assert len(first["jobs"]) == len(second["jobs"]) == 1 and third == {"jobs": []}
    assert first["jobs"][0]["applicationId"] == APP
    assert {j["jobId"] for j in first["jobs"] + second["jobs"]} >= {JOB_ID}


async def test_create_answers_the_job_and_refuses_another_executor_class(
    client: httpx.AsyncClient, state: SimState
) -> None:
    created = await call(client, "POST", V1, job())
    assert created["executionPayload"]["remoteInstance"] == "other.domo.com"
    assert "executionClass" not in created  # the create form's class is not part of the job
    fetched = await call(client, "GET", f"{V1}/{created['jobId']}")
    assert fetched["jobId"] == created["jobId"]
    wrong = {**job("c.domo.com"), "executionClass": "com.example.Other"}
    assert_error(await call(client, "POST", V1, wrong, status=400), 400, "executionClass")
    assert state.audit[-1]["objectType"] == "JOB"  # the write is in the activity log


async def test_put_replaces_the_whole_job(client: httpx.AsyncClient) -> None:
    body = {**job("subsidiary.domo.com"), "jobId": JOB_ID}
    body.pop("executionClass")
    with_resources = {**body, "resources": {"limits": {"memory": "256M"}}}
    answer = await call(client, "PUT", f"{V1}/{JOB_ID}", with_resources)
    assert answer["status"] == "OK"  # 000: the answer is a status, not the job
    assert (await call(client, "GET", f"{V1}/{JOB_ID}"))["resources"]
    await call(client, "PUT", f"{V1}/{JOB_ID}", body)  # resources left out of the body
    after = await call(client, "GET", f"{V1}/{JOB_ID}")
    assert after["executionTimeout"] == 60 and "resources" not in after


async def test_unknown_application_and_job_are_404(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    body = await call(client, "GET", f"/api/executor/v2/applications/{missing}/jobs", status=404)
    assert_error(body, 404)
    assert_error(await call(client, "GET", f"{V1}/{missing}", status=404), 404)


async def test_executor_routes_need_the_token(anon: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/api/executor/v1/applications/"), ("GET", V2), ("POST", V1)):
        response = await anon.request(method, path, json=job() if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert_error(response.json(), 401)
