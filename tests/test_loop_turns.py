"""A feed with thousands of new items must not hold the event loop while the daemon records it.

The store below is the real SQLite store with a window on it: the window opens when the big poll's item ids
have been looked up (detection begins: cluster, match, build alerts) and closes when the poll is recorded.
A heartbeat task counts the loop turns it gets while the window is open. Counting turns rather than time keeps
the assertion free of timing: a pipeline that handled the 5,000 stories without yielding would give the
heartbeat one turn at most, however fast or slow the machine.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from io import StringIO
from pathlib import Path
from typing import TypeVar

import pytest

from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.model import Alert, Story
from monitor.settings import FeedConfig, ServerConfig, Settings
from monitor.store import FeedState, SeenStory
from monitor.store.sqlite import SQLiteStore
from tests.wire import Item, Wire

T = TypeVar("T")
ITEMS = 5_000
TURNS = ITEMS // 64  # at least one turn per 64 stories handled (the pipeline yields every 64, in each pass)
WATCHLIST = """\
watchlists:
  - name: dprk
    query: 'Pyongyang'
"""


class WindowedStore(SQLiteStore):
    """The SQLite store, with `detecting` set from the big poll's id lookup until its record_poll."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.detecting = asyncio.Event()
        self.recorded: list[int] = []  # stories per record_poll

    async def known_items(self, feed_url: str, item_ids: list[str]) -> set[str]:
        known = await super().known_items(feed_url, item_ids)
        if len(item_ids) >= ITEMS:
            self.detecting.set()
        return known

    async def cluster_watchlists(self, clusters: list[str]) -> dict[str, set[str]]:
        return await self._shut(super().cluster_watchlists(clusters))

    async def cluster_stories(self, clusters: list[str]) -> dict[str, list[Story]]:
        return await self._shut(super().cluster_stories(clusters))

    async def _shut(self, call: Awaitable[T]) -> T:  # the store's own awaits are not the pipeline yielding
        was_open = self.detecting.is_set()
        self.detecting.clear()
        try:
            return await call
        finally:
            if was_open:
                self.detecting.set()

    async def record_poll(self, state: FeedState, seen: list[SeenStory], alerts: list[Alert]) -> int:
        self.detecting.clear()
        self.recorded.append(len(seen))
        return await super().record_poll(state, seen, alerts)


def stories(count: int) -> list[Item]:
    """Distinct items (no two are near-duplicates); every 500th mentions Pyongyang."""
    pick = random.Random(5)
    vocabulary = ["".join(pick.choices("abcdefghijklmnoprstuvwy", k=7)) for _ in range(3_000)]
    return [
        Item(
            guid=f"big-{n}",
            title=("Pyongyang " if n % 500 == 0 else "") + " ".join(pick.choices(vocabulary, k=9)),
            summary=" ".join(pick.choices(vocabulary, k=30)),
        )
        for n in range(count)
    ]


async def heartbeat(store: WindowedStore, turns: list[int]) -> None:
    while True:
        await store.detecting.wait()
        turns[0] += 1
        await asyncio.sleep(0)


@pytest.mark.parametrize("parse_workers", [0, 1])
async def test_loop_turns_while_5000_new_stories_are_recorded(tmp_path: Path, wire: Wire, parse_workers: int) -> None:
    (tmp_path / "watchlists.yaml").write_text(WATCHLIST, encoding="utf-8")
    url = wire.url("/feeds/big")
    settings = Settings(
        feeds=[FeedConfig(url=url, name="big", interval=60)], watchlists=Path("watchlists.yaml"),
        store="state.db", base_dir=tmp_path, server=ServerConfig(listen="off"), parse_workers=parse_workers,
    )  # fmt: skip
    items = stories(ITEMS + 1)
    store = WindowedStore(tmp_path / "state.db")
    clock = FakeClock()
    turns = [0]
    async with Daemon(settings, clock=clock, console=StringIO(), store=store) as daemon:
        wire.feeds["big"] = items[:1]
        clock.set(daemon.states[url].next_poll)
        await daemon.poll_due()  # primes the feed with one item
        wire.feeds["big"] = items
        clock.set(daemon.states[url].next_poll)
        beating = asyncio.create_task(heartbeat(store, turns))
        try:
            [report] = await daemon.poll_due()
        finally:
            beating.cancel()
        recorded = await store.known_items(url, [i.guid for i in items])
        state = daemon.states[url]
    assert (report.status, report.new_stories) == ("ok", ITEMS)
    assert store.recorded == [1, ITEMS]
    assert len(recorded) == ITEMS + 1 and state.items_seen == ITEMS + 1
    assert report.alerts == ITEMS // 500  # matching ran on every story: Pyongyang in items 500, 1000, …
    assert turns[0] >= TURNS, f"the loop turned {turns[0]} times while 5,000 stories were handled"

