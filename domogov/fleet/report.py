"""A fleet run's one report: a section per instance, then the summary table (text, markdown
and JSON)."""

from __future__ import annotations

import json

from domogov.fleet.members import Member, failing_policy

MARKDOWN_LIMIT = 65_000

Line = tuple[str, str]


def _row(member: Member) -> tuple[str, str, str, str, str]:
    if member.error:
        return (member.name, "-", "-", "-", f"error (exit {member.exit_code})")
    plan = member.plan
    if plan is None:
        return (member.name, "-", "-", "-", f"exit {member.exit_code}")
    s = plan.summary
    if member.report is not None:
        result = f"applied (exit {member.exit_code})"
    elif failing_policy(plan):
        result = "policy violation (exit 1)"
    else:
        result = "changes" if plan.changes else "no changes"
    return (member.name, str(s["add"]), str(s["change"]), str(s["destroy"]), result)


def summary_lines(items: list[Member], what: str, overall: int) -> list[Line]:
    header = ("INSTANCE", "ADD", "CHANGE", "DESTROY", "RESULT")
    rows = [header, *(_row(m) for m in items)]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out: list[Line] = [("", ""), (f"Fleet {what}: {len(items)} instances", "bold")]
    for row in rows:
        numbers = zip(row[1:4], widths[1:4], strict=True)
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in numbers)]
        out.append(("  " + "  ".join([*cells, row[4]]), ""))
    out.append((f"Exit code: {overall} (the worst of the instances)", ""))
    return out


def section_head(member: Member) -> list[Line]:
    return [("", ""), (f"=== {member.name} ({member.label}) ===", "bold")]


def plan_text(items: list[Member], overall: int, what: str = "plan") -> list[Line]:
    from domogov.core.render import plan_lines, policy_entry_lines, report_lines

    out: list[Line] = []
    for member in items:
        out += section_head(member)
        if member.plan is not None:
            out += plan_lines(member.plan)
            if failing_policy(member.plan) and member.report is None:
                out += policy_entry_lines(failing_policy(member.plan))
        if member.report is not None:
            out += [("", ""), *report_lines(member.report)]
        if member.error:
            out.append((f"Error: {member.error}", "red"))
    return out + summary_lines(items, what, overall)


def plan_markdown(items: list[Member], overall: int, limit: int = MARKDOWN_LIMIT) -> str:
    """One comment for the fleet: the summary table, then each instance collapsed."""
    from domogov.core.render import render_markdown

    head = [f"## domogov plan for a fleet of {len(items)} instances", ""]
    head += ["| instance | add | change | destroy | result |", "|---|---|---|---|---|"]
    head += ["| `{}` | {} | {} | {} | {} |".format(*_row(m)) for m in items]
    head += ["", f"**Exit code: {overall}** (the worst of the instances)", ""]
    out = "\n".join(head) + "\n"
    # Each instance gets an equal share of what is left; a short plan leaves the rest unused
    # rather than lending it, so the whole comment stays under GitHub's 65,536 limit.
    share = max(1_000, (limit - len(out) - 200) // max(1, len(items)))
    for member in items:
        title = f"{member.name}: " + (
            f"error (exit {member.exit_code})" if member.error else _row(member)[4]
        )
        if member.error:
            body = f"Error: {member.error}\n"
        elif member.plan is not None:
            body = render_markdown(member.plan, limit=share - 200)
        else:
            body = ""
        block = f"<details><summary>{title}</summary>\n\n{body}\n</details>\n\n"
        if len(out) + len(block) > limit - 200:
            out += f"_{member.name}: cut for length; see the job log._\n\n"
            continue
        out += block
    return out


def plan_json(items: list[Member], overall: int) -> str:
    doc = {
        "fleet": [
            {
                "instance": m.name,
                "label": m.label,
                "exit_code": m.exit_code,
                "error": m.error or None,
                "plan": m.plan.to_json() if m.plan is not None else None,
                "apply": m.report.to_json() if m.report is not None else None,
            }
            for m in items
        ],
        "exit_code": overall,
    }
    return json.dumps(doc, indent=2)


def plan_only_lines(member: Member) -> list[Line]:
    from domogov.core.render import plan_lines

    lines = section_head(member)
    if member.plan is not None:
        lines += plan_lines(member.plan)
    if member.error:
        lines.append((f"Error: {member.error}", "red"))
    return lines


def drift_cell(member: Member) -> str:
    if member.error:
        return "error"
    count = len(member.drift or [])
    return f"{count} drifted" if count else "none"
