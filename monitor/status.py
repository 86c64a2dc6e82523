"""status: the running daemon as the status server sees it (monitor.server.source.StatusSource)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.errors import StoreError
from monitor.health import feed_row
from monitor.metrics import Metrics
from monitor.server.destinations import DestinationRow, destination_rows
from monitor.server.rows import alert_rows, config_row, watchlist_rows
from monitor.server.source import AlertRow, ConfigRow, FeedRow, WatchlistRow

if TYPE_CHECKING:
    from monitor.daemon import Daemon

HITS_WINDOW = timedelta(hours=24)  # watchlist hit counts cover this much recent time
TICKS_LATE = 3  # the scheduler counts as stuck when it has not ticked for this many ticks


class DaemonStatus:
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @property
    def metrics(self) -> Metrics:
        return self._daemon.metrics

    async def feeds(self) -> list[FeedRow]:
        d = self._daemon
        try:  # the stored states: with several instances on one store, the others' polls too
            states = await d.store.feed_states()
        except StoreError:
            states = d.states
        rows = [feed_row(feed, states.get(feed.url)) for feed in d.settings.feeds]
        for row in rows:
            row["push"] = d.websub.describe(row["url"]) if d.websub else None
        return rows

    async def alerts(self, limit: int) -> list[AlertRow]:
        return await alert_rows(self._daemon.store, limit)

    async def watchlists(self) -> list[WatchlistRow]:
        d = self._daemon
        return await watchlist_rows(d.store, d.matcher.watchlists, d.clock.now() - HITS_WINDOW)

    async def destinations(self) -> list[DestinationRow]:
        d = self._daemon
        return destination_rows(d.settings, await d.store.disabled_destinations())

    def config_status(self) -> ConfigRow:
        return config_row(self._daemon.config_status)

    async def readiness(self) -> dict[str, bool]:
        d = self._daemon
        try:
            await d.store.outbox_counts()
            store = True
        except StoreError:
            store = False
        ticked = d.last_tick is not None and (
            d.clock.now() - d.last_tick <= timedelta(seconds=d.settings.tick * TICKS_LATE + 30)
        )
        # A failed reload leaves a valid configuration running: still ready, the error shows on /api/config.
        return {"store": store, "scheduler": ticked, "config": True}

    async def outbox_depth(self) -> dict[str, int]:
        return await self._daemon.store.outbox_counts()
