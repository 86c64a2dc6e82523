"""The store interface: what the daemon keeps between polls and across restarts.

SQLite (one instance) and PostgreSQL (one or several instances sharing it) implement it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.model import Alert, Story


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's poll schedule and health, stored with the feed."""

    url: str
    name: str
    interval: float
    next_poll: datetime
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    primed: bool = False
    consecutive_errors: int = 0
    last_status: str | None = None
    last_error: str | None = None
    last_polled: datetime | None = None
    last_success: datetime | None = None
    items_seen: int = 0
    fetch_url: str | None = None  # where the feed now lives, once a permanent redirect was adopted
    redirect_candidate: str | None = None  # a permanent redirect seen on the last polls, not yet adopted
    redirect_count: int = 0  # consecutive polls that saw redirect_candidate

    @property
    def gone(self) -> bool:
        """The publisher answered 410 Gone: the feed is not polled again until an operator says so."""
        return self.last_status == "gone"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A WebSub subscription of one feed at one hub (monitor/websub/), kept across restarts."""

    feed_url: str  # the configured feed it pushes
    topic: str  # the feed's self URL, as subscribed
    hub: str
    callback_id: str  # the opaque last part of the callback URL, /websub/<callback_id>
    secret: str  # hub.secret: content must be signed with it
    state: str  # pending | active | expired | denied | failed | unsubscribing
    next_attempt: datetime  # when the subscriber acts next: subscribe, renew, retry, or give up waiting
    lease_seconds: int | None = None  # as the hub granted it
    expires_at: datetime | None = None  # the end of the lease of an active subscription
    requested_at: datetime | None = None  # a request the hub has still to verify was sent then
    attempts: int = 0  # requests in a row that did not end in a verified subscription
    last_error: str | None = None
    hubs: tuple[str, ...] = ()  # every hub the feed names, `hub` among them: the others are tried if it fails


@dataclass(frozen=True, slots=True)
class SeenStory:
    """A story recorded as seen, with its cluster and the watchlists it matched."""

    story: Story
    identity: str
    cluster: str
    watchlists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    alert: Alert
    status: str  # pending | delivered | dead
    attempts: int
    next_attempt: datetime
    last_error: str | None
    seq: int


@dataclass(frozen=True, slots=True)
class Thread:
    """The first message of a cluster in a threaded destination: later ones of the cluster reply to it."""

    cluster: str
    destination: str
    channel: str  # where it was posted (Slack: the channel id)
    ts: str  # its id in the channel (Slack: the message ts, which replies send as thread_ts)
    alert_id: str  # the alert it carried
    created_at: datetime


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def feed_states(self) -> dict[str, FeedState]: ...

    async def feed_state(self, url: str) -> FeedState | None:
        """One feed's stored state, if the store has it."""
        ...

    async def save_feed_state(self, state: FeedState) -> None:
        """Insert or overwrite the feed's row; frees its lease (the poll that held it is over)."""
        ...

    async def add_feeds(self, states: Sequence[FeedState]) -> None:
        """Insert the feeds the store lacks; a row that exists (another instance's, say) is left alone."""
        ...

    async def due_feeds(self, now: datetime) -> list[str]:
        """URLs of the feeds due by `now` that nobody holds a lease on and that are not gone, most overdue first:
        the candidates a tick then claims (the claim checks each again)."""
        ...

    async def claim_due_feeds(
        self, owner: str, urls: Sequence[str], now: datetime, lease: float, limit: int
    ) -> list[FeedState]:
        """Lease to `owner` until now + `lease` seconds up to `limit` of these feeds that are due, not gone and not
        leased (or whose lease ran out), most overdue first; returns their stored states. Two owners never get
        the same feed while its lease runs; saving the feed's state frees it."""
        ...

    async def known_items(self, feed_url: str, item_ids: list[str]) -> set[str]: ...

    async def find_identity(self, identities: list[str], since: datetime) -> dict[str, str]:
        """identity → cluster, for stories seen since `since`."""
        ...

    async def stories_since(self, since: datetime) -> list[tuple[Story, str]]:
        """Stories seen since `since` with their clusters, in arrival order (to rebuild dedup state)."""
        ...

    async def cluster_watchlists(self, clusters: list[str]) -> dict[str, set[str]]:
        """The watchlists already matched by each cluster's stories."""
        ...

    async def record_poll(self, state: FeedState, seen: list[SeenStory], alerts: list[Alert]) -> int:
        """In one transaction: the feed's new state, the stories now seen, and their alerts (an alert id
        already in the outbox is left alone). Returns how many alerts were newly queued."""
        ...

    async def cluster_destinations(self, clusters: list[str]) -> dict[str, set[str]]:
        """cluster → the destinations it has alerts for in the outbox, whatever their state."""
        ...

    async def thread(self, cluster: str, destination: str) -> Thread | None:
        """The cluster's thread in the destination, once its first message was posted."""
        ...

    async def save_thread(self, thread: Thread) -> Thread:
        """Remember a cluster's thread unless it has one already; returns the one kept."""
        ...

    async def release_feeds(self, owner: str) -> None:
        """Free the feed leases `owner` still holds (it is stopping): the others need not wait for them to run out."""
        ...

    def detection(self) -> AbstractAsyncContextManager[None]:
        """Held around "catch up, decide what is new, record it": one instance at a time, across every instance
        sharing the store (PostgreSQL: a transaction-scoped advisory lock; SQLite: one process, nothing to do)."""
        ...

    async def stories_after(
        self, mark: int, since: datetime, exclude: Sequence[str] = ()
    ) -> tuple[list[tuple[Story, str]], int]:
        """Stories recorded after arrival number `mark` and fetched since `since`, in arrival order, with their
        clusters, leaving out the story keys in `exclude`; and the newest arrival number (the next mark)."""
        ...

    async def claim_destinations(
        self, owner: str, destinations: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        """Lease these destinations to `owner` until now + `lease` seconds where free, expired or already its
        own (a renewal); returns the ones it holds now. Only the holder sends a destination's alerts."""
        ...

    async def release_destinations(self, owner: str, until: Mapping[str, datetime]) -> None:
        """Give the destinations back: others may claim each from `until[destination]` on (`owner` at once)."""
        ...

    async def due_alerts(
        self, now: datetime, limit: int, destinations: Sequence[str] | None = None
    ) -> list[OutboxRow]:
        """Pending alerts due by `now` in detection order (only these destinations', unless None)."""
        ...

    async def mark_delivered(self, alert_id: str, now: datetime) -> None: ...

    async def mark_retry(self, alert_id: str, next_attempt: datetime, error: str) -> None: ...

    async def mark_dead(self, alert_id: str, error: str) -> None: ...

    async def outbox_counts(self) -> dict[str, int]: ...

    async def next_attempt(self, after: datetime) -> datetime | None:
        """When the earliest pending alert falls due after `after`, if any."""
        ...

    # --- read-only views for the status server ---------------------------------------------------------

    async def list_alerts(self, statuses: Sequence[str], limit: int) -> list[OutboxRow]:
        """Outbox rows in these states ("failed": pending after at least one failed attempt), newest first."""
        ...

    async def requeue(self, alert_ids: Sequence[str] | None, now: datetime) -> int:
        """Make alerts due now again (None: every dead one); returns how many."""
        ...

    async def drop(self, alert_ids: Sequence[str]) -> int:
        """Give up on pending or dead alerts: they are kept, marked dropped, and never sent."""
        ...

    async def recent_alerts(self, limit: int) -> list[AlertRecord]:
        """Every outbox row of the `limit` most recently detected clusters, newest first."""
        ...

    async def cluster_stories(self, clusters: list[str]) -> dict[str, list[Story]]:
        """cluster → the stories seen in it, first seen first (a cluster's copies carried by other feeds)."""
        ...

    async def watchlist_hits(self, since: datetime) -> dict[str, int]:
        """watchlist name → how many stories seen since `since` matched it."""
        ...

    # --- WebSub subscriptions ----------------------------------------------------------------------------

    async def subscriptions(self) -> list[Subscription]:
        """Every stored WebSub subscription, by feed URL."""
        ...

    async def save_subscription(self, subscription: Subscription) -> None:
        """Insert or replace the feed's subscription (one per feed)."""
        ...

    async def delete_subscription(self, feed_url: str) -> None: ...

    # --- delivery: disabled destinations, operator notices, held alerts ----------------------------------

    async def disable_destination(self, disabled: DisabledDestination) -> None:
        """Record (or update) a destination as disabled; `due_alerts` then leaves its alerts pending."""
        ...

    async def enable_destination(self, name: str) -> bool:
        """Forget that a destination was disabled; returns whether it was."""
        ...

    async def disabled_destinations(self) -> dict[str, DisabledDestination]: ...

    async def enqueue(self, alerts: Sequence[Alert]) -> int:
        """Queue alerts that no poll caused (operator notices); an id already in the outbox is left alone.
        Returns how many were newly queued."""
        ...

    async def mark_delivered_together(self, alert_ids: Sequence[str], now: datetime) -> None:
        """`mark_delivered` for the alerts of one digest, in one transaction: a crash never leaves half of a sent
        digest pending (it would be sent again, under another id)."""
        ...

    async def postpone(self, alert_ids: Sequence[str], until: datetime) -> None:
        """Hold pending alerts until `until` (quiet hours, a digest window), without counting an attempt."""
        ...


@dataclass(frozen=True, slots=True)
class DisabledDestination:
    """A destination that answered it is gone: not sent to until its config changes or an operator enables it."""

    name: str
    reason: str
    since: datetime
    fingerprint: str  # digest of the destination's config when it was disabled


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An outbox row as the status page shows it: the alert, where it stands, when it went out."""

    alert: Alert
    status: str  # pending | delivered | dead
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    seq: int
