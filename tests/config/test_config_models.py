"""The models on their own: normalisation, defaults, and messages for bad values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domogov.config import ProjectSpec, address
from domogov.resources.alert import AlertSpec, Subscriber
from domogov.resources.certification import CertificationSpec
from domogov.resources.dataset_share import DatasetShareSpec, Grant
from domogov.resources.group import GroupSpec
from domogov.resources.report_schedule import Recipient, ReportScheduleSpec
from domogov.resources.role import RoleSpec
from domogov.spec.schedule import Schedule
from domogov.spec.types import (
    AccessLevel,
    Collection,
    CollectionMode,
    EmailCollection,
    Weekday,
    normalise_email,
)

UUID = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"
WEEKLY = {"frequency": "WEEKLY", "days": ["MON"], "at": "08:00", "timezone": "UTC"}


def message(model, data) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["msg"]


def test_email_is_lower_cased():
    assert normalise_email("Alice.Nguyen@ACME.Example") == "alice.nguyen@acme.example"


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("", "it is empty"),
        ("alice @acme.example", "it contains a space"),
        ("alice", "it needs exactly one '@'"),
        ("a@b@acme.example", "it needs exactly one '@'"),
        ("alice@localhost", "the domain needs a dot"),
        (".alice@acme.example", "the part before '@' is not valid"),
        ("al..ice@acme.example", "the part before '@' is not valid"),
        ("alicé@acme.example", "the part before '@' is not valid"),
        ("alice@-acme.example", "the domain is not valid"),
        ("alice@acme.e", "the domain is not valid"),
        ("alice@acme..example", "the domain is not valid"),
    ],
)
def test_invalid_emails_say_why(email, reason):
    data = {"name": "G", "members": [email]}
    assert message(GroupSpec, data) == f"invalid email {email!r}: {reason}"


def test_email_must_be_a_string():
    assert message(GroupSpec, {"name": "G", "members": [42]}) == (
        "expected an email address, got an integer"
    )


def test_short_and_long_collection_forms_are_one_model():
    short = GroupSpec.model_validate({"name": "G", "members": ["B@x.io", "a@x.io", "b@x.io"]})
    long = GroupSpec.model_validate(
        {"name": "G", "members": {"mode": "authoritative", "items": ["b@x.io", "a@x.io"]}}
    )
    assert short == long
    assert short.members.items == ("b@x.io", "a@x.io")  # de-duplicated, order kept
    assert short.members.authoritative and not short.members.additive
    assert isinstance(short.members, Collection)


def test_omitted_collection_is_unmanaged_and_empty_list_is_authoritative():
    group = GroupSpec.model_validate({"name": "G", "owners": ["o@x.io"], "members": []})
    assert group.members == EmailCollection(mode=CollectionMode.AUTHORITATIVE, items=())
    assert GroupSpec.model_validate({"name": "G"}).members is None


def test_additive_mode():
    group = GroupSpec.model_validate({"name": "G", "members": {"mode": "additive", "items": []}})
    assert group.members.additive


@pytest.mark.parametrize(
    ("value", "msg"),
    [
        ("alice@x.io", "expected a list, or a mapping with 'mode' and 'items', got a string"),
        ({"mode": "additive"}, "missing required key 'items'"),
        (
            {"mode": "add", "items": []},
            "unknown collection mode 'add'; valid: authoritative, additive",
        ),
        ({"items": "a@x.io"}, "expected a list, got a string"),
    ],
)
def test_bad_collections(value, msg):
    with pytest.raises(ValidationError) as info:
        GroupSpec.model_validate({"name": "G", "members": value})
    found = [
        e["msg"] if e["type"] != "missing" else "missing required key 'items'"
        for e in info.value.errors()
    ]
    assert found == [msg]


def test_scalars_not_given_are_unmanaged():
    group = GroupSpec.model_validate({"name": "G"})
    assert (group.id, group.description, group.type, group.owners) == (None, None, None, None)
    assert group.present


def test_names_are_checked():
    assert message(GroupSpec, {"name": ""}) == "must not be empty"
    assert message(GroupSpec, {"name": " G"}) == "' G' has leading or trailing spaces"
    assert (
        message(RoleSpec, {"name": True}) == 'expected a string, got a boolean (quote it: "true")'
    )
    assert message(RoleSpec, {"name": ["a"]}) == "expected a string, got a list"


def test_access_levels():
    assert [a.value for a in AccessLevel] == ["CO_OWNER", "CAN_EDIT", "CAN_SHARE", "CAN_VIEW"]
    assert message(Grant, {"group": "G", "access": "OWNER"}).startswith(
        "OWNER cannot be granted: ownership is not a grant"
    )
    assert message(Grant, {"group": "G", "access": "can_view"}) == (
        "unknown access level 'can_view'; valid: CO_OWNER, CAN_EDIT, CAN_SHARE, CAN_VIEW; "
        "did you mean 'CAN_VIEW'?"
    )


@pytest.mark.parametrize("model", [Grant, Subscriber])
def test_exactly_one_principal(model):
    extra = {"access": "CAN_VIEW"} if model is Grant else {}
    what = "a grant" if model is Grant else "a subscriber"
    assert message(model, {"user": "u@x.io", "group": "G", **extra}) == (
        f"{what} names exactly one of 'user' or 'group', not 'user' and 'group'"
    )
    assert message(model, extra) == f"{what} needs one of 'user' or 'group'"


def test_recipient_is_user_group_or_email():
    assert Recipient.model_validate({"email": "CFO@x.io"}).email == "cfo@x.io"
    assert message(Recipient, {}) == "a recipient needs one of 'user' or 'group' or 'email'"


def test_dataset_id_is_a_uuid_lower_cased():
    share = DatasetShareSpec.model_validate({"dataset": UUID.upper()})
    assert share.dataset == UUID
    assert message(DatasetShareSpec, {"dataset": "abc"}).startswith("invalid dataset id 'abc'")


def test_certification_needs_dataset_or_card_and_certified():
    assert CertificationSpec.model_validate({"card": 7, "certified": False}).card == 7
    assert message(CertificationSpec, {"certified": True}) == (
        "a certification needs one of 'dataset' or 'card'"
    )
    assert message(CertificationSpec, {"card": 7}) == (
        "missing required key 'certified' (only 'ensure: absent' may omit it)"
    )
    assert CertificationSpec.model_validate({"card": 7, "ensure": "absent"}).certified is None


def test_alert_id_is_positive_integer():
    assert message(AlertSpec, {"alert": 0}) == "Input should be greater than 0"
    assert message(AlertSpec, {"alert": "358"}) == "Input should be a valid integer"


def test_schedule_days_follow_the_frequency():
    weekly = Schedule.model_validate({**WEEKLY, "days": ["FRI", "MON", "FRI"]})
    assert weekly.days == (Weekday.MON, Weekday.FRI)  # sorted, de-duplicated
    monthly = Schedule.model_validate({**WEEKLY, "frequency": "MONTHLY", "days": [15, 1]})
    assert monthly.days == (1, 15)
    daily = Schedule.model_validate({**WEEKLY, "frequency": "DAILY", "days": []})
    assert daily.days == ()
    assert message(Schedule, {**WEEKLY, "frequency": "DAILY"}) == (
        "DAILY schedules take no days; remove 'days'"
    )
    assert message(Schedule, {**WEEKLY, "days": [1]}) == (
        "unknown weekday 1; valid: MON, TUE, WED, THU, FRI, SAT, SUN"
    )
    assert message(Schedule, {**WEEKLY, "frequency": "MONTHLY", "days": [0]}) == (
        "0 is not a day of the month (1-31)"
    )
    assert message(Schedule, {**WEEKLY, "days": []}) == (
        "WEEKLY schedules need at least one day in 'days'"
    )


@pytest.mark.parametrize(
    ("given", "kept"), [("08:00", "08:00"), ("8:05", "08:05"), ("23:59", "23:59")]
)
def test_times_are_24_hour(given, kept):
    assert Schedule.model_validate({**WEEKLY, "at": given}).at == kept


@pytest.mark.parametrize("bad", ["24:00", "8:00pm", "0800", "12:60"])
def test_bad_times(bad):
    assert message(Schedule, {**WEEKLY, "at": bad}).startswith(f"invalid time {bad!r}")


def test_timezone_is_checked_with_a_suggestion():
    assert message(Schedule, {**WEEKLY, "timezone": "Europe/Pariss"}) == (
        "unknown time zone 'Europe/Pariss'; use an IANA name like America/New_York; "
        "did you mean 'Europe/Paris'?"
    )
    assert message(Schedule, {**WEEKLY, "timezone": "../../etc/passwd"}).startswith(
        "unknown time zone"
    )


def test_report_schedule_defaults_and_required_keys():
    spec = ReportScheduleSpec.model_validate({"title": "T", "page": 1, "schedule": WEEKLY})
    assert (spec.enabled, spec.attachment, spec.view, spec.recipients) == (True, False, None, None)
    assert message(ReportScheduleSpec, {"title": "T", "schedule": WEEKLY}) == (
        "missing required key 'page' (only 'ensure: absent' may omit it)"
    )
    gone = ReportScheduleSpec.model_validate({"title": "T", "ensure": "absent"})
    assert not gone.present


def test_bools_are_strict():
    data = {"title": "T", "page": 1, "schedule": WEEKLY, "enabled": "yes"}
    assert message(ReportScheduleSpec, data) == "Input should be a valid boolean"


def test_unknown_keys_are_forbidden_everywhere():
    with pytest.raises(ValidationError):
        Grant.model_validate({"group": "G", "access": "CAN_VIEW", "note": "x"})
    with pytest.raises(ValidationError):
        ProjectSpec.model_validate({"prune": {"groups": {"glob": "x"}}})


def test_specs_are_frozen_and_hashable():
    group = GroupSpec.model_validate({"name": "G", "members": ["a@x.io"]})
    with pytest.raises(ValidationError):
        group.name = "H"  # type: ignore[misc]
    assert hash(group) == hash(GroupSpec.model_validate({"name": "G", "members": ["A@x.io"]}))


def test_addresses():
    schedule = {"title": "Weekly", "page": 1, "schedule": WEEKLY}
    cases = [
        (GroupSpec.model_validate({"name": "Finance Analysts"}), "group.Finance Analysts"),
        (RoleSpec.model_validate({"name": "Data Steward"}), "role.Data Steward"),
        (DatasetShareSpec.model_validate({"dataset": UUID}), f"dataset_share.{UUID}"),
        (
            CertificationSpec.model_validate({"dataset": UUID, "certified": True}),
            f"certification.dataset.{UUID}",
        ),
        (
            CertificationSpec.model_validate({"card": 12, "certified": True}),
            "certification.card.12",
        ),
        (AlertSpec.model_validate({"alert": 358}), "alert.358"),
        (ReportScheduleSpec.model_validate(schedule), "report_schedule.Weekly"),
    ]
    for spec, expected in cases:
        assert address(spec) == expected == spec.address


def test_project_defaults():
    project = ProjectSpec()
    assert project.max_destructive == 25
    assert project.prune_scope("groups") is None
    assert project.protected("roles") == ()
    assert project.default_role is None and project.instance is None


def test_project_prune_and_protect():
    project = ProjectSpec.model_validate(
        {
            "prune": {"groups": {"match": "gov-*"}, "report_schedules": {}},
            "protect": {"groups": ["Admins"], "alerts": [358]},
            "max_destructive": 0,
        }
    )
    groups = project.prune_scope("groups")
    assert groups.covers("gov-Sales") and not groups.covers("Finance")
    assert project.prune_scope("report_schedules").covers("anything")
    assert project.protected("alerts") == ("358",)
    assert (
        message(ProjectSpec, {"max_destructive": -1})
        == "Input should be greater than or equal to 0"
    )
    assert message(ProjectSpec, {"prune": {"groups": None}}) == (
        "write {} to prune every object of this kind, or remove the key"
    )
