"""Verify after apply: what a re-read must show for a change to count as effective."""

from __future__ import annotations

from typing import Any

from domogov.core.applier import ApplyReport, Outcome
from domogov.core.changes import Action, Change, FieldDiff, Plan, Unreadable
from domogov.core.render import plan_lines, render_markdown, report_lines
from domogov.verify import compare


def change(action: Action, before: Any, after: Any, diffs: list[FieldDiff]) -> Change:
    return Change(
        address="group.G",
        kind="group",
        action=action,
        key={"name": "G"},
        before=before,
        after=after,
        diffs=diffs,
        calls=[],
    )


def members(added: list[str], removed: list[str]) -> FieldDiff:
    return FieldDiff("members", added=added, removed=removed, collection=True)


def test_an_added_member_missing_from_the_reread_is_not_effective() -> None:
    c = change(Action.UPDATE, {"members": []}, {"members": ["a@x.io"]}, [members(["a@x.io"], [])])
    [problem] = compare(c, {"members": []})
    assert (
        problem.text == "not effective: group.G: members: expected + a@x.io, Domo shows it absent"
    )


def test_a_removed_member_still_there_is_not_effective() -> None:
    c = change(Action.UPDATE, {"members": ["a@x.io"]}, {"members": []}, [members([], ["a@x.io"])])
    [problem] = compare(c, {"members": ["a@x.io"]})
    assert (problem.field, problem.expected, problem.shown) == (
        "members",
        "- a@x.io",
        "it still there",
    )


def test_a_change_the_reread_shows_is_effective() -> None:
    diffs = [members(["a@x.io"], ["b@x.io"]), FieldDiff("description", old="x", new="y")]
    c = change(Action.UPDATE, {}, {}, diffs)
    assert compare(c, {"members": ["a@x.io", "c@x.io"], "description": "y"}) == []


def test_a_scalar_left_as_it_was_is_not_effective() -> None:
    c = change(Action.UPDATE, {}, {}, [FieldDiff("description", old="x", new="y")])
    [problem] = compare(c, {"description": "x"})
    assert (problem.expected, problem.shown) == ("y", "x")


def test_a_deleted_object_still_present_and_a_created_one_absent() -> None:
    deleted = change(Action.DELETE, {"members": []}, None, [])
    assert [p.field for p in compare(deleted, {"members": []})] == ["(object)"]
    assert compare(deleted, None) == []
    created = change(Action.CREATE, None, {"members": []}, [])
    assert [p.expected for p in compare(created, None)] == ["present"]


def test_not_effective_changes_make_apply_exit_3_and_are_reported() -> None:
    report = ApplyReport(outcomes=[Outcome("group.G", "done", calls=1)])
    assert report.exit_code == 0
    report.verify_reads = 4
    report.not_effective = [{"text": "not effective: group.G: members: expected + a"}]
    assert report.exit_code == 3
    text = [t for t, _ in report_lines(report)]
    assert "not effective: group.G: members: expected + a" in text
    assert text[-1].endswith(
        "Verified: 1 not effective. Run `domogov plan` to see what is left, then apply again."
    )
    assert report.to_json()["verify"] == {"reads": 4, "not_effective": report.not_effective}


def test_unreadable_parts_are_listed_in_every_view_and_round_trip() -> None:
    part = Unreadable(
        "report_schedule.Weekly",
        "recipients",
        "GET /api/content/v1/reportschedules/7",
        "has no additionalRecipients",
    )
    plan = Plan(instance="t", changes=[], unreadable=[part])
    expected = (
        "unreadable: report_schedule.Weekly: GET /api/content/v1/reportschedules/7 has no "
        "additionalRecipients"
    )
    assert expected in [t for t, _ in plan_lines(plan)]
    assert expected in render_markdown(plan)
    doc = plan.to_json()
    assert doc["unreadable"] == [part.to_json()]
    assert Plan.from_json(doc).unreadable == [part]
