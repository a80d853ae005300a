"""Page shares: which users and groups a page (dashboard) or a card is shared with.

```yaml
page_shares:
  - page: 345678
    name: CFO Dashboard               # optional; the plan and impact texts name it so
    grants: [{ group: Sales Team }, { user: dana@example.com }]
  - card: 1493051
    grants: [{ group: Finance Analysts }]
```
One access-list read per declared page or card, ``GET /api/content/v1/share/accesslist/
{page|card}/{id}?expandUsers=false``. Domo documents neither this read nor sharing: both are
the request forms public clients send (README, "Request forms other public clients send"), so
their answers are variants and apply verifies every share by reading the list again.

Writes: every principal to add is one ``POST /api/content/v1/share?sendEmail=false`` per object
(``sendEmail=false``: governance changes must not mail everyone). The owner (the access list's
``isOwner`` row) is never a grant: neither compared nor revoked.

Removals domogov can make: a *user* from a *page*, through the documented
``DELETE /api/content/v1/share/page/{pageId}/user/{personId}``. Domo documents no call that
removes a group from a page, or anyone from a card: a manifest whose authoritative list would
need such a removal is refused (the part is reported unreadable, SPEC §5), never guessed at.

Unknown is not empty: an access list without ``users`` or ``groups``, or with a row without an
id, makes the grants of that object unreadable: neither compared nor written; a manifest
managing them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, TypedDict

from pydantic import BaseModel, Field, StrictStr, model_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from domogov.client.shapes import STR, Array, Object, Shape
from domogov.core.address import placeholders_in
from domogov.core.changes import ApiCall, Change
from domogov.errors import NotFoundError
from domogov.resources.base import ActivityKey, KindBase
from domogov.resources.common import items, make_change, map_limited, mode_of
from domogov.resources.context import LiveContext
from domogov.resources.export_api import ExportSession, add_comment, unwritable, valid
from domogov.resources.export_api import principal as principal_node
from domogov.resources.impact import ImpactView, affected, effective_access
from domogov.spec.base import SPEC_CONFIG, Spec, exactly_one
from domogov.spec.types import Collection, Email, Name, PositiveInt, managed_input

SHARE = "/api/content/v1/share"
ACCESSLIST = "/api/content/v1/share/accesslist"
#: A page or card grant carries no level: "can open" is the one access it gives. The impact
#: helpers compare levels, so every grant reads as this one.
OPEN = "CAN_VIEW"
Target = Literal["page", "card"]


def access_path(target: str, ident: Any) -> str:
    return f"{ACCESSLIST}/{target}/{ident}"


class ShareGrant(BaseModel):
    """One principal a page or card is shared with: a user or a group."""

    model_config = SPEC_CONFIG
    one_of: ClassVar[tuple[str, ...]] = ("user", "group")

    user: Email | None = Field(None, description="Email of the user the object is shared with.")
    group: Name | None = Field(None, description="Name of the group the object is shared with.")

    @model_validator(mode="after")
    def _one_principal(self) -> ShareGrant:
        exactly_one(self, "a grant")
        return self


class ShareGrantCollection(Collection[ShareGrant]):
    """A list of users and groups, or ``{mode, items}``."""


class PageShareSpec(Spec):
    """Who a page or a card is shared with; identity is ``page`` or ``card``."""

    kind: ClassVar[str] = "page_share"
    one_of = ("page", "card")

    page: PositiveInt | None = Field(None, description="Page id; give this or 'card'.")
    card: PositiveInt | None = Field(None, description="Card id; give this or 'page'.")
    name: StrictStr | None = Field(
        None, description="The page's or card's title, for plan and impact texts (not compared)."
    )
    grants: Annotated[ShareGrantCollection | None, managed_input(ShareGrantCollection)] = Field(
        None, description="Users and groups it is shared with. Omitted: unmanaged. The owner is "
        "not a grant.",
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_target(self) -> PageShareSpec:
        exactly_one(self, "a page share")
        return self

    @property
    def target(self) -> Target:
        return "card" if self.card is not None else "page"

    @property
    def object_id(self) -> int:
        return self.card if self.card is not None else self.page  # type: ignore[return-value]

    def identity_key(self) -> str:
        return f"{self.target}.{self.object_id}"

    def label(self) -> str:
        return f"shares of {self.target} {self.object_id}"


class PageShareLive(TypedDict):
    """A page's or card's access list: ``user:``/``group:`` labels, sorted; the owner apart."""

    page: int | None
    card: int | None
    name: str | None
    owner: str | None
    grants: list[str]


def _target_of(key: Mapping[str, Any]) -> tuple[Target, int]:
    if key.get("card") is not None:
        return "card", int(key["card"])
    return "page", int(key["page"])


class PageShareKind(KindBase[PageShareSpec, PageShareLive]):
    """The ``page_share`` kind (pages and cards)."""

    name = "page_share"
    section = "page_shares"
    spec_model = PageShareSpec
    identity_fields = ("page", "card", "name")
    plural = "page and card shares"
    protect_doc = "pages and cards (ids)"
    plan_order = 32
    section_doc = "Who pages (dashboards) and cards are shared with."
    activity_types = ("PAGE", "CARD")
    _row = Object(required={}, optional={"displayName": STR, "name": STR})
    answer_shapes: ClassVar[Mapping[tuple[str, str], Shape]] = {
        ("GET", f"{ACCESSLIST}/page/{{id}}"): Object(
            optional={"users": Array(_row), "groups": Array(_row)}
        ),
        ("GET", f"{ACCESSLIST}/card/{{id}}"): Object(
            optional={"users": Array(_row), "groups": Array(_row)}
        ),
    }

    async def _read(self, ctx: LiveContext, key: dict[str, Any]) -> PageShareLive | None:
        target, ident = _target_of(key)
        path = access_path(target, ident)
        try:
            answer = await ctx.client.get(path, params={"expandUsers": "false"})
        except NotFoundError:
            return None
        await ctx.ready()
        address = f"page_share.{target}.{ident}"
        doc = answer if isinstance(answer, dict) else {}
        unknown: list[str] = []
        owner = None
        grants: set[str] = set()
        for field, ptype in (("users", "USER"), ("groups", "GROUP")):
            rows = doc.get(field)
            if not isinstance(rows, list):
                # Without the list domogov cannot tell "shared with none" from "not shown".
                unknown.append(f"no {field} list")
                continue
            for row in rows:
                pid = row.get("id") if isinstance(row, dict) else None
                if pid is None or isinstance(pid, bool) or str(pid) == "":
                    unknown.append(f"a {field} row without an id")
                    continue
                label = ctx.principal_label(ptype, pid)
                if ptype == "USER" and row.get("isOwner") is True:
                    owner = label
                else:
                    grants.add(label)
        if unknown:
            ctx.unreadable(
                address,
                "grants",
                f"GET {path}",
                f"answers {'; '.join(sorted(set(unknown)))}, so the list is not fully read",
            )
        return {
            "page": ident if target == "page" else None,
            "card": ident if target == "card" else None,
            "name": key.get("name"),
            "owner": owner,
            "grants": sorted(grants - ({owner} if owner else set())),
        }

    async def fetch(self, ctx: LiveContext, keys: list[dict[str, Any]]) -> dict[str, PageShareLive]:
        results = await map_limited(lambda k: self._read(ctx, k), keys, ctx.parallelism)
        out: dict[str, PageShareLive] = {}
        for key, live in zip(keys, results, strict=True):
            if live is not None:
                target, ident = _target_of(key)
                out[f"page_share.{target}.{ident}"] = live
        return out

    def plan_one(
        self, ctx: LiveContext, spec: PageShareSpec, before: PageShareLive | None, index: int
    ) -> Change | None:
        address, key = self.address_of(spec), self.key_of(spec)
        label = f"page_shares[{index}]"
        target, ident = spec.target, spec.object_id
        if before is None:
            ctx.problem(
                spec,
                (target,),
                f"{label}.{target}",
                f"unknown {target} {ident}: no such {target} in Domo "
                f"(domogov shares {target}s; it does not create them)",
            )
            return None
        if spec.grants is None:
            return None
        if ctx.is_unreadable(address, "grants"):
            ctx.refuse_unreadable(spec, address, "grants", f"{label}.grants")
            return None
        wanted: list[str] = []
        for i, grant in enumerate(items(spec.grants)):
            who = f"group:{grant.group}" if grant.group else f"user:{str(grant.user).lower()}"
            ctx.principal_id(who, spec, ("grants", i), f"{label}.grants[{i}]")
            wanted.append(who)
        notes = []
        owner = before.get("owner")
        if owner in wanted:
            notes.append(f"{owner} owns the {target}; ownership is not a grant, left as is")
            wanted = [w for w in wanted if w != owner]
        live = set(before["grants"])
        additive = mode_of(spec.grants) == "additive"
        target_set = live | set(wanted) if additive else set(wanted)
        add = sorted(target_set - live)
        remove = sorted(live - target_set)
        cannot = [p for p in remove if target == "card" or not p.startswith("user:")]
        if cannot:
            # Domo documents no call for these removals: never guess one (SPEC §5).
            ctx.unreadable(
                address,
                "grants",
                "DELETE (not documented)",
                f"has no documented call to remove {', '.join(cannot)} from {target} {ident}; "
                "remove it in Domo, list it, or use mode: additive",
            )
            ctx.refuse_unreadable(spec, address, "grants", f"{label}.grants")
            return None
        calls: list[ApiCall] = []
        recipients = []
        for who in add:
            ptype, pid = ctx.principal_id(who)
            if pid is not None:
                rid = pid if isinstance(pid, str) else str(pid)
                recipients.append({"type": ptype.lower(), "id": rid})
        if recipients:
            body = {
                "resources": [{"type": target, "id": str(ident)}],
                "recipients": recipients,
                "message": "",
            }
            calls.append(ApiCall("POST", SHARE, body=body, params={"sendEmail": "false"}))
        for who in remove:
            _, pid = ctx.principal_id(who)
            if pid is not None:
                calls.append(ApiCall("DELETE", f"{SHARE}/page/{ident}/user/{pid}"))
        after = {**before, "grants": sorted(target_set)}
        return make_change(
            kind=self.name,
            address=address,
            key=key,
            before=before,
            after=after,
            calls=calls,
            depends_on=placeholders_in([c.body for c in calls]),
            destructive=len(remove),
            notes=notes,
        )

    async def find_created(self, ctx: LiveContext, change: Change) -> Any | None:
        return None  # shares are never created by a single non-idempotent call

    def activity_keys(self, change: Change) -> list[ActivityKey]:
        state = change.before or change.after or {}
        target = "CARD" if state.get("card") is not None else "PAGE"
        return [(target, str(state.get("card") or state.get("page") or ""))]

    async def impact(self, ctx: LiveContext, view: ImpactView) -> list[dict[str, Any]]:
        """Users who gain or lose a page or card, groups expanded."""
        out: list[dict[str, Any]] = []
        for address, before, after in affected(view, _granted_groups):
            old_grants, new_grants = list(before["grants"]), list(after["grants"])
            owner = before.get("owner")
            old = effective_access([f"{g} {OPEN}" for g in old_grants], owner, view.members_before)
            new = effective_access([f"{g} {OPEN}" for g in new_grants], owner, view.members_after)
            target = "card" if before.get("card") is not None else "page"
            title = before.get("name") or str(before.get(target))
            for email in sorted(set(old) ^ set(new)):
                sign = "+" if email in new else "-"
                via = (new.get(email) or old[email])[1]
                how = "direct grant" if via == "direct" else via
                verb = "can open" if sign == "+" else "can no longer open"
                out.append(
                    {
                        "type": "content_access",
                        "sign": sign,
                        "user": email,
                        "object": address,
                        "text": f'{sign} {email} {verb} {target} "{title}" ({how})',
                    }
                )
        return out

    async def export(self, ctx: LiveContext, session: ExportSession) -> None:
        """Every page and card the search API finds, with who it is shared with."""
        if not session.wants(self.section):
            return
        pages = await session.pages()
        cards = await session.cards()
        keys: list[dict[str, Any]] = [{"page": p, "name": t} for p, t in pages.items()]
        keys += [{"card": c, "name": t} for c, t in cards.items()]
        session.start("Pages and cards", len(keys))
        size = session.part_size
        parts = 0
        for start in range(0, len(keys), size):
            chunk = keys[start : start + size]
            live = await self.fetch(ctx, chunk)
            nodes = []
            for key in chunk:
                target, ident = _target_of(key)
                address = f"page_share.{target}.{ident}"
                share = live.get(address)
                if share is None:
                    session.warnings.append(f"{target} {ident}: not found in Domo; not exported")
                    continue
                part = ctx.unreadable_parts.get((address, "grants"))
                node = _export_node(share, session.warnings, None if part is None else part.text)
                if node is not None:
                    nodes.append(node)
            if chunk:
                parts += 1
                notes = [
                    f"Pages and cards {start + 1}-{start + len(chunk)} of {len(keys)}; each "
                    "grants list is authoritative (the owner is not a grant)."
                ]
                session.write_part(self.section, parts, nodes, notes, self.plural)
            session.advance(len(chunk))
        session.end_parts(self.section, parts)


def _export_node(
    share: PageShareLive, warnings: list[str], unreadable: str | None
) -> CommentedMap | None:
    target: Target = "card" if share.get("card") is not None else "page"
    ident = share[target]
    what = f"{target} {ident}"
    node = CommentedMap()
    node[target] = ident
    if share.get("name"):
        node["name"] = share["name"]
    if unreadable is not None:
        warnings.append(f"{what}: 'grants' not exported ({unreadable}); it stays unmanaged")
        return node if valid(PageShareSpec, node, what, warnings) else None
    grants = CommentedSeq()
    for who in share["grants"]:
        grant = principal_node(who)
        if grant is None:
            unwritable("grants", what, warnings)
            break
        grants.append(grant)
    else:
        node["grants"] = grants
    if not share.get("name"):
        add_comment(node, target, "")
    return node if valid(PageShareSpec, node, what, warnings) else None


def _granted_groups(share: Mapping[str, Any]) -> set[str]:
    # Grants read "group:<name>" (a page or card is opened, there is no level).
    return {g.removeprefix("group:") for g in share["grants"] if g.startswith("group:")}


KIND = PageShareKind()
