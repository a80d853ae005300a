"""Checks across objects and files, and where each loaded value came from."""

from __future__ import annotations

from config_helpers import issues_of, lines_of

from domogov.config import load_config

UUID = "58b3775b-ab03-4f54-9052-a3c5f7cbf426"


def test_object_declared_twice_names_both_locations(tree):
    name = tree(
        {
            "a.yaml": "groups:\n  - name: Finance\n",
            "b/c.yaml": "groups:\n  - name: Other\n  - name: Finance\n",
        }
    )
    assert lines_of(name) == [
        "cfg/b/c.yaml:3:5: group.Finance: declared twice: first at cfg/a.yaml:2:5"
    ]


def test_names_differing_only_in_case_collide(tree):
    [issue] = issues_of(tree({"r.yaml": "roles: [{name: Data Steward}, {name: data steward}]"}))
    assert issue.address == "role.data steward"
    assert issue.message == "declared twice: first at cfg/r.yaml:1:9"


def test_every_kind_detects_duplicates(tree):
    sched = "{frequency: DAILY, at: '08:00', timezone: UTC}"
    name = tree(
        {
            "x.yaml": f"""
            dataset_shares: [{{dataset: {UUID}}}, {{dataset: {UUID.upper()}}}]
            certifications:
              - {{card: 5, certified: true}}
              - {{card: 5, certified: false}}
              - {{dataset: {UUID}, certified: true}}
              - {{dataset: {UUID}, ensure: absent}}
            alerts: [{{alert: 1}}, {{alert: 1}}]
            report_schedules:
              - {{title: T, page: 1, schedule: {sched}}}
              - {{title: T, page: 2, schedule: {sched}}}
            """
        }
    )
    issues = issues_of(name)
    assert all(i.message.startswith("declared twice: first at ") for i in issues)
    assert [i.address for i in issues] == [
        f"dataset_share.{UUID}",
        "certification.card.5",
        f"certification.dataset.{UUID}",
        "alert.1",
        "report_schedule.T",
    ]


def test_pinned_id_used_twice(tree):
    name = tree({"g.yaml": "groups:\n  - {name: A, id: 7}\n  - {name: B, id: 7}\n"})
    assert lines_of(name) == [
        "cfg/g.yaml:3:19: group.B: id: id 7 is pinned by group 'B' and by group 'A' "
        "at cfg/g.yaml:2:5"
    ]


def test_user_in_two_roles_names_both_locations(tree):
    name = tree(
        {
            "a.yaml": "roles:\n  - name: A\n    users: [x@acme.example, u@acme.example]\n",
            "b.yaml": "roles:\n  - name: B\n    users:\n      - U@Acme.Example\n",
        }
    )
    assert lines_of(name) == [
        "cfg/b.yaml:4:9: role.B: users[0]: user 'u@acme.example' is in two roles: role 'B' and "
        "role 'A' at cfg/a.yaml:3:29; a user holds exactly one role"
    ]


def test_user_listed_twice_in_one_role_is_fine(load):
    config = load({"r.yaml": "roles: [{name: A, users: [u@x.io, U@x.io]}]"})
    assert config.roles[0].users.items == ("u@x.io",)


def test_absent_role_does_not_hold_users(load):
    config = load(
        {
            "r.yaml": """
            roles:
              - {name: A, users: [u@x.io]}
              - {name: B, users: [u@x.io], ensure: absent}
            """
        }
    )
    assert len(config.roles) == 2


def test_grant_to_same_principal_twice(tree):
    name = tree(
        {
            "s.yaml": f"""
            dataset_shares:
              - dataset: {UUID}
                grants:
                  mode: additive
                  items:
                    - {{user: u@x.io, access: CAN_VIEW}}
                    - {{user: U@x.io, access: CAN_EDIT}}
            """
        }
    )
    assert lines_of(name) == [
        f"cfg/s.yaml:7:11: dataset_share.{UUID}: grants.items[1]: user 'u@x.io' is granted "
        "twice in this share (CAN_VIEW at cfg/s.yaml:6:11, then CAN_EDIT); keep one grant"
    ]


def test_removing_every_owner_is_refused(tree):
    [issue] = issues_of(tree({"g.yaml": "groups: [{name: G, owners: []}]"}))
    assert issue.path == "groups[0].owners"
    assert issue.message.startswith("[] would remove every owner")
    assert str(issue).startswith("cfg/g.yaml:1:28: group.G: owners: [] would remove every owner")


def test_additive_empty_owners_is_fine(load):
    assert load({"g.yaml": "groups: [{name: G, owners: {mode: additive, items: []}}]"}).groups


def test_reference_to_a_group_declared_absent(tree):
    name = tree(
        {
            "g.yaml": "groups: [{name: Old, ensure: absent}]",
            "r.yaml": """
            report_schedules:
              - title: T
                page: 1
                schedule: {frequency: DAILY, at: "08:00", timezone: UTC}
                recipients: [{email: a@x.io}, {group: Old}]
            """,
        }
    )
    assert lines_of(name) == [
        "cfg/r.yaml:5:35: report_schedule.T: recipients[1]: group 'Old' is referenced here but "
        "declared with ensure: absent at cfg/g.yaml:1:10"
    ]


def test_default_role_and_from_role_declared_absent(tree):
    name = tree(
        {
            "domogov.yaml": "default_role: Old\n",
            "r.yaml": "roles:\n  - {name: Old, ensure: absent}\n  - {name: New, from_role: Old}\n",
        }
    )
    assert [i.path for i in issues_of(name)] == ["default_role", "roles[1].from_role"]


def test_all_issues_of_a_run_are_reported_together(tree):
    name = tree(
        {
            "a.yaml": "groups: [{name: A, memebers: []}]",
            "b.yaml": b"\xff",
            "c.yaml": "roles: [{name: R, users: [nope]}]",
            "d.yaml": "groups: [{name: A}]\ngroups: []\n",
            "domogov.yaml": "max_destructive: many\n",
        }
    )
    files = [i.location.file for i in issues_of(name)]
    assert files == ["cfg/a.yaml", "cfg/b.yaml", "cfg/c.yaml", "cfg/d.yaml", "cfg/domogov.yaml"]


def test_where_finds_objects_and_nested_values(load):
    config = load(
        {
            "g.yaml": f"""
            groups:
              - name: A
                members:
                  - a@x.io
                  - A@x.io
                  - b@x.io
              - name: B
                members: {{mode: additive, items: [c@x.io, d@x.io]}}
            dataset_shares:
              - dataset: {UUID}
                grants:
                  - {{group: A, access: CAN_VIEW}}
            """
        }
    )
    a, b = config.groups
    assert str(config.where(a)) == "cfg/g.yaml:2:5"
    # b@x.io is the 2nd kept member but the 3rd line: duplicates were dropped on load.
    assert a.members.items[1] == "b@x.io"
    assert str(config.where(a, "members", 1)) == "cfg/g.yaml:6:9"
    assert str(config.where(b, "members", 1)) == "cfg/g.yaml:8:47"
    assert str(config.where(b, "members", "items", 1)) == "cfg/g.yaml:8:47"
    assert str(config.where(b, "nothing")) == "cfg/g.yaml:7:5"
    grant = config.dataset_shares[0].grants.items[0]
    assert str(config.where(grant)) == "cfg/g.yaml:12:9"
    assert str(config.where(grant, "access")) == "cfg/g.yaml:12:28"
    assert config.locate(b, "members", 0)[1] == "groups[1].members.items[0]"


def test_where_falls_back_to_address_then_directory(load):
    config = load({"g.yaml": "groups: [{name: A}]"})
    copy = config.groups[0].model_copy()
    assert str(config.where(copy)) == "cfg/g.yaml:1:10"
    assert str(config.where(config.project)) == "cfg"


def test_where_on_project_settings(load):
    config = load({"domogov.yaml": "prune:\n  groups: {match: 'gov-*'}\n"})
    assert str(config.where(config.project, "prune", "groups", "match")) == "cfg/domogov.yaml:2:19"
    assert str(config.where(config.project.prune.groups)) == "cfg/domogov.yaml:2:11"


def test_specs_iterates_every_kind_in_order(load):
    config = load(
        {
            "a.yaml": "alerts: [{alert: 3}]\ngroups: [{name: G}]\n",
            "b.yaml": "roles: [{name: R}]\n",
        }
    )
    assert [s.address for s in config.specs()] == ["group.G", "role.R", "alert.3"]
    assert config.object_count == 3
    assert config.section("alerts")[0].alert == 3


def test_load_is_offline_and_repeatable(tree):
    name = tree({"g.yaml": "groups: [{name: G}]"})
    assert load_config(name).groups == load_config(name).groups


def test_project_file_must_be_a_mapping(tree):
    assert lines_of(tree({"domogov.yaml": "- acme\n"})) == [
        "cfg/domogov.yaml:1:1: expected a mapping, got a list"
    ]


def test_project_key_typo_is_suggested(tree):
    assert lines_of(tree({"domogov.yaml": "instanse: acme\n"})) == [
        "cfg/domogov.yaml:1:1: instanse: unknown key; did you mean 'instance'?"
    ]


def test_extension_keys_hold_anchors_in_every_file(load):
    config = load(
        {
            "domogov.yaml": "x-role: &r Participant\ndefault_role: *r\n",
            "g.yaml": "x-t: &t closed\ngroups: [{name: G, type: *t}]\n",
        }
    )
    assert config.project.default_role == "Participant"
    assert config.groups[0].type == "closed"


def test_unprintable_unknown_key_stays_on_one_line(tree):
    [issue] = issues_of(tree({"g.yaml": 'groups: [{name: G, "a\\tb": 1}]\n'}))
    assert issue.path == "groups[0].'a\\tb'"
    assert "\n" not in str(issue)


def test_sorted_items_give_a_stable_order(load):
    config = load(
        {
            "s.yaml": """
            dataset_shares:
              - dataset: 58b3775b-ab03-4f54-9052-a3c5f7cbf426
                grants: [{user: z@x.io, access: CAN_VIEW}, {group: A, access: CAN_EDIT}]
            groups: [{name: G, members: [b@x.io, a@x.io]}]
            """
        }
    )
    assert config.groups[0].members.sorted_items == ("a@x.io", "b@x.io")
    grants = config.dataset_shares[0].grants
    assert [g.group or g.user for g in grants.sorted_items] == ["A", "z@x.io"]
