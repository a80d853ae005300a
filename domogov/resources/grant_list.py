"""Grant lists written whole (file and workflow permissions): the grants a plan targets and the
full replacement list built from the live rows; the read, change, impact and export steps the
two kinds take alike around them.

Helpers of the ``file_permission`` and ``workflow_permission`` kinds (no kind here). Both
write a grant list with one call that takes the whole list, so the list sent is the live one
as read (rows the manifest does not manage go back exactly as Domo gave them), with the
managed grants changed, removed or added. Live grants read ``principal VALUE``
(``group:Finance READ``, ``user:a@x.com EXECUTE,READ``), sorted; the live record keeps the raw
rows too, under a key of its own, for the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.core.address import placeholders_in
from domogov.core.changes import ApiCall, Change, fingerprint
from domogov.resources.common import items, make_change, mode_of
from domogov.resources.context import LiveContext
from domogov.resources.export_api import principal as principal_node
from domogov.resources.export_api import unwritable
from domogov.resources.impact import ImpactView, Members, effective_access

#: A row of the list sent for a principal the plan adds: (type, id, label, value) -> row.
NewRow = Callable[[str, str, str, str], dict[str, Any]]


def unrecognised(ctx: LiveContext, address: str, path: str, unknown: list[str]) -> None:
    """The grants read at ``GET path`` are unreadable when it answered rows domogov does not
    recognise (``unknown``, each shown as read; the first three are named)."""
    if unknown:
        ctx.unreadable(
            address,
            "grants",
            f"GET {path}",
            f"answers entries domogov does not recognise: {'; '.join(unknown[:3])}",
        )


def wanted_grants(
    ctx: LiveContext, spec: Any, label: str, value: Callable[[Any], str]
) -> dict[str, str]:
    """The manifest's grants, ``{principal label: value}``; each principal is resolved here,
    with its location, so that an unknown user or group is reported where it is written."""
    wanted: dict[str, str] = {}
    for i, grant in enumerate(items(spec.grants)):
        who = f"group:{grant.group}" if grant.group else f"user:{str(grant.user).lower()}"
        ctx.principal_id(who, spec, ("grants", i), f"{label}.grants[{i}]")
        wanted[who] = value(grant)
    return wanted


def live_grants(grants: list[str]) -> dict[str, str]:
    """``{principal label: value}`` of a live record's ``grants``."""
    return dict(g.rsplit(" ", 1) for g in grants)


def target_grants(
    collection: Any, live: Mapping[str, str], wanted: Mapping[str, str]
) -> dict[str, str]:
    """The grants after the plan: the live ones and the wanted ones when ``grants`` is omitted
    or additive, else exactly the wanted ones."""
    if collection is None or mode_of(collection) == "additive":
        return {**live, **wanted}
    return dict(wanted)


def replacement(
    ctx: LiveContext,
    rows: list[dict[str, Any]],
    live: Mapping[str, str],
    target: Mapping[str, str],
    label_of: Callable[[Mapping[str, Any]], str],
    kept: Callable[[dict[str, Any], str], dict[str, Any]],
    added: NewRow,
) -> list[dict[str, Any]]:
    """The whole list to send, built from the live rows: each row whose principal keeps a grant
    goes back as read but for its value (``kept``), a removed one is left out, and a row
    (``added``) follows for each principal the plan adds, in label order."""
    body: list[dict[str, Any]] = []
    for row in rows:
        who = label_of(row)
        if who in target:
            body.append(kept(row, target[who]))
    for who in sorted(set(target) - set(live)):
        ptype, pid = ctx.principal_id(who)
        if pid is not None:
            body.append(added(ptype, pid if isinstance(pid, str) else str(pid), who, target[who]))
    return body


def grant_change(
    *,
    kind: str,
    address: str,
    key: dict[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    raw: str,
    call: ApiCall,
    destructive: int,
) -> Change | None:
    """The change of a grant list, compared and shown without the raw rows (``raw``, the live
    record's key for them)."""
    change = make_change(
        kind=kind,
        address=address,
        key=key,
        before=_shown(before, raw),
        after=_shown(after, raw),
        calls=[call],
        depends_on=placeholders_in(call.body),
        destructive=destructive,
    )
    if change is not None:
        # Keep the raw rows for a saved plan's stale check, out of the diff.
        change.before = dict(before)
        change.after = dict(after)
        # The fingerprint was taken of the shown state; the stale check re-reads the raw
        # one, so it must fingerprint that (else every saved plan of the object is "stale").
        change.fingerprint = fingerprint(change.before)
    return change


def _shown(live: Mapping[str, Any], raw: str) -> dict[str, Any]:
    return {k: v for k, v in live.items() if k != raw}


def granted_groups(live: Mapping[str, Any]) -> set[str]:
    # Grants read "group:<name> <VALUE>".
    who = {g.rsplit(" ", 1)[0] for g in live["grants"]}
    return {g.removeprefix("group:") for g in who if g.startswith("group:")}


def _openers(grants: list[str], members: Members) -> dict[str, tuple[str, str]]:
    return effective_access([f"{g.rsplit(' ', 1)[0]} CAN_VIEW" for g in grants], None, members)


def opener_changes(
    view: ImpactView,
    address: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    what: str,
) -> list[dict[str, Any]]:
    """Users who gain or lose ``what`` (``file "Board Pack"``) through its grants, groups
    expanded: any grant opens it."""
    old = _openers(before["grants"], view.members_before)
    new = _openers(after["grants"], view.members_after)
    out: list[dict[str, Any]] = []
    for email in sorted(set(old) ^ set(new)):
        sign = "+" if email in new else "-"
        verb = "can open" if sign == "+" else "can no longer open"
        via = (new.get(email) or old[email])[1]
        how = "direct grant" if via == "direct" else via
        out.append(
            {
                "type": "content_access",
                "sign": sign,
                "user": email,
                "object": address,
                "text": f"{sign} {email} {verb} {what} ({how})",
            }
        )
    return out


def export_grants(
    ctx: LiveContext,
    node: CommentedMap,
    address: str,
    what: str,
    grants: list[str],
    warnings: list[str],
    put: Callable[[CommentedMap, str], None],
) -> None:
    """An export node's ``grants``, each a principal with its value (``put``); left out, and
    said in ``warnings``, when unreadable or when a principal cannot be written."""
    if ctx.is_unreadable(address, "grants"):
        warnings.append(f"{what}: 'grants' not exported (unreadable); it stays unmanaged")
        return
    nodes = CommentedSeq()
    for entry in grants:
        who, _, value = entry.rpartition(" ")
        principal = principal_node(who)
        if principal is None:
            unwritable("grants", what, warnings)
            return
        put(principal, value)
        nodes.append(principal)
    node["grants"] = nodes
