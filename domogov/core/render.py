"""Text, markdown and JSON views of a plan, and the text view of an apply report."""

from __future__ import annotations

import json
from typing import Any

from domogov.core.applier import DONE, FAILED, SKIPPED, ApplyReport
from domogov.core.changes import Action, Change, FieldDiff, Plan

MARKDOWN_LIMIT = 65_000
STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
VERB = {Action.CREATE: "create", Action.UPDATE: "update", Action.DELETE: "destroy"}
Line = tuple[str, str]  # (text, rich style or "")


def summary_line(plan: Plan) -> str:
    if not plan.changes:
        return "No changes. Live state matches the manifests."
    s = plan.summary
    return f"Plan: {s['add']} to add, {s['change']} to change, {s['destroy']} to destroy."


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _diff_lines(diff: FieldDiff, indent: str) -> list[Line]:
    out: list[Line] = []
    if not diff.collection:
        text = f"{indent}~ {diff.field}: {_value(diff.old)} -> {_value(diff.new)}"
        return [(text, "yellow")]
    out.append((f"{indent}  {diff.field}:", ""))
    out.extend((f"{indent}    + {e}", "green") for e in diff.added)
    out.extend((f"{indent}    ~ {e}", "yellow") for e in diff.changed)
    out.extend((f"{indent}    - {e}", "red") for e in diff.removed)
    return out


def change_lines(change: Change, *, show_calls: bool = True) -> list[Line]:
    """The text block of one change; the same lines feed the text and markdown views."""
    style = STYLE[change.action]
    note = f"  ({'; '.join(change.notes)})" if change.notes else ""
    lines: list[Line] = [(f"{change.action.symbol} {change.address}{note}", style)]
    indent = "    "
    if change.action == Action.CREATE and change.after:
        for name, value in change.after.items():
            if isinstance(value, list):
                if value:
                    lines.append((f"{indent}  {name}:", ""))
                    lines.extend((f"{indent}    + {v}", "green") for v in value)
            elif value not in (None, ""):
                lines.append((f"{indent}+ {name}: {_value(value)}", "green"))
    elif change.action == Action.DELETE and change.after is None and change.before:
        for name, value in change.before.items():
            if name == "id":
                continue
            if isinstance(value, list):
                if value:
                    lines.append((f"{indent}  {name}:", ""))
                    lines.extend((f"{indent}    - {v}", "red") for v in value)
            elif value not in (None, ""):
                lines.append((f"{indent}- {name}: {_value(value)}", "red"))
    else:
        for diff in change.diffs:
            lines.extend(_diff_lines(diff, indent))
    if change.depends_on:
        lines.append((f"{indent}after: {', '.join(change.depends_on)}", "dim"))
    if show_calls and change.calls:
        for call in change.calls:
            params = ""
            if call.params:
                params = "?" + "&".join(f"{k}={v}" for k, v in call.params.items())
            note = f"  ({call.note})" if call.note else ""
            lines.append((f"{indent}{call.method:<6} {call.path}{params}{note}", "dim"))
    return lines


def impact_lines(plan: Plan) -> list[Line]:
    """The access-impact section: people gaining or losing access, authorities, reports."""
    if not plan.impact:
        return [("Access impact: none (no user gains or loses access).", "")]
    lines: list[Line] = [(f"Access impact ({len(plan.impact)}):", "bold")]
    styles = {"+": "green", "-": "red", "~": "yellow"}
    lines += [(f"  {e['text']}", styles.get(e.get("sign", ""), "")) for e in plan.impact]
    return lines


def policy_entry_lines(entries: list[dict[str, Any]]) -> list[Line]:
    """``! rule object: message`` (fails the plan) and ``~ ... (waived: reason)``."""
    lines: list[Line] = []
    for v in entries:
        waived = v.get("waived_by")
        mark, tail = ("~", f"  (waived: {waived})") if waived else ("!", "")
        location = v.get("location")
        where = f"  [{location}]" if location and ":" in str(location) else ""
        text = f"{mark} {v['rule']} {v['object']}: {v['message']}{tail}{where}"
        lines.append((text, "yellow" if waived else "red"))
    return lines


def policy_markdown_section(entries: list[dict[str, Any]]) -> str:
    """The policy table of a pull-request comment; empty when there is nothing to show."""
    if not entries:
        return ""
    failing = sum(1 for v in entries if not v.get("waived_by"))
    head = f"### Policy: {failing} failing, {len(entries) - failing} waived\n\n"
    rows = ["| | rule | object | message | waiver |", "|---|---|---|---|---|"]
    for v in entries:
        state = "waived" if v.get("waived_by") else "**fails**"
        message, waiver = _cell(str(v["message"])), _cell(str(v.get("waived_by") or ""))
        rows.append(f"| {state} | `{v['rule']}` | `{v['object']}` | {message} | {waiver} |")
    return head + "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_lines(plan: Plan, *, show_calls: bool = True) -> list[Line]:
    lines: list[Line] = []
    for warning in plan.warnings:
        lines.append((f"Warning: {warning}", "yellow"))
    if plan.warnings:
        lines.append(("", ""))
    for part in plan.unreadable:
        lines.append((part.text, "yellow"))
    if plan.unreadable:
        lines.append(("  (not managed and not compared: unknown is not empty)", ""))
        lines.append(("", ""))
    if plan.changes:
        lines.append(("domogov will make these changes (+ create, ~ update, - destroy):", ""))
        lines.append(("", ""))
        for change in plan.changes:
            lines.extend(change_lines(change, show_calls=show_calls))
            lines.append(("", ""))
        lines.extend(impact_lines(plan))
        lines.append(("", ""))
    if plan.policy:
        lines.append(("Policy:", "bold"))
        lines.extend((f"  {t}", st) for t, st in policy_entry_lines(plan.policy))
        lines.append(("", ""))
    lines.append((summary_line(plan), "bold"))
    return lines


def render_text(plan: Plan, *, show_calls: bool = True) -> str:
    """Plain text (no colour); the CLI prints the same lines with styles on a TTY."""
    return "\n".join(text for text, _ in plan_lines(plan, show_calls=show_calls)) + "\n"


def render_json(plan: Plan) -> str:
    return plan.dumps()


def render_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary table, then collapsible details, cut to fit ``limit``."""
    head = [f"### domogov plan for `{plan.instance or 'unknown'}`", ""]
    head.append(f"**{summary_line(plan)}**")
    head.append("")
    for warning in plan.warnings:
        head.append(f"> :warning: {warning}")
    if plan.warnings:
        head.append("")
    for part in plan.unreadable:  # before everything that may be cut for length
        head.append(f"> :grey_question: {_md(part.text)}")
    if plan.unreadable:
        head.append("")
    if plan.policy:  # before everything that may be cut for length
        head.append(policy_markdown_section(plan.policy))
    if not plan.changes:
        return "\n".join(head) + "\n"
    table = ["| | address | action | destructive |", "|---|---|---|---|"]
    for change in plan.changes:
        table.append(
            f"| `{change.action.symbol}` | `{_md(change.address)}` | {VERB[change.action]} "
            f"| {change.destructive or ''} |"
        )
    footer_tpl = (
        "\n_{n} more changes not shown here: the comment limit is {limit} characters; "
        "see the full plan in the job log or the saved plan JSON._\n"
    )
    out = "\n".join(head + table) + "\n\n"
    impact_text = _impact_block(plan, budget=limit - len(out) - 400)
    if impact_text is not None:
        out += impact_text
    else:
        out += (
            f"_Access impact: {len(plan.impact)} entries, cut for length; see the plan JSON._\n\n"
        )
    if len(out) > limit:
        # Even the table does not fit: keep as many rows as fit and say how many were cut.
        kept = head + table[:2]
        size = len("\n".join(kept))
        for row in table[2:]:
            if size + len(row) + 400 > limit:
                break
            kept.append(row)
            size += len(row) + 1
        cut = len(table) - (len(kept) - len(head))
        return "\n".join(kept) + "\n" + footer_tpl.format(n=cut, limit=limit)
    shown = 0
    for change in plan.changes:  # details built one at a time: most do not fit in a comment
        block = _details_block(change)
        if len(out) + len(block) + 400 > limit:
            break
        out += block + "\n"
        shown += 1
    if shown < len(plan.changes):
        out += footer_tpl.format(n=len(plan.changes) - shown, limit=limit).replace(
            "more changes not shown", "more change details not shown"
        )
    return out


def _impact_block(plan: Plan, budget: int) -> str | None:
    """The access-impact block of a comment, or None when it is longer than ``budget``.

    Stops as soon as the lines so far are too long: a large plan has ~100,000 entries and a
    comment room for a few hundred.
    """
    lines = [f"#### Access impact ({len(plan.impact)})", "", "```diff"]
    size = sum(len(line) + 1 for line in lines)  # each line with its "\n"
    for entry in plan.impact:
        line = _diff_gutter(entry["text"])
        size += len(line) + 1
        if size > budget:
            return None
        lines.append(line)
    if not plan.impact:
        lines.append("  (none)")
    lines += ["```", ""]
    text = "\n".join(lines) + "\n"
    return text if len(text) <= budget else None


def _details_block(change: Change) -> str:
    body = "\n".join(_diff_gutter(t) for t, _ in change_lines(change))
    return (
        f"<details><summary><code>{_html(change.address)}</code></summary>\n\n"
        f"```diff\n{body}\n```\n</details>"
    )


def _diff_gutter(line: str) -> str:
    """Move a +/- marker to column 0, where GitHub's diff highlighting looks for it."""
    stripped = line.lstrip(" ")
    if stripped[:2] in ("+ ", "- ") and stripped != line:
        return stripped[0] + line[1 : len(line) - len(stripped)] + stripped[1:]
    return line


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_lines(report: ApplyReport) -> list[Line]:
    marks = {DONE: ("done   ", "green"), FAILED: ("FAILED ", "red"), SKIPPED: ("skipped", "yellow")}
    lines: list[Line] = []
    for outcome in report.outcomes:
        mark, style = marks[outcome.status]
        detail = f": {outcome.detail}" if outcome.detail else ""
        lines.append((f"{mark} {outcome.address}{detail}", style))
    for entry in report.not_effective:
        lines.append((str(entry["text"]), "red"))
    done, failed, skipped = report.count(DONE), report.count(FAILED), report.count(SKIPPED)
    tail = f"Apply: {done} done, {failed} failed, {skipped} skipped."
    if report.verify_reads is not None:
        bad = len(report.not_effective)
        tail += f" Verified: {bad} not effective." if bad else " Verified."
    if report.interrupted:
        tail += " Interrupted: nothing new was started after the signal."
    if failed or skipped or report.not_effective:
        tail += " Run `domogov plan` to see what is left, then apply again."
    lines.append(("", ""))
    ok = not (failed or skipped or report.not_effective)
    lines.append((tail, "bold" if ok else "bold red"))
    return lines
