"""Certifications and alerts under the simulator's variants: plan -> apply (verified) -> plan.

Each test switches one undocumented behaviour of Domo to its other form (or seeds a state or an
answer Domo may give) and asserts the outcome is convergence or a clear refusal / ``not
effective`` naming the object, and that the write log shows no write the manifests did not ask
for.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from e2ekit import LEDGER, SALES, Env

from domogov.config import load_config
from domogov.core.applier import ApplyReport
from domogov.core.changes import Plan
from domogov.errors import PlanError
from domogov.reconcile import PlanOptions, apply_plan, make_plan
from domogov.sim import set_variants, write_log
from domogov.verify import verify_apply

SALES_CERT = f"certification.dataset.{SALES}"
LEDGER_CERT = f"certification.dataset.{LEDGER}"
CERTIFY = "/api/tags/v3/{entityType}/{entityId}/system/CERTIFIED/state/ACTIVE"


async def apply_verified(env: Env) -> tuple[Plan, ApplyReport]:
    """What ``domogov apply`` does: plan, apply, then verify by re-reading (exit 3 when not
    effective)."""
    config = load_config(env.dir)
    async with env.client() as client:
        plan, ctx = await make_plan(config, client, PlanOptions(instance="e2e"))
        report = await apply_plan(plan, ctx)
        await verify_apply(plan, report, client, ctx.project)
    return plan, report


def writes(env: Env) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, route, effect) of every write the simulator received."""
    return [(w["method"], w["route"], w["effect"]) for w in write_log(env.app)]


class Watching(httpx.AsyncBaseTransport):
    """The simulator's transport, recording each request and rewriting chosen answers (what
    another Domo might answer), through httpx's public transport API."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, edits: dict[str, Callable[[Any], Any]]
    ) -> None:
        self.inner = inner
        self.edits = edits
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        response = await self.inner.handle_async_request(request)
        edit = self.edits.get(request.url.path) if request.method == "GET" else None
        if edit is None or response.status_code != 200:
            return response
        doc = json.loads(await response.aread())
        return httpx.Response(200, json=edit(doc))


def watch(env: Env, edits: dict[str, Callable[[Any], Any]] | None = None) -> Watching:
    watching = Watching(env.transport, edits or {})
    env.transport = watching  # type: ignore[assignment]  # Env.client() uses it from now on
    return watching


# --- certifications -------------------------------------------------------------------------


async def test_variant_cert_state_certified_converges(env: Env) -> None:
    set_variants(env.app, ["cert_state_certified"])
    env.write(
        "certs.yaml",
        f"""
        certifications:
          - {{dataset: {SALES}, certified: true}}
          - {{dataset: {LEDGER}, certified: true}}
        """,
    )
    plan, report = await apply_verified(env)
    # LEDGER reads CERTIFIED: already certified, not certified again.
    assert [c.address for c in plan.changes] == [SALES_CERT]
    assert report.exit_code == 0 and report.not_effective == []
    assert (await env.plan()).changes == []
    [(method, route, _)] = writes(env)
    assert (method, route) == ("PUT", CERTIFY)


async def test_variant_cert_state_pending_not_effective_then_refused(env: Env) -> None:
    set_variants(env.app, ["cert_state_pending"])
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {SALES}, certified: true}}\n")
    plan, report = await apply_verified(env)
    assert [c.address for c in plan.changes] == [SALES_CERT]
    assert report.exit_code == 3
    [problem] = report.not_effective
    assert problem["address"] == SALES_CERT and problem["shown"] == "PENDING"
    # The next plan does not certify again over the pending request: it refuses, saying why.
    with pytest.raises(PlanError, match="pending approval in Domo") as caught:
        await env.plan()
    assert SALES_CERT in str(caught.value) and "certified" in str(caught.value)
    [(method, route, effect)] = writes(env)
    assert (method, route) == ("PUT", CERTIFY) and effect["certified"]["state"] == "PENDING"


@pytest.mark.parametrize("certified", [True, False])
async def test_a_pending_certification_is_never_written_over(env: Env, certified: bool) -> None:
    env.state.certifications[("DATA_SOURCE", LEDGER)].state = "PENDING"
    flag = "true" if certified else "false"
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {LEDGER}, certified: {flag}}}\n")
    with pytest.raises(PlanError, match="pending approval in Domo") as caught:
        await env.plan()
    assert LEDGER_CERT in str(caught.value)
    assert f"/api/tags/v3/DATA_SOURCE/{LEDGER}/system/CERTIFIED/state" in str(caught.value)
    with pytest.raises(PlanError):
        await apply_verified(env)
    assert writes(env) == []


async def test_an_unrecognised_certification_state_is_unreadable(env: Env) -> None:
    env.state.certifications[("DATA_SOURCE", LEDGER)].state = "REVOKED"
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {LEDGER}, certified: false}}\n")
    with pytest.raises(PlanError, match="'REVOKED'") as caught:
        await env.plan()
    assert LEDGER_CERT in str(caught.value)
    assert writes(env) == []


async def test_variant_cert_state_expired_not_effective(env: Env) -> None:
    set_variants(env.app, ["cert_state_expired"])
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {LEDGER}, certified: true}}\n")
    plan, report = await apply_verified(env)
    # EXPIRED is not certified: certifying again is a visible change, with the reason.
    [change] = plan.changes
    assert change.address == LEDGER_CERT
    assert any("EXPIRED" in note for note in change.notes), change.notes
    assert report.exit_code == 3
    [problem] = report.not_effective
    assert problem["address"] == LEDGER_CERT and problem["shown"] is False
    [(method, route, _)] = writes(env)
    assert (method, route) == ("PUT", CERTIFY)


async def test_variant_cert_state_expired_uncertify_writes_nothing(env: Env) -> None:
    set_variants(env.app, ["cert_state_expired"])
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {LEDGER}, certified: false}}\n")
    assert (await env.plan()).changes == []  # expired is already not certified
    assert writes(env) == []


async def test_variant_cert_state_null_not_effective(env: Env) -> None:
    set_variants(env.app, ["cert_state_null"])
    env.write("certs.yaml", f"certifications:\n  - {{dataset: {SALES}, certified: true}}\n")
    plan, report = await apply_verified(env)
    assert [c.address for c in plan.changes] == [SALES_CERT]
    assert report.exit_code == 3
    [problem] = report.not_effective
    assert problem["address"] == SALES_CERT and problem["field"] == "certified"
    [(method, route, _)] = writes(env)
    assert (method, route) == ("PUT", CERTIFY)
    # Planned again, visibly: every apply reports it not effective (exit 3), never silently.
    _, again = await apply_verified(env)
    assert again.exit_code == 3 and [p["address"] for p in again.not_effective] == [SALES_CERT]
    assert [w[0] for w in writes(env)] == ["PUT", "PUT"]


# --- alerts ---------------------------------------------------------------------------------


async def test_variant_alerts_no_subscriptions_reads_each_alert_and_converges(env: Env) -> None:
    set_variants(env.app, ["alerts_no_subscriptions"])
    watching = watch(env)
    env.write(
        "alerts.yaml",
        """
        alerts:
          - alert: 358
            subscribers: [{user: dave@example.com}, {group: Finance Analysts}]
          - alert: 359
            subscribers: [{group: Finance Analysts}]
        """,
    )
    plan, report = await apply_verified(env)
    assert [c.address for c in plan.changes] == ["alert.358"]
    [subscribers] = plan.changes[0].diffs
    assert (subscribers.added, subscribers.removed) == (["group:Finance Analysts"], [])
    assert report.exit_code == 0 and report.not_effective == []
    assert ("GET", "/api/social/v4/alerts/358/subscriptions") in watching.seen
    assert ("GET", "/api/social/v4/alerts/359/subscriptions") in watching.seen
    assert (await env.plan()).changes == []
    [(method, route, _)] = writes(env)
    assert (method, route) == ("POST", "/api/social/v4/alerts/{id}/share")
    assert write_log(env.app)[0]["body"]["alertSubscriptions"] == [
        {"subscriberId": 501, "type": "GROUP"}
    ]


async def test_variant_alerts_no_subscriptions_many_alerts_listed_converges(env: Env) -> None:
    set_variants(env.app, ["alerts_no_subscriptions"])
    template = env.state.alerts[358]
    for aid in range(900, 921):  # more than the threshold above which the list is read
        env.state.alerts[aid] = dataclasses.replace(
            template, id=aid, subscriptions=list(template.subscriptions)
        )
    watching = watch(env)
    entries = "".join(
        f"  - {{alert: {aid}, subscribers: [{{user: dave@example.com}}]}}\n"
        for aid in range(900, 921)
    )
    env.write("alerts.yaml", "alerts:\n" + entries)
    plan, report = await apply_verified(env)
    assert plan.changes == [] and report.exit_code == 0
    assert ("GET", "/api/social/v4/alerts") in watching.seen  # the list was read ...
    assert ("GET", "/api/social/v4/alerts/920/subscriptions") in watching.seen  # ... then each
    assert writes(env) == []


@pytest.mark.parametrize("dropped", ["subscriberId", "type"])
async def test_a_subscription_without_its_subscriber_makes_the_subscribers_unreadable(
    env: Env, dropped: str
) -> None:
    def drop(doc: dict[str, Any]) -> dict[str, Any]:
        subs = [{k: v for k, v in s.items() if k != dropped} for s in doc["subscriptions"]]
        return {**doc, "subscriptions": subs}

    watch(env, {"/api/social/v4/alerts/358": drop})
    env.write("alerts.yaml", "alerts:\n  - alert: 358\n    subscribers: []\n")
    with pytest.raises(PlanError) as caught:
        await env.plan()
    text = str(caught.value)
    assert "alert.358" in text and "subscribers" in text and dropped in text
    assert "GET /api/social/v4/alerts/358" in text
    with pytest.raises(PlanError):
        await apply_verified(env)
    assert writes(env) == []  # never an unsubscribe from an unknown


async def test_unreadable_subscribers_are_listed_and_left_alone_when_not_managed(
    env: Env,
) -> None:
    def drop(doc: dict[str, Any]) -> dict[str, Any]:
        return {**doc, "subscriptions": [{"id": 1, "type": "USER"}]}

    watch(env, {"/api/social/v4/alerts/358": drop})
    env.write("alerts.yaml", "alerts:\n  - alert: 358\n")
    plan = await env.plan()
    assert plan.changes == []
    [part] = plan.unreadable
    assert (part.address, part.field) == ("alert.358", "subscribers")
