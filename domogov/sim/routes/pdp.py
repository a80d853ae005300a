"""PDP routes (``/api/query/v1/data-control``): the request forms public clients send.

Nothing here is in Domo's documents. The answers follow what public clients read:
userIds/groupIds/virtualUserIds with ``options=load_associations``, parameters with
``load_filters``, the open policy with ``include_open_policy`` and flagged ``openPolicy``.
By default every list row carries every field; the variants ``pdp_associations_unless_asked``,
``pdp_open_unflagged`` and ``pdp_enabled_absent`` (``domogov/sim/variants.py``) serve the
other forms public clients leave open.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domogov.sim.entities.pdp import PdpPolicy
from domogov.sim.http import empty, ok, read_json, sim, variant
from domogov.sim.ops import pdp as ops


def policy_doc(
    dataset: str, policy: PdpPolicy, *, request: Request | None = None
) -> dict[str, Any]:
    """A filter group as the list shows it."""
    options: set[str] = set()
    lazy = unflagged = False  # every field, as the default form (see the module docstring)
    if request is not None:
        options = {o.strip() for o in request.query_params.get("options", "").split(",")}
        lazy = variant(request, "pdp_associations_unless_asked")
        unflagged = variant(request, "pdp_open_unflagged")
    doc: dict[str, Any] = {"filterGroupId": policy.id, "name": policy.name, "dataSourceId": dataset}
    if not unflagged:
        doc["openPolicy"] = policy.open
    if not lazy or "load_associations" in options:
        doc.update(
            userIds=list(policy.users),
            groupIds=list(policy.groups),
            virtualUserIds=list(policy.virtual_users),
        )
    doc["dataSourcePermissions"] = False
    if not lazy or "load_filters" in options:
        doc["parameters"] = [f.to_api() for f in policy.filters]
    return doc


async def list_policies(request: Request) -> Response:
    dataset = request.path_params["id"]
    pdp = ops.pdp_of(sim(request), dataset)
    options = {o.strip() for o in request.query_params.get("options", "").split(",")}
    policies = [p for p in pdp.policies if not p.open or "include_open_policy" in options]
    return ok([policy_doc(dataset, p, request=request) for p in policies])


async def create_policy(request: Request) -> Response:
    dataset = request.path_params["id"]
    policy = ops.create_policy(sim(request), dataset, await read_json(request))
    return ok(policy_doc(dataset, policy, request=request))


async def update_policy(request: Request) -> Response:
    dataset = request.path_params["id"]
    state = sim(request)
    policy = ops.update_policy(
        state, dataset, request.path_params["policyId"], await read_json(request)
    )
    return ok(policy_doc(dataset, policy, request=request))


async def delete_policy(request: Request) -> Response:
    ops.delete_policy(sim(request), request.path_params["id"], request.path_params["policyId"])
    return empty(204)


async def get_control(request: Request) -> Response:
    pdp = ops.pdp_of(sim(request), request.path_params["id"])
    doc: dict[str, Any] = {"dataSourceId": pdp.dataset, "external": False}
    if not variant(request, "pdp_enabled_absent"):
        doc["enabled"] = pdp.enabled
    return ok(doc)


async def set_control(request: Request) -> Response:
    pdp = ops.set_enabled(sim(request), request.path_params["id"], await read_json(request))
    return ok({"dataSourceId": pdp.dataset, "enabled": pdp.enabled, "external": False})
