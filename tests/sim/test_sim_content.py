"""Content permissions contract: page and card access lists, sharing, revoking a page user,
file permissions (read, replace), workflow models and their permissions (read, write)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from simhelpers import assert_error, call
from starlette.applications import Starlette

from domogov.sim import SimState, load_state_file, set_variants, write_log
from domogov.sim.cli import sim as sim_cli

SHARE = "/api/content/v1/share"
ACCESS = f"{SHARE}/accesslist"
FILES = "/api/data/v1/data-files"
FLOWS = "/api/workflow/v1/models"
FLOW = "7a1c0de2-5b7e-4c1a-9f3d-2e6b8c0a1d44"


def share_body(rtype: str, rid: int, *recipients: tuple[str, int]) -> dict[str, object]:
    return {
        "resources": [{"type": rtype, "id": str(rid)}],
        "recipients": [{"type": t, "id": str(i)} for t, i in recipients],
        "message": "",
    }


# --- page and card access lists -------------------------------------------------------------


async def test_page_access_list_has_the_owner_first_then_users_and_groups(
    client: httpx.AsyncClient,
) -> None:
    doc = await call(client, "GET", f"{ACCESS}/page/345678?expandUsers=false")
    assert [(u["id"], u["isOwner"]) for u in doc["users"]] == [(1001, True), (1004, False)]
    assert set(doc["users"][0]) == {"id", "displayName", "emailAddress", "isOwner"}
    assert doc["users"][1]["emailAddress"] == "dave@example.com"
    assert doc["groups"] == [{"id": 502, "name": "Sales Team", "userCount": 2}]
    assert doc["totalUserCount"] == 2


async def test_expand_users_lists_each_groups_members(client: httpx.AsyncClient) -> None:
    doc = await call(client, "GET", f"{ACCESS}/page/345678?expandUsers=true")
    assert [u["id"] for u in doc["groups"][0]["users"]] == [1004, 1008]


async def test_card_access_list_and_unknown_objects(client: httpx.AsyncClient) -> None:
    doc = await call(client, "GET", f"{ACCESS}/card/1234567")
    assert doc == {"users": [], "groups": [], "totalUserCount": 0}
    assert_error(await call(client, "GET", f"{ACCESS}/card/1", status=404), 404)
    assert_error(await call(client, "GET", f"{ACCESS}/page/1", status=404), 404)


async def test_access_list_variant_has_no_groups_key(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    set_variants(app, ["content_accesslist_users_only"])
    doc = await call(client, "GET", f"{ACCESS}/page/345678")
    assert "groups" not in doc and [u["id"] for u in doc["users"]] == [1001, 1004]


# --- sharing and revoking --------------------------------------------------------------------


async def test_share_adds_recipients_and_logs_only_what_was_new(
    client: httpx.AsyncClient, app: Starlette, state: SimState
) -> None:
    body = share_body("page", 345678, ("user", 1002), ("user", 1004), ("group", 501))
    assert await call(client, "POST", f"{SHARE}?sendEmail=false", body) is None
    assert state.pages[345678].shares.users == [1004, 1002]
    assert state.pages[345678].shares.groups == [502, 501]
    [entry] = write_log(app)
    assert entry["query"] == "sendEmail=false"
    added = [{"type": "USER", "id": 1002}, {"type": "GROUP", "id": 501}]
    assert entry["effect"] == {"shared": [{"type": "page", "id": 345678, "recipients": added}]}
    assert state.audit[-1]["actionType"] == "SHARED"


async def test_sharing_with_the_owner_or_again_changes_nothing(
    client: httpx.AsyncClient, app: Starlette, state: SimState
) -> None:
    await call(client, "POST", SHARE, share_body("page", 345678, ("user", 1001), ("user", 1004)))
    assert state.pages[345678].shares.users == [1004]
    assert write_log(app)[0]["effect"] == {}


async def test_share_a_card(client: httpx.AsyncClient, state: SimState) -> None:
    await call(client, "POST", SHARE, share_body("card", 1234567, ("group", 501)))
    assert state.cards[1234567].shares.groups == [501]


async def test_card_share_ignored_variant_answers_200_and_shares_nothing(
    client: httpx.AsyncClient, app: Starlette, state: SimState
) -> None:
    set_variants(app, ["content_card_share_ignored"])
    await call(client, "POST", SHARE, share_body("card", 1234567, ("group", 501)))
    assert state.cards[1234567].shares.groups == []
    assert write_log(app)[0]["effect"] == {} and write_log(app)[0]["status"] == 200


@pytest.mark.parametrize(
    ("body", "contains"),
    [
        ({"recipients": [{"type": "user", "id": "1002"}]}, "resources"),
        ({"resources": [{"type": "page", "id": "345678"}], "recipients": []}, "recipients"),
        (share_body("dataset", 1, ("user", 1002)), "page or card"),
        (share_body("page", 1, ("user", 1002)), ""),
        (share_body("page", 345678, ("role", 1)), "recipient"),
        (share_body("page", 345678, ("user", 9999)), ""),
    ],
)
async def test_a_bad_share_is_refused_whole(
    client: httpx.AsyncClient,
    app: Starlette,
    state: SimState,
    body: dict[str, object],
    contains: str,
) -> None:
    before = (list(state.pages[345678].shares.users), list(state.pages[345678].shares.groups))
    assert_error(await call(client, "POST", SHARE, body, status=400), 400, contains)
    after = (state.pages[345678].shares.users, state.pages[345678].shares.groups)
    assert after == before
    assert write_log(app)[0]["effect"] == {}


async def test_revoke_a_page_user(
    client: httpx.AsyncClient, app: Starlette, state: SimState
) -> None:
    assert await call(client, "DELETE", f"{SHARE}/page/345678/user/1004") is None
    assert state.pages[345678].shares.users == []
    revoked = [{"type": "page", "id": 345678, "user": 1004}]
    assert write_log(app)[0]["effect"] == {"revoked": revoked}
    # Revoking a user who holds no share is answered 200 and changes nothing.
    await call(client, "DELETE", f"{SHARE}/page/345678/user/1004")
    assert write_log(app)[1]["effect"] == {}
    assert_error(await call(client, "DELETE", f"{SHARE}/page/1/user/1004", status=404), 404)
    assert_error(await call(client, "DELETE", f"{SHARE}/page/345678/user/9999", status=404), 404)


# --- files -----------------------------------------------------------------------------------


async def test_file_list_details_and_permissions(client: httpx.AsyncClient) -> None:
    [row] = await call(client, "GET", f"{FILES}/details")
    assert row["dataFileId"] == 4711 and row["name"] == "Board Pack.pdf"
    assert await call(client, "GET", f"{FILES}/details?dataFileIds=1,2") == []
    assert (await call(client, "GET", f"{FILES}/4711/details"))["responsibleUserId"] == 1001
    perms = await call(client, "GET", f"{FILES}/4711/permissions")
    assert perms["publicAccess"] is False
    assert perms["entries"][1] == {
        "entityType": "GROUP",
        "entityId": "501",
        "grant": "READ",
        "pass": "NONE",
    }
    assert_error(await call(client, "GET", f"{FILES}/1/permissions", status=404), 404)


async def test_file_permissions_put_replaces_the_whole_list(
    client: httpx.AsyncClient, app: Starlette, state: SimState
) -> None:
    body = {
        "publicAccess": True,
        "entries": [{"entityType": "USER", "entityId": "1002", "grant": "READ_WRITE"}],
    }
    assert await call(client, "PUT", f"{FILES}/4711/permissions", body) is None
    perms = await call(client, "GET", f"{FILES}/4711/permissions")
    assert perms == {
        "publicAccess": True,
        "entries": [
            {"entityType": "USER", "entityId": "1002", "grant": "READ_WRITE", "pass": "NONE"}
        ],
    }
    assert write_log(app)[0]["effect"] == {
        "granted": [{"type": "USER", "id": 1002, "grant": "READ_WRITE"}],
        "revoked": [{"type": "USER", "id": 1001}, {"type": "GROUP", "id": 501}],
        "public": True,
    }
    assert state.audit[-1]["objectType"] == "DATA_FILE"


@pytest.mark.parametrize(
    ("body", "contains"),
    [
        ({"publicAccess": False}, "entries"),
        ({"publicAccess": "yes", "entries": []}, "publicAccess"),
        ({"entries": [{"entityType": "USER", "entityId": "1002", "grant": "ALL"}]}, "grant"),
        ({"entries": [{"entityType": "USER", "entityId": "9999", "grant": "READ"}]}, ""),
        ({"entries": ["USER 1002"]}, "entry"),
    ],
)
async def test_a_bad_file_permissions_body_is_refused_whole(
    client: httpx.AsyncClient, state: SimState, body: dict[str, object], contains: str
) -> None:
    before = [e.to_doc() for e in state.files[4711].entries]
    assert_error(await call(client, "PUT", f"{FILES}/4711/permissions", body, 400), 400, contains)
    assert [e.to_doc() for e in state.files[4711].entries] == before
    assert state.files[4711].public is False


# --- workflows -------------------------------------------------------------------------------


async def test_workflow_list_and_permissions_read(client: httpx.AsyncClient) -> None:
    flows = await call(client, "GET", FLOWS)
    assert flows == [{"id": FLOW, "name": "Close Books", "owner": "1001"}]
    assert await call(client, "GET", f"{FLOWS}?offset=1") == []
    rows = await call(client, "GET", f"{FLOWS}/{FLOW}/permissions")
    assert rows[1] == {
        "id": "501",
        "type": "GROUP",
        "name": "Finance Analysts",
        "permissions": ["EXECUTE", "READ"],
    }
    assert_error(await call(client, "GET", f"{FLOWS}/nope/permissions", status=404), 404)


async def test_workflow_permissions_post_replaces_and_answers_the_list(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    body = [{"id": "502", "type": "GROUP", "name": "Sales Team", "permissions": ["READ"]}]
    rows = await call(client, "POST", f"{FLOWS}/{FLOW}/permissions", body)
    assert rows == [{"id": "502", "type": "GROUP", "name": "Sales Team", "permissions": ["READ"]}]
    assert write_log(app)[0]["effect"] == {
        "granted": [{"type": "GROUP", "id": 502, "permissions": ["READ"]}],
        "revoked": [{"type": "USER", "id": 1001}, {"type": "GROUP", "id": 501}],
    }


async def test_workflow_permissions_merge_variant_keeps_left_out_entries(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    set_variants(app, ["workflow_permissions_merge"])
    body = [{"id": "502", "type": "GROUP", "name": "Sales Team", "permissions": ["READ"]}]
    rows = await call(client, "POST", f"{FLOWS}/{FLOW}/permissions", body)
    assert [(r["type"], r["id"]) for r in rows] == [
        ("USER", "1001"),
        ("GROUP", "501"),
        ("GROUP", "502"),
    ]
    assert "revoked" not in write_log(app)[0]["effect"]


@pytest.mark.parametrize(
    ("body", "contains"),
    [
        ({"id": "502"}, "Expected"),
        ([{"id": "502", "type": "GROUP"}], "permissions"),
        ([{"id": "502", "type": "GROUP", "permissions": ["FLY"]}], "Invalid permission"),
        ([{"id": "9999", "type": "USER", "permissions": ["READ"]}], ""),
    ],
)
async def test_a_bad_workflow_permissions_body_is_refused_whole(
    client: httpx.AsyncClient, state: SimState, body: object, contains: str
) -> None:
    before = list(state.workflows[FLOW].permissions)
    path = f"{FLOWS}/{FLOW}/permissions"
    assert_error(await call(client, "POST", path, body, status=400), 400, contains)
    assert state.workflows[FLOW].permissions == before


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{ACCESS}/page/345678"),
        ("GET", f"{ACCESS}/card/1234567"),
        ("POST", SHARE),
        ("DELETE", f"{SHARE}/page/345678/user/1004"),
        ("GET", f"{FILES}/details"),
        ("GET", f"{FILES}/4711/permissions"),
        ("PUT", f"{FILES}/4711/permissions"),
        ("GET", FLOWS),
        ("GET", f"{FLOWS}/{FLOW}/permissions"),
        ("POST", f"{FLOWS}/{FLOW}/permissions"),
    ],
)
async def test_every_content_route_needs_the_token(
    anon: httpx.AsyncClient, state: SimState, method: str, path: str
) -> None:
    before = state.to_document()
    body = {} if method in ("POST", "PUT") else None
    assert_error(await call(anon, method, path, body, status=401), 401)
    assert state.to_document() == before


# --- generated instances ---------------------------------------------------------------------


def test_generate_writes_pages_cards_files_and_workflows(tmp_path: Path) -> None:
    out = tmp_path / "state.json"
    args = ["generate", "--users", "30", "--groups", "4", "--datasets", "3", "--cards", "7"]
    args += ["--pages", "5", "--files", "6", "--workflows", "2", "--out", str(out)]
    result = CliRunner().invoke(sim_cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    state = load_state_file(out)
    assert (len(state.pages), len(state.cards), len(state.files), len(state.workflows)) == (
        5,
        7,
        6,
        2,
    )
    for obj in [*state.pages.values(), *state.cards.values()]:
        assert obj.shares.owner in state.users
        assert obj.shares.owner not in obj.shares.users  # the owner is never a share
    assert all(f.entries[0].entity_id == f.owner for f in state.files.values())
