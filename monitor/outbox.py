"""outbox: alerts are queued in the store with the story that caused them, and a deliverer drains them.

A crash between detection and delivery loses nothing: the alert row was committed with the story. The
only possible repeat is a send whose success was not yet recorded, and it carries the same alert id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from monitor.clock import Clock
from monitor.deliver import Dead, Delivered, DeliveryOutcome, Disabled, Retry, Sink
from monitor.deliver import cadence as pace
from monitor.deliver.message import digest_message, notice_message, send_message
from monitor.deliver.notice import is_notice
from monitor.deliver.ops import OpsNotifier
from monitor.deliver.policy import DeliveryPolicy
from monitor.deliver.ratelimit import limiter_of
from monitor.errors import StoreError
from monitor.logs import log_event
from monitor.metrics import Metrics
from monitor.model import Alert, Hit, Story
from monitor.store import DisabledDestination, OutboxRow, Store

log = logging.getLogger("wiremon.outbox")

# Seconds to wait after the n-th failed attempt (the Standard Webhooks schedule); the last row repeats.
# A destination's `retry:` replaces it; every wait is jittered ±10 % (deliver/cadence.py).
RETRY_SCHEDULE: tuple[float, ...] = pace.STANDARD_RETRY
MIN_THROTTLE = 1.0  # seconds: a rate-limit answer asking for no wait at all still waits this long
BATCH = 200  # alerts read from the store per round
BLOCKED_RECHECK = 1.0  # seconds between claims of a destination another instance is sending for


def build_alerts(
    story: Story,
    cluster: str,
    hits: Sequence[Hit],
    destinations: Sequence[str],
    now: datetime,
    *,
    follow_up: bool = False,
    also_carried_by: tuple[str, ...] = (),
) -> list[Alert]:
    """One alert per destination that at least one matching watchlist sends to.

    The first alert of a cluster to a destination has the id of (cluster, destination); a `follow_up` — a
    later copy matching watchlists the cluster had not matched — adds those watchlists to the id.
    """
    alerts = []
    for destination in destinations:
        relevant = [h for h in hits if h.destinations is None or destination in h.destinations]
        if not relevant:
            continue
        terms = tuple(dict.fromkeys(term for hit in relevant for term in hit.terms))
        watchlists = tuple(sorted({h.watchlist for h in relevant}))
        identity = cluster + ("+" + ",".join(watchlists) if follow_up else "")
        alerts.append(
            Alert(
                id=Alert.make_id(identity, destination),
                destination=destination,
                story=story,
                watchlists=watchlists,
                terms=terms,
                detected_at=now,
                cluster=cluster,
                also_carried_by=also_carried_by,
            )
        )
    return alerts


def retry_delay(attempts: int, server_says: float | None, schedule: Sequence[float] = RETRY_SCHEDULE,
                key: str = "") -> float:  # fmt: skip
    """How long to wait after `attempts` failed sends (jittered by `key`); a server's Retry-After wins when longer."""
    return pace.retry_delay(attempts, server_says, schedule, key)


class Deliverer:
    """Sends due alerts: each destination in detection order, destinations independently of each other.

    Per destination, `policy` sets the retry schedule, a digest period and quiet hours (deliver/cadence.py);
    alerts it holds are postponed in the store, so a restart holds them just the same. A destination disabled by
    its answer stays disabled in the store until its config changes or an operator enables it again.

    Instances sharing a store take turns per destination: a drain sends only for the destinations it leased
    (store.claim_destinations), renews a lease past half its length, and gives them back when done — a rate
    limited destination only once its bucket would have refilled, so the next holder's fresh bucket is honest.
    """

    def __init__(
        self,
        store: Store,
        sinks: Mapping[str, Sink],
        clock: Clock,
        metrics: Metrics | None = None,
        *,
        policy: DeliveryPolicy | None = None,
        urgent: Callable[[], frozenset[str]] = frozenset,
        digests: Callable[[], Mapping[str, float]] = dict,
        owner: str = "local",
        lease: float = 60.0,
    ) -> None:
        self.store = store
        self.owner = owner  # this instance's lease holder id
        self.lease = lease
        self.leases: dict[str, datetime] = {}  # destination → until when this drain holds it
        self.blocked: set[str] = set()  # destinations another instance was sending for at the last claim
        self._last_send: dict[str, datetime] = {}  # kept across drains: a later release must not free a bucket early
        self.metrics = metrics or Metrics()
        self.sinks = dict(sinks)
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        self.urgent = urgent  # names of the watchlists marked urgent, read per round (a reload may change them)
        self.digests = digests  # watchlist → its own digest period (seconds), read per round likewise
        self.disabled: dict[str, str] = {}  # destination → why it was disabled (the store's table, cached)
        self.held: dict[str, datetime] = {}  # destination → when its rate limit lets the next alert go
        self.ops = OpsNotifier(store, clock, lambda: self.policy.ops, self.wake)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def replace_sinks(self, sinks: Mapping[str, Sink], keep_disabled: set[str]) -> None:
        """New destinations after a reload; one that was disabled stays so only if its config is unchanged."""
        self.sinks = dict(sinks)
        self.disabled = {name: why for name, why in self.disabled.items() if name in keep_disabled}

    async def configure(self, policy: DeliveryPolicy) -> None:
        """Take a (new) policy; a stored disabled destination whose config has changed since is enabled again."""
        self.policy = policy
        for name, stored in (await self.store.disabled_destinations()).items():
            current = policy.fingerprints.get(name)
            if current is not None and current != stored.fingerprint:
                await self.store.enable_destination(name)
                log_event(log, "destination.enabled", destination=name, why="its config changed")
        await self._refresh_disabled()
        self.wake()

    async def _refresh_disabled(self) -> None:
        """The store is the truth (`wiremon alerts --enable` edits it from another process)."""
        self.disabled = {name: d.reason for name, d in (await self.store.disabled_destinations()).items()}

    async def drain(self) -> int:
        """Send everything due now for the destinations this instance can lease; returns how many were delivered."""
        try:
            return await self._drain()
        finally:
            await self._release()

    async def _claim(self, destinations: list[str], now: datetime) -> list[str]:
        held = await self.store.claim_destinations(self.owner, destinations, now, self.lease) if destinations else []
        self.leases.update((d, now + timedelta(seconds=self.lease)) for d in held)
        return held

    async def _release(self) -> None:
        now = self.clock.now()
        until = {}
        for destination in self.leases:
            free = max(now, self.held.get(destination, now))
            limiter = limiter_of(self.sinks[destination]) if destination in self.sinks else None
            if limiter and (last := self._last_send.get(destination)):
                free = max(free, last + timedelta(seconds=limiter.burst / limiter.rate_per_s))
            until[destination] = free
        self.leases = {}
        try:
            await self.store.release_destinations(self.owner, until)
        except StoreError as exc:  # the leases run out by themselves
            log_event(log, "destination.release_failed", logging.WARNING, reason=str(exc))

    async def _drain(self) -> int:
        delivered = 0
        await self._refresh_disabled()
        while True:
            now = self.clock.now()
            wanted = [d for d in self.sinks if self._sendable(d, now)]
            if not wanted or not await self.store.due_alerts(now, 1, wanted):
                return delivered  # nothing to send: no leases taken, nothing written
            held = await self._claim(wanted, now)
            self.blocked = set(wanted) - set(held)
            rows = await self.store.due_alerts(now, BATCH, held) if held else []  # read under the lease
            if not rows:
                return delivered
            by_destination: dict[str, list[OutboxRow]] = {}
            for row in rows:
                by_destination.setdefault(row.alert.destination, []).append(row)
            results = await asyncio.gather(*(self._send_in_order(d, rs) for d, rs in by_destination.items()))
            delivered += sum(sent for sent, _ in results)
            if not any(progress for _, progress in results):
                return delivered

    def _sendable(self, destination: str, now: datetime) -> bool:
        held = self.held.get(destination)
        return destination in self.sinks and destination not in self.disabled and (held is None or held <= now)

    async def _send_in_order(self, destination: str, rows: list[OutboxRow]) -> tuple[int, bool]:
        """Returns (delivered, whether every row was settled so another round may find more)."""
        sink = self.sinks[destination]
        cadence = self.policy.cadence(destination)
        plan = pace.plan(rows, cadence, self.clock.now(), self.urgent(), self.digests())
        for until, ids in plan.hold.items():
            await self.store.postpone(ids, until)
            log_event(log, "alert.held", logging.DEBUG, destination=destination, alerts=len(ids),
                      until=until.isoformat(timespec="seconds"))  # fmt: skip
        limiter = limiter_of(sink)
        sent = 0
        for unit in plan.send:
            if limiter and (wait := limiter.delay(self.clock.now())) > 0:
                self.held[destination] = self.clock.now() + timedelta(seconds=wait)  # not a failed attempt
                return sent, False
            if not await self._still_held(destination):
                return sent, False
            unit_rows = unit.rows if isinstance(unit, pace.Batch) else [unit.row]
            outcome = await self._send_unit(sink, unit)
            now = self.clock.now()
            self._last_send[destination] = now
            if limiter:
                limiter.spend(now)
            match outcome:
                case Delivered():
                    if isinstance(unit, pace.Batch):
                        await self.store.mark_delivered_together([row.alert.id for row in unit_rows], now)
                    else:
                        await self.store.mark_delivered(unit.row.alert.id, now)
                    for row in unit_rows:
                        latency = (now - row.alert.detected_at).total_seconds()
                        self.metrics.alert(destination, "delivered", latency=latency)
                        log_event(log, "alert.delivered", destination=destination, alert=row.alert.id,
                                  latency=f"{latency:.3f}s")  # fmt: skip
                    sent += len(unit_rows)
                case Dead(reason=reason):
                    for row in unit_rows:
                        await self.store.mark_dead(row.alert.id, reason)
                    self.metrics.alert(destination, "dead")
                    log_event(log, "alert.dead", logging.ERROR, destination=destination, reason=reason)
                case Retry(reason=reason, after=after, throttled=throttled):
                    first = unit_rows[0]
                    delay = retry_delay(first.attempts + 1, after, cadence.retry, first.alert.id)
                    if throttled:  # "too many": exactly as long as it asked, and the whole destination waits
                        delay = max(after if after is not None else delay, MIN_THROTTLE)
                        if limiter:
                            limiter.hold(now, delay)
                        self.held[destination] = now + timedelta(seconds=delay)
                    # later rows of this destination (the rest of a digest too) wait behind the first one
                    await self.store.mark_retry(first.alert.id, now + timedelta(seconds=delay), reason)
                    self.metrics.alert(destination, "retry")
                    log_event(log, "alert.retry", logging.WARNING, destination=destination, reason=reason,
                              retry_in=f"{delay:.0f}s")
                    return sent, False
                case Disabled(reason=reason):
                    await self._disable(destination, reason, now)
                    return sent, True  # its rows are no longer due; the ops notice it queued may be
        return sent, True  # held rows were postponed: no longer due

    async def _send_unit(self, sink: Sink, unit: pace.Unit) -> DeliveryOutcome:
        if isinstance(unit, pace.Batch):
            alerts = [row.alert for row in unit.rows]
            return await send_message(sink, digest_message(unit.id, sink.name, alerts, self.clock.now()))
        if is_notice(unit.row.alert):
            return await send_message(sink, notice_message(unit.row.alert))
        return await sink.send(unit.row.alert)

    async def _disable(self, destination: str, reason: str, now: datetime) -> None:
        fingerprint = self.policy.fingerprints.get(destination, "")
        await self.store.disable_destination(DisabledDestination(destination, reason, now, fingerprint))
        self.disabled[destination] = reason
        self.metrics.alert(destination, "disabled")
        log_event(log, "destination.disabled", logging.ERROR, destination=destination, reason=reason,
                  note="alerts stay queued until its config changes or `wiremon alerts --enable` names it")
        await self.ops.destination_disabled(destination, reason, fingerprint)

    async def _still_held(self, destination: str) -> bool:
        """Renew the destination's lease once half of it is gone; False if another instance has taken it."""
        now = self.clock.now()
        if now < self.leases[destination] - timedelta(seconds=self.lease / 2):
            return True
        if await self._claim([destination], now):
            return True
        del self.leases[destination]
        log_event(log, "destination.lease_lost", logging.WARNING, destination=destination,
                  note="another instance took over after the lease ran out")  # fmt: skip
        return False

    async def run(self, stop: asyncio.Event, idle: float = 30.0) -> None:
        """Drain whenever woken or when the next retry falls due, until `stop` is set."""
        while not stop.is_set():
            self._wake.clear()  # before draining, so a wake during the drain is not lost
            await self.drain()
            wait = idle
            now = self.clock.now()
            self.held = {d: until for d, until in self.held.items() if until > now}
            # Only future times wake us: an alert already due but not sendable (its destination disabled,
            # removed or held) would otherwise spin this loop.
            for due in (await self.store.next_attempt(now), *self.held.values()):
                if due is not None and due > now:
                    wait = min(wait, max((due - now).total_seconds(), 0.05))
            if self.blocked:  # another instance is sending for these: its alerts may soon be ours to send
                wait = min(wait, BLOCKED_RECHECK)
            stopping = asyncio.ensure_future(stop.wait())
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({stopping, woken}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                woken.cancel()
