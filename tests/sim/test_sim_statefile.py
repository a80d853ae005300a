"""State files: the documented format, round trips, integrity errors, save and autosave."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from simhelpers import TOKEN_HEADER, call

from domogov.sim import SimState, SimTransport, create_app, load_state_file, save_state_file
from domogov.sim.entities import StateFileError
from domogov.sim.state import demo_document

BRIEF_EXAMPLE = """
token: domogov-sim
me: 1001
users: [{id: 1001, displayName: Ada Admin, emailAddress: ada@example.com, roleId: 1, title: ""},
        {id: 1002, displayName: Bob, emailAddress: bob@example.com, roleId: 1}]
roles: [{id: 1, name: Admin, description: "...", authorities: ["dataset.manage"],
         created: 1550093701000, modified: 1550093701000}]
authorities: [{authority: dataset.manage, title: Manage DataSets, description: "...",
               authorityUIGroup: DATA}]
groups: [{id: 501, name: Finance Analysts, type: closed, description: "", members: [1001],
          owners: [1001], active: true, creatorId: 1001, created: "2023-06-08 20:59:05.0"}]
datasets: [{id: 58b3775b-ab03-4f54-9052-a3c5f7cbf426, name: Sales Pipeline, owner: 1001,
            permissions: [{type: USER, id: 1002, accessLevel: CAN_VIEW},
                          {type: GROUP, id: 501, accessLevel: CAN_EDIT}]}]
cards: [{id: 1234567, title: Revenue by Region}]
certifications: [{entityType: DATA_SOURCE, entityId: 58b3775b-ab03-4f54-9052-a3c5f7cbf426,
                  state: ACTIVE}]
alerts: [{id: 358, name: x, type: ANY_ROW, resourceType: DATASET,
          resourceId: 58b3775b-ab03-4f54-9052-a3c5f7cbf426, owner: 1001,
          createdAt: "2024-12-12 23:37:32", subscriptions: [{subscriberId: 1002, type: USER}]}]
pages: [{id: 345678, title: Sales}]
report_schedules: [{id: 123456, title: W, pageId: 345678, viewId: 789012, ownerId: 1001,
  attachmentInclude: true, schedule: {frequency: WEEKLY, daysToRun: "MON", hourOfDay: 8,
  minOfHour: 0, timezone: America/New_York, enabled: true,
  additionalRecipients: [{type: USER, value: "1002"}, {type: GROUP, value: "501"},
                         {type: EMAIL, value: "cfo@example.com"}]}}]
audit: []
"""


def test_the_documented_example_loads(tmp_path: Path):
    path = tmp_path / "state.yaml"
    path.write_text(BRIEF_EXAMPLE)
    state = load_state_file(path)
    assert state.datasets["58b3775b-ab03-4f54-9052-a3c5f7cbf426"].permissions[1].id == 501
    assert state.alerts[358].subscriptions[0].id == 1  # ids are allocated when absent


@pytest.mark.parametrize("name", ["state.yaml", "state.json"])
def test_save_and_load_round_trip(tmp_path: Path, state: SimState, name: str):
    path = tmp_path / name
    save_state_file(state, path)
    again = load_state_file(path)
    assert again.to_document() == state.to_document()
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left behind
    if name.endswith(".json"):
        assert json.loads(path.read_text())["me"] == 1001


def _doc_with(**changes: object) -> dict:
    doc = demo_document()
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["users"][0].update(shoeSize=9), "shoeSize"),
        (lambda d: d["groups"][0]["members"].append(4242), "4242"),
        (lambda d: d["users"][1].update(roleId=99), "role 99"),
        (lambda d: d["datasets"][0]["permissions"].append(
            {"type": "GROUP", "id": 9, "accessLevel": "CAN_VIEW"}), "GROUP 9"),
        (lambda d: d["users"][1].update(emailAddress="ADA@example.com"), "e-mail"),
        (lambda d: d["roles"][0]["authorities"].append("nope.nope"), "nope.nope"),
        (lambda d: d["alerts"][0]["subscriptions"].append(
            {"subscriberId": 5, "type": "USER"}), "USER 5"),
        (lambda d: d["report_schedules"][0]["schedule"].update(daysToRun="XYZ"), "daysToRun"),
        (lambda d: d.update(me=5), "me"),
        (lambda d: d.update(me="ada"), "me"),
        (lambda d: d["groups"][0].update(members=["x"]), "members"),
    ],
)  # fmt: skip
def test_bad_documents_are_refused_with_a_reason(mutate, needle: str):
    doc = demo_document()
    mutate(doc)
    with pytest.raises(StateFileError, match=needle):
        SimState.from_document(doc)


def test_load_error_names_the_file(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_doc_with(users=[])))
    with pytest.raises(StateFileError, match=r"bad\.json"):
        load_state_file(path)


async def test_save_state_and_replace_state_endpoints(tmp_path: Path, state: SimState):
    path = tmp_path / "saved.yaml"
    app = create_app(state, state_file=path)
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as client:
        await call(client, "PUT", "/api/content/v2/groups/501/user/1004")
        assert await call(client, "POST", "/_sim/save") == {"saved": str(path)}
        assert 1004 in load_state_file(path).groups[501].members
        doc = await call(client, "GET", "/_sim/state")
        assert doc == state.to_document()
        doc["groups"] = [g for g in doc["groups"] if g["id"] != 503]
        await call(client, "POST", "/_sim/state", doc)
        assert 503 not in state.groups and app.state.sim is state
        await call(client, "POST", "/_sim/state", {"users": "nope"}, status=400)


async def test_save_without_a_state_file_is_refused(client: httpx.AsyncClient):
    body = await call(client, "POST", "/_sim/save", status=400)
    assert body["status"] == 400 and body["message"]


async def test_autosave_writes_after_every_successful_write(tmp_path: Path, state: SimState):
    path = tmp_path / "auto.json"
    app = create_app(state, state_file=path, autosave=True)
    async with httpx.AsyncClient(
        transport=SimTransport(app), base_url="http://sim", headers=TOKEN_HEADER
    ) as client:
        await call(client, "GET", "/api/content/v2/groups/grouplist")
        assert not path.exists()  # reads do not save
        await call(client, "POST", "/api/content/v2/groups", {"name": "Auto", "type": "open"})
        saved = load_state_file(path)
        assert any(g.name == "Auto" for g in saved.groups.values())
        assert saved.audit[-1]["actionType"] == "CREATED"
