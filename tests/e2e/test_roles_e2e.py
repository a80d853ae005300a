"""Roles end to end: create from a template, authorities, users, default_role."""

from __future__ import annotations

import httpx
import pytest
from e2ekit import Env

from domogov.core.changes import Action
from domogov.errors import GuardError, PlanError


def role(env: Env, name: str) -> dict:
    return next(r for r in env.doc()["roles"] if r["name"] == name)


async def test_new_role_from_template_with_users_converges(env: Env) -> None:
    env.write(
        "roles.yaml",
        """
        roles:
          - name: Auditor
            description: Reads the activity log
            from_role: Participant
            authorities: [audit.view, buzz.use]
            users: [grace@example.com]
        """,
    )
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.action == Action.CREATE
    assert [c.method for c in change.calls] == ["POST", "PATCH", "PUT"]
    assert change.calls[0].body["fromRoleId"] == 4
    assert sorted(role(env, "Auditor")["authorities"]) == ["audit.view", "buzz.use"]
    grace = next(u for u in env.doc()["users"] if u["emailAddress"] == "grace@example.com")
    assert grace["roleId"] == role(env, "Auditor")["id"]


async def test_additive_authorities_on_a_new_role_keep_the_template(env: Env) -> None:
    env.write(
        "roles.yaml",
        """
        roles:
          - name: Exporter
            from_role: Participant
            authorities: { mode: additive, items: [dataset.export] }
        """,
    )
    await env.converge()
    assert sorted(role(env, "Exporter")["authorities"]) == [
        "buzz.use",
        "content.export",
        "dataset.export",
    ]


async def test_dropped_user_moves_to_default_role(env: Env) -> None:
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    users: []\n")
    plan, _ = await env.converge()
    [change] = plan.changes
    assert change.diffs[0].removed == ["carol@example.com"]
    carol = next(u for u in env.doc()["users"] if u["emailAddress"] == "carol@example.com")
    assert carol["roleId"] == 4


async def test_dropped_user_without_default_role_is_an_error_naming_them(env: Env) -> None:
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    users: []\n")
    with pytest.raises(PlanError, match=r"carol@example\.com.*default_role"):
        await env.plan()


async def test_user_moving_between_declared_roles_needs_no_default_role(env: Env) -> None:
    env.write(
        "roles.yaml",
        """
        roles:
          - name: Data Steward
            users: []
          - name: Editor
            users: { mode: additive, items: [carol@example.com] }
        """,
    )
    await env.converge()
    carol = next(u for u in env.doc()["users"] if u["emailAddress"] == "carol@example.com")
    assert carol["roleId"] == role(env, "Editor")["id"]


async def test_authorities_replace_the_list(env: Env) -> None:
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    authorities: [dataset.manage]\n")
    plan, _ = await env.converge()
    assert plan.changes[0].calls[0].body == ["dataset.manage"]
    assert role(env, "Data Steward")["authorities"] == ["dataset.manage"]


async def test_self_lockout_is_refused(env: Env) -> None:
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write("roles.yaml", "roles:\n  - name: Admin\n    users: []\n")
    with pytest.raises(GuardError, match="authenticated user"):
        await env.plan()


async def test_ensure_absent_moves_holders_then_deletes(env: Env) -> None:
    env.write("domogov.yaml", "default_role: Participant\n")
    env.write("roles.yaml", "roles:\n  - {name: Data Steward, ensure: absent}\n")
    plan, _ = await env.converge()
    assert [c.method for c in plan.changes[0].calls] == ["PUT", "DELETE"]
    assert all(r["name"] != "Data Steward" for r in env.doc()["roles"])


class NoRoleIds(httpx.AsyncBaseTransport):
    """The simulator, with an authorities catalogue that lacks roleIds (as on some instances)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.role_reads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        path = request.url.path
        if path.startswith("/api/authorization/v1/roles/") and path.endswith("/authorities"):
            self.role_reads += 1
        if path == "/api/authorization/v1/authorities":
            await response.aread()
            rows = [{k: v for k, v in r.items() if k != "roleIds"} for r in response.json()]
            return httpx.Response(response.status_code, json=rows)
        return response


async def test_without_role_ids_in_the_catalogue_each_role_is_read_and_converges(
    env: Env,
) -> None:
    env.transport = NoRoleIds(env.transport)
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    authorities: [dataset.manage]\n")
    plan = await env.plan()
    [change] = plan.changes
    assert change.diffs[0].removed == ["buzz.use", "certification.manage", "dataset.export"]
    assert env.transport.role_reads >= 1  # the fallback read the role's own authorities
    await env.converge()
    assert role(env, "Data Steward")["authorities"] == ["dataset.manage"]
