"""What the status server reads, and in which shape. The daemon implements `StatusSource`; tests use a fake.

Rows are plain dicts (JSON as they are, datetimes aside), typed so both sides agree on every key.
"""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired, Protocol, TypedDict

from monitor.metrics import Metrics


class FeedRow(TypedDict):
    """One configured feed and its health (the shape of `monitor.health.feed_rows`)."""

    name: str
    url: str
    fetched_from: str  # where it is polled: the url, or where a permanent redirect moved it
    status: str  # "ok", "failing ×3", "GONE (not polled)", "not polled yet"
    last_success: datetime | None
    last_error: str | None
    consecutive_errors: int
    next_poll: datetime | None
    items_seen: int
    push: NotRequired[str | None]  # the running daemon's WebSub subscription, if any (monitor/websub/)


class DeliveryRow(TypedDict):
    destination: str
    status: str  # pending | delivered | dead
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class AlertRow(TypedDict):
    """One alerted cluster: the story that raised it, its deliveries, and the feeds that carried copies."""

    cluster: str
    title: str
    link: str
    source: str
    published: datetime
    detected_at: datetime
    watchlists: list[str]
    terms: list[str]
    deliveries: list[DeliveryRow]
    also_carried_by: list[str]  # other sources with a copy of the story


class WatchlistRow(TypedDict):
    name: str
    destinations: list[str] | None  # None: every destination
    hits: int  # stories matched since `hits_since`
    hits_since: datetime


class ProblemRow(TypedDict):
    """One problem in a config or watchlist file (`monitor.errors.Problem`)."""

    file: str | None
    line: int | None
    column: int | None
    field: str | None
    message: str


class ConfigRow(TypedDict):
    """The config in force, and whether the last attempt to (re)load it succeeded."""

    path: str | None
    loaded_at: datetime
    ok: bool
    problems: list[ProblemRow]  # why the last reload failed; empty when ok


class StatusSource(Protocol):
    """What the daemon shows the status server. Calls are cheap reads; none of them may block the loop."""

    @property
    def metrics(self) -> Metrics: ...

    async def feeds(self) -> list[FeedRow]: ...

    async def alerts(self, limit: int) -> list[AlertRow]:
        """The `limit` most recently alerted clusters, newest first."""
        ...

    async def watchlists(self) -> list[WatchlistRow]: ...

    def config_status(self) -> ConfigRow: ...

    async def readiness(self) -> dict[str, bool]:
        """check name → passing, e.g. {"store": True, "scheduler": True, "config": True}."""
        ...

    async def outbox_depth(self) -> dict[str, int]:
        """Outbox rows by status (Store.outbox_counts()); read on every scrape of /metrics."""
        ...
