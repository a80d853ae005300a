"""PDP operations: a dataset's policies listed, created, replaced, deleted; PDP on or off."""

from __future__ import annotations

from typing import Any

from domogov.sim.entities.pdp import OPEN_POLICY, OPERATORS, PdpDataset, PdpFilter, PdpPolicy
from domogov.sim.state import SimError, SimState
from domogov.sim.writelog import note

POLICY_KEYS = frozenset(
    {
        "name", "dataSourceId", "userIds", "groupIds", "virtualUserIds", "dataSourcePermissions",
        "parameters", "filterGroupId", "type",
    }
)  # fmt: skip


def pdp_of(state: SimState, dataset_id: str) -> PdpDataset:
    """The dataset's PDP (404 for an unknown dataset), with Domo's own open policy."""
    state.dataset(dataset_id)
    pdp = state.pdp.get(dataset_id)
    if pdp is None:
        pdp = state.pdp[dataset_id] = PdpDataset(dataset_id)
    if not any(p.open for p in pdp.policies):
        pdp.policies.insert(0, PdpPolicy(next_policy_id(state), OPEN_POLICY, open=True))
    return pdp


def next_policy_id(state: SimState) -> int:
    return state.new_id((p.id for d in state.pdp.values() for p in d.policies), floor=10)


def _ids(state: SimState, body: dict[str, Any], key: str, ptype: str) -> list[int]:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise SimError(400, f"{key} must be an array of ids")
    found = [state.principal(ptype, v, 400).id for v in value]
    return list(dict.fromkeys(found))


def _filters(body: dict[str, Any]) -> list[PdpFilter]:
    raw = body.get("parameters", [])
    if not isinstance(raw, list):
        raise SimError(400, "parameters must be an array")
    out = []
    for p in raw:
        if not isinstance(p, dict) or p.get("type", "COLUMN") != "COLUMN":
            raise SimError(400, "Each parameter needs type COLUMN, name, values and operator")
        name, values = p.get("name"), p.get("values")
        if not isinstance(name, str) or not name or not isinstance(values, list):
            raise SimError(400, "Each parameter needs a column name and a values array")
        operator = p.get("operator", "EQUALS")
        if operator not in OPERATORS:
            raise SimError(400, f"Unknown operator {operator!r}")
        out.append(PdpFilter(name, [str(v) for v in values], operator, p.get("ignoreCase") is True))
    return out


def _policy_from(
    state: SimState, pdp: PdpDataset, body: Any, pid: int, old: PdpPolicy | None
) -> PdpPolicy:
    if not isinstance(body, dict):
        raise SimError(400, "Expected a policy object")
    unknown = sorted(set(body) - POLICY_KEYS)
    if unknown:
        raise SimError(400, f"Unknown policy field {unknown[0]!r}")
    if body.get("dataSourceId", pdp.dataset) != pdp.dataset:
        raise SimError(400, "dataSourceId does not match the dataset of the URL")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SimError(400, "name is required")
    for other in pdp.policies:
        if other.id != pid and other.name.lower() == name.lower():
            raise SimError(409, f"A policy named {name!r} already exists on this dataset")
    if old is not None and old.open and name != old.name:
        raise SimError(400, f"The {OPEN_POLICY} policy cannot be renamed")
    filters = _filters(body)
    if old is not None and old.open and filters:
        raise SimError(400, f"The {OPEN_POLICY} policy has no filters")
    return PdpPolicy(
        pid,
        name,
        _ids(state, body, "userIds", "USER"),
        _ids(state, body, "groupIds", "GROUP"),
        [int(v) for v in body.get("virtualUserIds") or []],
        filters,
        old.open if old is not None else False,
    )


def create_policy(state: SimState, dataset_id: str, body: Any) -> PdpPolicy:
    pdp = pdp_of(state, dataset_id)
    policy = _policy_from(state, pdp, body, next_policy_id(state), None)
    pdp.policies.append(policy)
    note(created=policy.id)
    _record(state, dataset_id, f"created PDP policy '{policy.name}'", "Created PDP policy")
    return policy


def update_policy(state: SimState, dataset_id: str, pid: Any, body: Any) -> PdpPolicy:
    pdp = pdp_of(state, dataset_id)
    old = _policy(pdp, pid)
    if (
        isinstance(body, dict)
        and "filterGroupId" in body
        and str(body["filterGroupId"]) != str(old.id)
    ):
        raise SimError(400, "filterGroupId does not match the policy of the URL")
    new = _policy_from(state, pdp, body, old.id, old)
    pdp.policies[pdp.policies.index(old)] = new
    changed = {k: v for k, v in new.to_doc().items() if old.to_doc().get(k) != v}
    note(updated=[{"policyId": old.id, "changes": changed}])
    _record(state, dataset_id, f"updated PDP policy '{new.name}'", "Updated PDP policy")
    return new


def delete_policy(state: SimState, dataset_id: str, pid: Any) -> None:
    pdp = pdp_of(state, dataset_id)
    policy = _policy(pdp, pid)
    if policy.open:
        raise SimError(400, f"The {OPEN_POLICY} policy cannot be deleted")
    pdp.policies.remove(policy)
    note(deleted=[policy.id])
    _record(state, dataset_id, f"deleted PDP policy '{policy.name}'", "Deleted PDP policy")


def set_enabled(state: SimState, dataset_id: str, body: Any) -> PdpDataset:
    pdp = pdp_of(state, dataset_id)
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise SimError(400, 'Expected {"enabled": true|false, "external": false}')
    if body["enabled"] != pdp.enabled:
        pdp.enabled = body["enabled"]
        note(pdp_enabled=pdp.enabled)
    word = "turned on" if pdp.enabled else "turned off"
    _record(state, dataset_id, f"{word} personalized data permissions", "Changed PDP")
    return pdp


def _policy(pdp: PdpDataset, pid: Any) -> PdpPolicy:
    try:
        policy = pdp.policy(int(pid))
    except (TypeError, ValueError):
        policy = None
    if policy is None:
        raise SimError(404, f"Policy {pid} not found")
    return policy


def _record(state: SimState, dataset_id: str, comment: str, event: str) -> None:
    name = state.datasets[dataset_id].name
    state.record("UPDATED", "DATA_SOURCE", dataset_id, name, f"{comment} of '{name}'.", event)
