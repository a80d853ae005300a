"""The benchmark scenario (bench/scenario.py), in process: every scale declares the newer kinds
with a known diff, the manifests load, and the minimum and the by-kind attribution know them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from domogov.config.manifest import load_config
from domogov.sim.app import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import scenario as scn  # noqa: E402

NEWER = {
    "users": "user",
    "pdp_policies": "pdp_policy",
    "page_shares": "page_share",
    "file_permissions": "file_permission",
    "workflow_permissions": "workflow_permission",
}
ORIGINAL = (
    "groups",
    "roles",
    "dataset_shares",
    "certifications",
    "alerts",
    "report_schedules",
)


@pytest.fixture(scope="module")
def small() -> scn.Scenario:
    return scn.build("S", 0)


def test_every_scale_declares_the_newer_kinds_with_a_diff() -> None:
    for name in scn.SCALES:
        sc = scn.build(name, 0)
        for section, kind in NEWER.items():
            assert sc.specs[section], (name, section)
            assert 0 < sc.changed[kind] <= len(sc.specs[section]), (name, kind)
        # A fixed share changed, a few joiners created.
        assert sc.created["user"] and all(
            s["email"] in sc.created["user"] for s in sc.specs["users"][-len(sc.created["user"]) :]
        )


def test_users_never_name_the_token_user_nor_a_role_of_an_existing_user(
    small: scn.Scenario,
) -> None:
    me = next(u["emailAddress"].lower() for u in small.state["users"] if u["id"] == scn.ME)
    assert me not in {s["email"] for s in small.specs["users"]}
    roles = [s for s in small.specs["users"] if "role" in s]
    assert {s["email"] for s in roles} == set(small.created["user"])
    assert {s["role"] for s in roles} == {"Participant"}


def test_page_shares_only_make_changes_domo_can_apply(small: scn.Scenario) -> None:
    """Cards only gain principals; a page only loses users, never a group."""
    live = {("page", p["id"]): p for p in small.state["pages"]}
    live |= {("card", c["id"]): c for c in small.state["cards"]}
    names = {g["id"]: g["name"] for g in small.state["groups"]}
    for spec in small.specs["page_shares"]:
        target = "page" if "page" in spec else "card"
        obj = live[(target, spec[target])]
        groups = {g["group"] for g in spec["grants"] if "group" in g}
        assert {names[g] for g in obj["sharedGroups"]} <= groups
        users = {g["user"] for g in spec["grants"] if "user" in g}
        if target == "card":
            emails = {u["id"]: u["emailAddress"].lower() for u in small.state["users"]}
            assert {emails[u] for u in obj["sharedUsers"]} <= users


def test_the_manifests_load(small: scn.Scenario, tmp_path: Path) -> None:
    scn.write_manifests(small.specs, tmp_path, None)
    config = load_config(tmp_path)
    for section in (*ORIGINAL, *NEWER):
        assert len(getattr(config, section)) == len(small.specs[section]), section


def test_the_minimum_has_a_row_per_newer_kind(small: scn.Scenario) -> None:
    before = scn.counts(small, applied=False)
    after = scn.counts(small, applied=True)
    joiners = len(small.created["user"])
    assert after.existing_users - before.existing_users == joiners
    minimum = scn.minimum_requests(small.specs, before, grouplist_page=100, schedule_page=200)
    assert set(NEWER.values()) <= set(minimum)
    assert minimum["user"]["minimum"] == 0  # the directory's users list carries them
    assert minimum["pdp_policy"]["minimum"] == 2 * len(small.specs["pdp_policies"])
    assert minimum["page_share"]["minimum"] == len(small.specs["page_shares"])
    assert minimum["file_permission"]["minimum"] == len(small.specs["file_permissions"])
    assert minimum["workflow_permission"]["minimum"] == len(small.specs["workflow_permissions"])
    subset = scn.subset_counts(after, small.specs, 3)
    assert subset.existing_users == 3
    assert all(row["how"] for row in minimum.values())


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("/api/identity/v1/users/", "user"),
        ("/api/query/v1/data-control", "pdp_policy"),
        ("/api/content/v1/share", "page_share"),
        ("/api/data/v1/data-files", "file_permission"),
        ("/api/workflow/v1/models", "workflow_permission"),
    ],
)
def test_every_endpoint_of_a_newer_kind_is_attributed(prefix: str, kind: str) -> None:
    endpoints = [f"{e.method} {e.path}" for e in ENDPOINTS if e.path.startswith(prefix)]
    assert endpoints
    assert {scn.kind_of(e) for e in endpoints} == {kind}


def test_the_users_list_is_the_directorys_once_and_the_users_kinds_after() -> None:
    assert scn.kind_of("POST /api/identity/v1/users") == "user"  # a joiner
    requests, writes = scn.by_kind(
        {
            "GET /api/identity/v1/users": 2,
            "POST /api/identity/v1/users/search": 3,
            "PATCH /api/identity/v1/users/{id}": 4,
        }
    )
    assert requests == {"directory": 1, "user": 8}
    assert writes == {"user": 4}  # the search only reads
    assert not scn.is_write("POST /api/identity/v1/users/search")
    assert scn.is_write("POST /api/identity/v1/users")
