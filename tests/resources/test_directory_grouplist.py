"""grouplist read whole when the server caps its page size (issue 13 finding 4).

A short page is not the end of grouplist: a server may answer 30 groups whatever ``limit``
asks. Read as the end, the groups after it vanish: domogov then plans to create them again
("already exists") and shares to them fail.
"""

from __future__ import annotations

import httpx
import pytest
from test_directory_kit import GROUPLIST, Instance, directory, state_doc

from domogov.errors import ResponseFormatError
from domogov.resources.context import LiveContext
from domogov.resources.directory import GROUPLIST_PAGE, grouplist
from domogov.sim.routes.groups import GROUPLIST_CAP


def _active(instance: Instance) -> set[int]:
    return {g.id for g in instance.state.active_groups()}


@pytest.mark.parametrize("groups", [31, 95, 250])
async def test_a_grouplist_capped_at_30_per_page_is_read_whole(groups: int) -> None:
    instance = Instance(state_doc(users=20, groups=groups), ["grouplist_page_cap_30"])
    ctx = await directory(instance)
    assert set(ctx.groups_by_id) == _active(instance)
    assert not ctx.duplicate_groups
    pages = -(-len(_active(instance)) // GROUPLIST_CAP)
    # Every page, the empty one proving the end, and at most one window of pages asked for
    # speculatively past it.
    assert pages + 1 <= instance.count("GET", GROUPLIST) <= pages + 1 + 8


async def test_a_small_grouplist_costs_its_page_and_one_empty_page() -> None:
    instance = Instance(state_doc(users=20, groups=5))
    await directory(instance)
    offsets = [int(r.params["offset"]) for r in instance.sent("GET", GROUPLIST)]
    assert offsets == [0, 5]


async def test_a_large_uncapped_grouplist_is_read_in_windows_without_gaps() -> None:
    instance = Instance(state_doc(users=20, groups=3 * GROUPLIST_PAGE + 17))
    ctx = await directory(instance)
    assert set(ctx.groups_by_id) == _active(instance)
    offsets = sorted(int(r.params["offset"]) for r in instance.sent("GET", GROUPLIST))
    assert len(offsets) == len(set(offsets))
    # The last short page is followed by the exact offset after it: the empty page.
    assert len(_active(instance)) in offsets


async def test_a_grouplist_ignoring_offset_is_an_error_not_a_loop() -> None:
    page = [{"groupId": i, "name": f"g{i}"} for i in range(3)]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
    from domogov.client import DomoClient

    async with DomoClient("http://127.0.0.1", "t" * 20, transport=transport) as client:
        ctx = LiveContext(client=client, project=None)
        with pytest.raises(ResponseFormatError, match="ignore offset"):
            await grouplist(ctx)
        assert client.stats[f"GET {GROUPLIST}"] == 2
