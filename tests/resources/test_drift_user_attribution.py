"""Drift attribution for users on hand-written activity rows: the forms the simulator does not
write (a comment naming the user by display name only, no actionType), and the near misses
that must never name an actor (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from domogov.core.changes import Action, Change, FieldDiff, Plan
from domogov.drift import DriftEntry, attribute
from domogov.resources.group import KIND as GROUP
from domogov.resources.user import KIND as USER

NINA = {"email": "nina@example.com", "display_name": "Nina New", "role": "Participant"}
T0 = 1_760_000_000_000


def missing(email: str = "nina@example.com", name: str = "Nina New") -> Change:
    """A declared user missing in Domo: the plan creates them (no live id)."""
    after = {"email": email, "display_name": name, "role": "Participant", "title": "Analyst"}
    return Change(f"user.{email}", "user", Action.CREATE, {"email": email}, None, after)


def row(comment: str, *, at: int = 0, action: str | None = "DELETED", **extra: Any) -> dict:
    """A row in the documented form (no objectId, no objectName) unless ``extra`` adds them."""
    actor = extra.pop("userName", "Heidi Ops")
    doc = {
        "userName": actor,
        "userId": "1008",
        "objectType": "USER",
        "additionalComment": f"{actor} {comment}",
        "time": T0 + at,
        **extra,
    }
    if action is not None:
        doc["actionType"] = action
    return doc


def attribute_one(change: Change, rows: list[dict[str, Any]]) -> DriftEntry:
    [entry] = attribute(Plan("test", [change]), rows)
    return entry


def test_user_names_are_email_and_display_name_not_title() -> None:
    assert USER.activity_names(missing()) == ["nina@example.com", "Nina New"]
    assert USER.activity_keys(missing()) == [("USER", "")]
    # Other kinds keep their name (or title) as before.
    group = Change("group.Sales", "group", Action.UPDATE, {}, {"id": 9, "name": "Sales"}, None)
    assert GROUP.activity_names(group) == ["Sales"]


@pytest.mark.parametrize(
    "comment",
    ["deleted nina@example.com.", "deleted user 'Nina New'.", "deleted NINA@EXAMPLE.COM"],
)
def test_a_deletion_naming_the_user_either_way_is_attributed(comment: str) -> None:
    entry = attribute_one(missing(), [row(comment)])
    assert entry.actor == "Heidi Ops", entry.text


def test_an_object_name_alone_names_the_user() -> None:
    rows = [row("deleted a user.", objectId="1042", objectName="nina@example.com")]
    assert attribute_one(missing(), rows).actor == "Heidi Ops"


def test_a_row_without_action_type_may_still_explain_a_deletion() -> None:
    assert attribute_one(missing(), [row("removed nina@example.com.", action=None)]).actor


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([row("updated the title of user Analyst Team.", action="UPDATED")], "job title word"),
        ([row("deleted hal.nina@example.com.")], "email inside a longer email"),
        ([row("deleted nina@example.com.au.")], "email inside a longer domain"),
        ([row("deleted user 'Nina Newman'.")], "display name inside a longer name"),
        ([row("updated the title of user nina@example.com.", action="UPDATED")], "an edit"),
        ([row("viewed the profile of nina@example.com.", action="VIEWED")], "a view"),
        ([row("deleted bob@example.com.", userName="Nina New")], "Nina acting"),
        ([row("deleted a user.", objectId="1042", objectName="Analyst")], "title as name"),
        ([row("deleted user 'Nina New'.", objectType="GROUP")], "another type"),
    ],
)
def test_rows_not_about_the_deletion_name_nobody(rows: list[dict[str, Any]], why: str) -> None:
    entry = attribute_one(missing(), rows)
    assert entry.actor is None, (why, entry.text)


def test_the_deletion_wins_over_newer_rows_about_the_user_or_by_them() -> None:
    rows = [
        row("deleted nina@example.com.", at=1),
        row("updated department of user nina@example.com.", at=2, action="UPDATED"),
        row("viewed nina@example.com.", at=3, action="VIEWED", userName="Frank Finance"),
        row("deleted bob@example.com.", at=4, userName="Frank Finance"),
    ]
    assert attribute_one(missing(), rows).actor == "Heidi Ops"


def test_a_pruned_user_names_the_creator_not_the_last_editor() -> None:
    live = {"id": 1042, **NINA}
    change = Change("user.nina@example.com", "user", Action.DELETE, {}, live, None)
    change.notes.append("pruned: undeclared and in the prune scope")
    rows = [
        row("added nina@example.com.", at=1, action="CREATED", objectId="1042"),
        row("updated title of user nina@example.com.", at=2, action="UPDATED", objectId="1042",
            userName="Frank Finance"),
    ]  # fmt: skip
    entry = attribute_one(change, rows)
    assert entry.detail == "exists in Domo but is not declared (created outside domogov)"
    assert entry.actor == "Heidi Ops", entry.text
    # Without the creation row in the window, nobody (not the editor).
    assert attribute_one(change, rows[1:]).actor is None


def test_a_scalar_detail_prefers_the_row_naming_its_field() -> None:
    live = {"id": 1003, "email": "carol@example.com", "display_name": "Carol", "title": "Boss"}
    change = Change(
        "user.carol@example.com", "user", Action.UPDATE, {}, live, {**live, "title": "Steward"},
        diffs=[FieldDiff("title", "Boss", "Steward")],
    )  # fmt: skip
    rows = [
        row("updated title of user carol@example.com.", at=1, action="UPDATED"),
        row("updated department of user carol@example.com.", at=2, action="UPDATED",
            userName="Frank Finance"),
    ]  # fmt: skip
    assert attribute_one(change, rows).actor == "Heidi Ops"
