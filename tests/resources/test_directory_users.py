"""The users directory on a real instance: emails and roles wherever Domo puts them, users the
list leaves out looked up before they are called unknown, the token user's role from its own
record, and a role nobody can read is unreadable, not empty (issue 13 finding 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_directory_kit import (
    ME,
    ROLES,
    SEARCH,
    USERS,
    Instance,
    config_dir,
    directory,
    state_doc,
)

from domogov.resources.context import LiveContext
from domogov.resources.directory import load_directory
from domogov.sim.routes.users import TRUNCATED_LIST


def _attributes_only(doc: dict[str, Any]) -> dict[str, Any]:
    """Every row as an instance that ignores parts=DETAILED would send it."""
    rows = []
    for user in doc["users"]:
        attrs = [{"key": "emailAddress", "values": [user["emailAddress"]]}]
        attrs.append({"key": "roleId", "values": [user["roleId"]]})
        rows.append({"id": user["id"], "displayName": user["displayName"], "attributes": attrs})
    return {"users": rows}


async def test_attributes_only_rows_give_every_email_and_role() -> None:
    instance = Instance(state_doc(users=12), ["users_attributes_only"])
    ctx = await directory(instance)
    assert len(ctx.users_by_email) == 12
    for user in instance.state.users.values():
        record = ctx.users_by_email[user.email]
        assert (record["id"], record["roleId"]) == (user.id, user.role_id)
    holders = sorted(u["email"] for u in ctx.holders(4))
    assert holders == instance.emails_with_role(4) and holders


async def test_the_users_list_asks_for_the_detailed_parts() -> None:
    instance = Instance(state_doc(users=5))
    await directory(instance)
    [read] = instance.sent("GET", USERS)
    assert "DETAILED" in read.params.get("parts", "").upper().split(",")


async def test_emails_and_roles_inside_attributes_are_read_when_parts_is_ignored() -> None:
    instance = Instance(state_doc(users=12))
    instance.rewrite(USERS, _attributes_only)
    ctx = await directory(instance)
    assert {e: u["roleId"] for e, u in ctx.users_by_email.items()} == {
        u.email: u.role_id for u in instance.state.users.values()
    }


async def test_referenced_users_past_a_truncated_list_are_found_by_one_bulk_search(
    tmp_path: Path,
) -> None:
    instance = Instance(state_doc(users=80), ["users_list_truncated"])
    late = [f"user{n:05d}@example.com" for n in (61, 70, 75, 80)]
    config = config_dir(
        tmp_path,
        f"""
        groups:
          - name: Late Joiners
            members: [{", ".join(late)}]
        """,
    )
    ctx = await directory(instance, config)
    for email in late:
        assert ctx.user_id(email) == instance.state.user_by_email(email).id
    assert ctx.issues == []
    searches = instance.bodies("POST", SEARCH)
    by_email = [b for b in searches if b.get("filters")]
    # One search names them all (a text filter with several emails), not one per email.
    assert len({b["filters"][0]["text"] for b in by_email}) == 1
    assert sorted(by_email[0]["filters"][0]["text"].split()) == late


async def test_a_truncated_list_is_noticed_from_group_members_it_lacks() -> None:
    instance = Instance(state_doc(users=80, groups=8), ["users_list_truncated"])
    members = {m for g in instance.state.groups.values() for m in g.members}
    assert max(members) - 1000 > TRUNCATED_LIST  # some member lies past the cut
    ctx = await directory(instance)
    assert len(ctx.users_by_id) == 80
    for role_id in (1, 3, 4):
        holders = sorted(u["email"] for u in ctx.holders(role_id))
        assert holders == instance.emails_with_role(role_id)


async def test_managed_role_holders_past_a_truncated_list_are_read_from_the_role(
    tmp_path: Path,
) -> None:
    instance = Instance(state_doc(users=80, groups=0), ["users_list_truncated"])
    config = config_dir(
        tmp_path,
        """
        roles:
          - name: Editor
            users: {mode: additive, items: [user00001@example.com]}
        """,
    )
    ctx = await directory(instance, config)
    assert instance.count("GET", f"{ROLES}/3/users") == 1
    assert sorted(u["email"] for u in ctx.holders(3)) == instance.emails_with_role(3)
    # A holder the list left out proves the cut: the search, paged, completes the directory.
    assert len(ctx.users_by_id) == 80
    assert not any(b.get("filters") for b in instance.bodies("POST", SEARCH))


async def test_a_complete_list_costs_no_search(tmp_path: Path) -> None:
    instance = Instance(state_doc(users=30))
    ctx = await directory(instance)
    assert len(ctx.users_by_id) == 30
    assert instance.count("GET", USERS) == 1
    config = config_dir(tmp_path, "roles:\n  - name: Editor\n    users: []\n")
    await directory(instance, config)
    assert instance.count("POST", SEARCH) == 0
    assert instance.count("GET", f"{ROLES}/3/users") == 1  # the managed role's own holders


async def test_an_email_nobody_has_stays_unknown_after_the_search(tmp_path: Path) -> None:
    instance = Instance(state_doc(users=10))
    config = config_dir(
        tmp_path,
        """
        groups:
          - name: Ghosts
            members: [nobody@example.com]
        """,
    )
    ctx = await directory(instance, config)
    assert ctx.user_id("nobody@example.com") is None
    assert "unknown user 'nobody@example.com'" in ctx.issues[-1].message


async def test_the_token_users_role_comes_from_its_own_record() -> None:
    instance = Instance(state_doc(users=10))
    me = instance.state.me
    # The list leaves the token's user out entirely: its role must still be known.
    instance.rewrite(USERS, lambda d: {"users": [u for u in d["users"] if u["id"] != me]})
    ctx = await directory(instance)
    assert ctx.me_id == me
    record = ctx.users_by_id[me]
    assert record["roleId"] == instance.state.users[me].role_id == 1
    assert record["email"] in [u["email"] for u in ctx.holders(1)]
    assert instance.count("GET", ME) == 1


async def test_the_token_users_role_in_its_own_record_wins_over_a_list_without_it() -> None:
    instance = Instance(state_doc(users=10))
    me = instance.state.me

    def drop_my_role(doc: dict[str, Any]) -> dict[str, Any]:
        for user in doc["users"]:
            if user["id"] == me:
                user.pop("roleId")
        return doc

    instance.rewrite(USERS, drop_my_role)
    ctx = await directory(instance)
    assert ctx.users_by_id[me]["roleId"] == 1
    assert not ctx.unreadable_parts


async def test_a_user_whose_role_cannot_be_read_makes_the_other_roles_holders_unreadable(
    tmp_path: Path,
) -> None:
    instance = Instance(state_doc(users=10))

    def drop_a_role(doc: dict[str, Any]) -> dict[str, Any]:
        for user in doc["users"]:
            if user["id"] == 1004:  # an Editor
                user.pop("roleId")
        return doc

    instance.rewrite(USERS, drop_a_role)
    config = config_dir(
        tmp_path,
        """
        roles:
          - name: Participant
            users: [user00002@example.com]
          - name: Editor
        """,
    )
    ctx = await directory(instance, config)
    # Participant's users are managed: read from the role's own list, so known.
    assert not ctx.is_unreadable("role.Participant", "users")
    participant = sorted(u["email"] for u in ctx.holders(4))
    assert participant == instance.emails_with_role(4)
    # Every other role may be held by user 1004: unknown, not "held by nobody else".
    for role in set(ctx.roles_by_name) - {"Participant"}:
        assert ctx.is_unreadable(f"role.{role}", "users"), role
    part = ctx.unreadable_parts[("role.Editor", "users")]
    assert part.endpoint == f"GET {USERS}" and "1004" in part.reason
    assert all(u["id"] != 1004 for r in ctx.roles_by_id if r != 4 for u in ctx.holders(r))
    assert ctx.issues == []


async def test_roles_named_for_a_re_read_get_their_holders_from_their_own_list() -> None:
    """Verify after apply and the stale check have no manifests: they name the roles."""
    instance = Instance(state_doc(users=80, groups=0), ["users_list_truncated"])
    async with instance.client() as client:
        ctx = LiveContext(client=client, project=None, holder_roles={"Editor"})
        await load_directory(ctx)
    assert sorted(u["email"] for u in ctx.holders(3)) == instance.emails_with_role(3)
    assert instance.count("GET", f"{ROLES}/3/users") == 1
