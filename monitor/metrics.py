"""metrics: what the daemon counts, for Prometheus. One `Metrics` per daemon, each with its own registry.

The pipeline, the deliverer and the daemon call the methods below; `/metrics` serves `render()`.
Label values are a small closed set (outcomes, destinations, watchlists from the config), never URLs or titles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from monitor.logs import log_event

log = logging.getLogger("wiremon.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST  # of `render()`'s bytes

# Label values created up front, so a dashboard sees a 0 rather than no series before the first event.
POLL_OUTCOMES = ("ok", "not-modified", "unchanged", "rate-limited", "gone", "failed")  # PollReport.status
ALERT_OUTCOMES = ("delivered", "retry", "dead", "disabled")  # the deliverer's outcome types
OUTBOX_STATUSES = ("pending", "delivered", "dead")  # the outbox table's status column
RELOAD_RESULTS = ("applied", "failed")
PUSH_OUTCOMES = ("accepted", "bad-signature", "unknown-callback")  # WebSub content distributions received

# Bucket bounds in seconds, per histogram.
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)  # one fetch + parse + record
DELIVERY_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 15, 30, 60, 300, 900, 3600, 14400)  # detected → delivered, retries incl.
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)  # a healthy loop stays under 10 ms


class Metrics:
    def __init__(self, namespace: str = "wiremon") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r, ns = self.registry, namespace
        self._polls = Counter("polls", "Feed polls, by outcome", ["outcome"], namespace=ns, registry=r)
        self._poll_seconds = Histogram(
            "poll_seconds", "Time one feed poll took", namespace=ns, registry=r, buckets=POLL_BUCKETS
        )
        self._parse_errors = Counter("parse_errors", "Feed bodies that could not be parsed", namespace=ns, registry=r)
        self._stories = Counter("stories", "New stories seen", namespace=ns, registry=r)
        self._matches = Counter("matches", "Stories matched, by watchlist", ["watchlist"], namespace=ns, registry=r)
        self._duplicates = Counter("duplicates", "Stories collapsed into an existing cluster", namespace=ns, registry=r)
        self._alerts = Counter(
            "alerts", "Alert send attempts, by destination and outcome", ["destination", "outcome"],
            namespace=ns, registry=r,
        )  # fmt: skip
        self._delivery_seconds = Histogram(
            "delivery_seconds", "From detection to delivery of an alert", namespace=ns, registry=r,
            buckets=DELIVERY_BUCKETS,
        )  # fmt: skip
        self._outbox = Gauge("outbox_depth", "Alerts in the outbox, by status", ["status"], namespace=ns, registry=r)
        self._lag = Gauge("event_loop_lag_seconds", "How late the last loop wake-up fired", namespace=ns, registry=r)
        self._lag_seen = Histogram(
            "event_loop_wakeup_lag_seconds", "How late loop wake-ups fire", namespace=ns, registry=r,
            buckets=LAG_BUCKETS,
        )  # fmt: skip
        self._reloads = Counter("config_reloads", "Config reloads, by result", ["result"], namespace=ns, registry=r)
        self._pushes = Counter(
            "websub_pushes", "Feed bodies WebSub hubs pushed, by outcome", ["outcome"], namespace=ns, registry=r
        )
        self._zero_series()

    def _zero_series(self) -> None:
        for outcome in POLL_OUTCOMES:
            self._polls.labels(outcome=outcome)
        for status in OUTBOX_STATUSES:
            self._outbox.labels(status=status)
        for result in RELOAD_RESULTS:
            self._reloads.labels(result=result)
        for outcome in PUSH_OUTCOMES:
            self._pushes.labels(outcome=outcome)

    # --- polling (daemon / pipeline) -------------------------------------------------------------------

    def poll(self, outcome: str, seconds: float) -> None:
        """One feed poll finished with `outcome` (a PollReport.status) after `seconds`."""
        self._polls.labels(outcome=outcome).inc()
        self._poll_seconds.observe(seconds)

    def push(self, outcome: str) -> None:
        """A hub pushed a body: "accepted" (signed right, processed), "bad-signature" or "unknown-callback"."""
        self._pushes.labels(outcome=outcome).inc()

    def parse_error(self) -> None:
        self._parse_errors.inc()

    def stories(self, count: int) -> None:
        """`count` stories were new to the store."""
        if count:
            self._stories.inc(count)

    def matched(self, watchlists: Iterable[str]) -> None:
        """One story matched these watchlists."""
        for name in watchlists:
            self._matches.labels(watchlist=name).inc()

    def duplicates(self, count: int) -> None:
        """`count` stories joined a cluster another story started."""
        if count:
            self._duplicates.inc(count)

    # --- delivery (deliverer) --------------------------------------------------------------------------

    def alert(self, destination: str, outcome: str, *, latency: float | None = None) -> None:
        """One send to `destination` ended with `outcome`; a delivered alert gives its detection → delivery time."""
        self._alerts.labels(destination=destination, outcome=outcome).inc()
        if latency is not None:
            self._delivery_seconds.observe(max(latency, 0.0))

    def outbox(self, counts: Mapping[str, int]) -> None:
        """The outbox's rows by status (Store.outbox_counts()); a status absent from `counts` is 0."""
        for status in {*OUTBOX_STATUSES, *counts}:
            self._outbox.labels(status=status).set(counts.get(status, 0))

    # --- the daemon ------------------------------------------------------------------------------------

    def config_reload(self, applied: bool) -> None:
        self._reloads.labels(result="applied" if applied else "failed").inc()

    def loop_lag(self, seconds: float) -> None:
        self._lag.set(seconds)
        self._lag_seen.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (content type: CONTENT_TYPE)."""
        return generate_latest(self.registry)


class LoopLagMonitor:
    """Wakes every `interval` seconds and reports how late the wake-up fired: a blocked event loop shows here.

    `clock` and `sleep` default to the running loop's; tests give their own.
    """

    def __init__(
        self,
        metrics: Metrics,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.metrics = metrics
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="wiremon-loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})  # our own cancellation, if any, still propagates from here
        if not task.cancelled() and (exc := task.exception()) is not None:
            raise exc  # a bug in the monitor: do not hide it

    async def _run(self) -> None:
        clock = self._clock or asyncio.get_running_loop().time
        while True:
            due = clock() + self.interval
            await self._sleep(self.interval)
            lag = max(clock() - due, 0.0)
            self.metrics.loop_lag(lag)
            if lag > max(self.interval, 0.5):
                log_event(log, "loop.lagging", logging.WARNING, lag=f"{lag:.3f}s",
                          note="something blocked the event loop")  # fmt: skip
