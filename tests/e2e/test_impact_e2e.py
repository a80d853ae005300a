"""Access impact, checked against expectations computed by hand from tests/e2e/state.yaml.

state.yaml: Finance Analysts (501) = bob, frank; Sales Team (502) = dave, heidi.
Sales Pipeline (owner ada): dave CAN_VIEW direct, Sales Team CAN_VIEW.
General Ledger (owner frank): Finance Analysts CAN_EDIT, carol CO_OWNER.
Data Steward (6): carol; authorities dataset.manage, dataset.export, certification.manage,
buzz.use.
"""

from __future__ import annotations

from e2ekit import LEDGER, SALES, Env


async def test_group_shares_are_expanded_to_members(env: Env) -> None:
    env.write(
        "all.yaml",
        f"""
        groups:
          - name: Sales Team
            members: [dave@example.com, erin@example.com]   # heidi leaves, erin joins
        dataset_shares:
          - dataset: {SALES}
            name: Sales Pipeline
            grants:
              - {{group: Sales Team, access: CAN_VIEW}}
              - {{group: Finance Analysts, access: CAN_EDIT}}
              - {{user: dave@example.com, access: CAN_EDIT}}
        """,
    )
    plan = await env.plan()
    texts = sorted(e["text"] for e in plan.impact)
    assert texts == sorted(
        [
            # Finance Analysts (bob, frank) now CAN_EDIT on Sales Pipeline.
            '+ bob@example.com  CAN_EDIT on "Sales Pipeline" (via group Finance Analysts)',
            '+ frank@example.com  CAN_EDIT on "Sales Pipeline" (via group Finance Analysts)',
            # dave: direct CAN_VIEW -> CAN_EDIT (his Sales Team CAN_VIEW is weaker).
            '~ dave@example.com  CAN_VIEW -> CAN_EDIT on "Sales Pipeline" (direct grant)',
            # erin joins Sales Team: CAN_VIEW on Sales Pipeline.
            '+ erin@example.com  CAN_VIEW on "Sales Pipeline" (via group Sales Team)',
            # heidi leaves Sales Team: loses the only access she had.
            '- heidi@example.com  loses CAN_VIEW on "Sales Pipeline" (via group Sales Team)',
            # The alert and schedule subscribed/received by Sales Team are unchanged: no entry.
        ]
    )


async def test_membership_change_alone_shows_dataset_impact_when_dataset_is_declared(
    env: Env,
) -> None:
    env.write(
        "all.yaml",
        f"""
        groups:
          - name: Finance Analysts
            members: [bob@example.com]      # frank leaves; he owns the ledger
        dataset_shares:
          - dataset: {LEDGER}
        """,
    )
    plan = await env.plan()
    # frank keeps OWNER on the ledger, so leaving the group changes nothing for him there.
    assert [e for e in plan.impact if e["type"] == "dataset_access"] == []


async def test_role_authority_changes_name_each_holder(env: Env) -> None:
    env.write("roles.yaml", "roles:\n  - name: Data Steward\n    authorities: [dataset.manage]\n")
    plan = await env.plan()
    assert sorted(e["text"] for e in plan.impact) == [
        "- carol@example.com  loses buzz.use (role Data Steward)",
        "- carol@example.com  loses certification.manage (role Data Steward)",
        "- carol@example.com  loses dataset.export (role Data Steward)",
    ]
