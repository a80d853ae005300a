"""The pull-request comment cut to its limit: impact block, change details, footers."""

from __future__ import annotations

from domogov.core.changes import Action, Change, Plan
from domogov.core.render import render_markdown


def _plan(changes: int, impact: int) -> Plan:
    return Plan(
        instance="acme",
        changes=[
            Change(
                address=f"group.g{i:03d}",
                kind="group",
                action=Action.CREATE,
                key={"name": f"g{i:03d}"},
                before=None,
                after={"name": f"g{i:03d}", "members": [f"u{i}@x.com"]},
            )
            for i in range(changes)
        ],
        impact=[
            {"sign": "+", "text": f'+ u{i}@x.com  CAN_VIEW on "D" (via group g)'}
            for i in range(impact)
        ],
    )


IMPACT_HEAD = "#### Access impact (20)"


def test_everything_fits() -> None:
    text = render_markdown(_plan(3, 20), limit=65_000)
    assert IMPACT_HEAD in text and "cut for length" not in text
    assert text.count("<details>") == 3 and "not shown" not in text
    assert "\n+ u19@x.com  CAN_VIEW" in text  # the +/- marker moved to column 0


def test_the_impact_block_is_shown_exactly_when_it_fits() -> None:
    plan = _plan(3, 20)
    full = render_markdown(plan, limit=1_000_000)
    table_end = full.index(IMPACT_HEAD)
    block = full[table_end : full.index("<details>")]
    fits = table_end + len(block) + 400
    assert IMPACT_HEAD in render_markdown(plan, limit=fits)
    cut = render_markdown(plan, limit=fits - 1)
    assert IMPACT_HEAD not in cut
    assert "_Access impact: 20 entries, cut for length; see the plan JSON._" in cut


def test_details_that_do_not_fit_are_counted() -> None:
    plan = _plan(30, 0)
    text = render_markdown(plan, limit=4_000)
    shown = text.count("<details>")
    assert 0 < shown < 30
    assert f"_{30 - shown} more change details not shown here" in text
    assert "  (none)" in text


def test_a_table_too_long_is_cut_by_rows() -> None:
    text = render_markdown(_plan(200, 5), limit=2_000)
    rows = text.count("| `+` |")
    assert 0 < rows < 200
    assert f"_{200 - rows} more changes not shown here" in text
    assert "<details>" not in text and IMPACT_HEAD not in text
