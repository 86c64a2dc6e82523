"""daemon: the one owner of the lifecycle. It builds the long-lived objects — store, HTTP session, parse
pool, sinks, matcher, scheduler, deliverer — runs them, and tears them down in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import sys
import time
from collections import deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TextIO
from urllib.parse import urlsplit

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from watchfiles import awatch

from monitor import schedule
from monitor.clock import Clock, SystemClock
from monitor.config import load_all
from monitor.dedup import Clusterer, DedupConfig
from monitor.deliver import build_sinks
from monitor.deliver.policy import DeliveryPolicy
from monitor.errors import ConfigError, Problem, StoreError
from monitor.fetch import Fetcher, make_session
from monitor.logs import log_event
from monitor.match import Matcher, load_watchlists
from monitor.metrics import LoopLagMonitor, Metrics
from monitor.outbox import Deliverer
from monitor.pipeline import Pipeline, PollReport
from monitor.server import build_app
from monitor.server.run import RunningServer, start_server
from monitor.settings import FeedConfig, Settings
from monitor.status import DaemonStatus
from monitor.store import FeedState, Store, describe_location, open_store
from monitor.websub import HubClient, Subscriber
from monitor.websub.lease import poll_interval
from monitor.worker import ParsePool, default_workers

log = logging.getLogger("wiremon.daemon")

SHUTDOWN_DEADLINE = 20.0  # seconds in-flight polls and deliveries get to finish on a stop
WATCH_DEBOUNCE_MS = 400  # file changes closer together than this are one reload (editors write in steps)


def instance_id() -> str:
    """host:pid:random — unique among instances sharing a store, and readable in its lease columns."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ConfigStatus:
    """The config in force, and the outcome of the last attempt to load it."""

    path: Path | None
    loaded_at: datetime
    ok: bool = True
    problems: tuple[Problem, ...] = ()


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        config_path: Path | None = None,
        matcher: Matcher | None = None,
        clock: Clock | None = None,
        console: TextIO | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path  # reloads read it again; None: no reloads
        self.clock = clock or SystemClock()
        self.console = console or sys.stdout
        self.matcher = matcher or load_watchlists(settings.watchlists_path)
        self.store = store or open_store(settings.store_location)
        self.states: dict[str, FeedState] = {}
        self.instance = instance_id()  # who holds this process's leases in a shared store
        self._stack = AsyncExitStack()
        self._session: aiohttp.ClientSession | None = None
        self._pipeline: Pipeline | None = None
        self._deliverer: Deliverer | None = None
        self._polls = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}  # politeness: a few requests in flight per host
        self._ticking: asyncio.Task[list[PollReport]] | None = None
        self._subscribing: asyncio.Task[None] | None = None  # WebSub requests to hubs, one round at a time
        self.config_status = ConfigStatus(config_path, self.clock.now())
        self._reloading = asyncio.Lock()
        self.reloaded = asyncio.Event()  # set after every reload attempt, applied or not (for waiters)
        self.metrics = Metrics()
        self.last_tick: datetime | None = None
        self.ticked = asyncio.Event()  # set on every scheduler tick (for waiters)
        self.server: RunningServer | None = None
        self.websub: Subscriber | None = None
        self._feed_locks: dict[str, asyncio.Lock] = {}  # a poll and a pushed body of one feed take turns

    # --- lifecycle -------------------------------------------------------------------------------------

    async def __aenter__(self) -> Daemon:
        stack = self._stack
        await self.store.open()
        stack.push_async_callback(self.store.close)
        stack.push_async_callback(self._release_feeds)
        workers = self.settings.parse_workers
        pool = ParsePool(default_workers() if workers is None else workers)
        stack.callback(pool.close)
        self._session = make_session(limit_per_host=self.settings.per_host)
        stack.push_async_callback(self._session.close)
        sinks = build_sinks(self.settings.effective_destinations(), self._session, self.clock, self.console, self.store)
        self._deliverer = Deliverer(
            self.store, sinks, self.clock, self.metrics, urgent=self._urgent, digests=self._digests,
            owner=self.instance, lease=self.settings.lease,
        )
        await self._deliverer.configure(DeliveryPolicy.of(self.settings))
        clusterer, mark = await self._clusterer()
        self._pipeline = Pipeline(
            metrics=self.metrics,
            store=self.store,
            fetcher=Fetcher(self._session, clock=self.clock),
            parse_pool=pool,
            matcher=lambda: self.matcher,
            destinations=lambda: [d.name for d in self.settings.effective_destinations()],
            clock=self.clock,
            clusterer=clusterer,
            story_mark=mark,
            threaded=lambda: [d.name for d in self.settings.effective_destinations() if d.threaded],
            on_gone=self._deliverer.ops.feed_gone,
        )
        await self._load_feed_states()
        lag = LoopLagMonitor(self.metrics)
        lag.start()
        stack.push_async_callback(lag.stop)
        self.websub = await self._subscriber()
        stack.push_async_callback(self.websub.close)  # after the server stops: pushes in progress finish
        if address := self.settings.server.address:
            app = build_app(DaemonStatus(self), token=self.settings.server.token, clock=self.clock,
                            websub=self.websub if self.websub.unavailable is None else None)  # fmt: skip
            self.server = await start_server(app, *address)
            stack.push_async_callback(self.server.close)
        log_event(log, "daemon.started", feeds=len(self.settings.feeds), watchlists=len(self.matcher.watchlists),
                  destinations=",".join(sinks), store=describe_location(self.settings.store_location),
                  instance=self.instance,
                  status=self.server.url if self.server else "off")  # fmt: skip
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()
        log_event(log, "daemon.stopped")

    async def _load_feed_states(self) -> None:
        """Stored schedules survive restarts; feeds new to the config start spread over the first ticks.

        The store's row wins: with several instances on one store, another one may have polled the feed since
        this one last did, and a feed it already registered is not registered again.
        """
        now = self.clock.now()
        await self.store.add_feeds([
            FeedState(url=feed.url, name=feed.name, interval=feed.interval,
                      next_poll=schedule.first_poll(feed.url, now, self.settings.tick))
            for feed in self.settings.feeds
        ])  # fmt: skip
        stored = await self.store.feed_states()
        self.states = {feed.url: stored[feed.url] for feed in self.settings.feeds}

    async def _release_feeds(self) -> None:
        """On the way out, the feeds still claimed (a poll cut short) go back to the other instances at once."""
        try:
            await self.store.release_feeds(self.instance)
        except StoreError as exc:  # they run out by themselves
            log_event(log, "store.unavailable", logging.WARNING, reason=str(exc), note="feed leases left to expire")

    async def _subscriber(self) -> Subscriber:
        """WebSub needs a callback hubs can reach: the status server, and its public URL."""
        server = self.settings.server
        unavailable = None
        if server.address is None:
            unavailable = "the status server is off (server.listen), so no hub can call back"
        elif server.public_url is None:
            unavailable = "server.public_url is not set, so hubs cannot be told where to call back"
        assert self._session is not None
        subscriber = Subscriber(
            store=self.store, hubs=HubClient(self._session), clock=self.clock, callback_base=server.public_url,
            process=self._pushed, lapsed=self._push_lapsed, unavailable=unavailable, metrics=self.metrics,
        )  # fmt: skip
        await subscriber.load()
        return subscriber

    async def _clusterer(self) -> tuple[Clusterer, int]:
        """The near-duplicate index, rebuilt from the stories the store saw within the window, and the arrival
        mark it is up to date with (the pipeline catches up from there with what other instances record)."""
        dedup = self.settings.dedup
        clusterer = Clusterer(DedupConfig(enabled=dedup.enabled, window=timedelta(seconds=dedup.window),
                                          preset=dedup.preset))  # fmt: skip
        started = time.perf_counter()
        stored, mark = await self.store.stories_after(0, self.clock.now() - timedelta(seconds=dedup.window))
        for story, cluster in stored:
            clusterer.restore(story, cluster)
        log_event(log, "dedup.restored", stories=len(stored), seconds=f"{time.perf_counter() - started:.2f}")
        return clusterer, mark

    # --- reload ----------------------------------------------------------------------------------------

    async def reload(self, why: str = "requested") -> bool:
        """Read config and watchlists again; apply them only if all of it is valid. Returns whether applied.

        An invalid edit keeps the running version: the problems are logged and kept in `config_status`.
        """
        if self.config_path is None:
            return False
        applied = False
        try:
            applied = await self._reload(why)
            return applied
        finally:
            self.metrics.config_reload(applied)
            self.reloaded.set()

    async def _reload(self, why: str) -> bool:
        assert self.config_path is not None
        async with self._reloading:
            loop = asyncio.get_running_loop()
            try:  # compiling a large watchlist set takes seconds: off the event loop
                settings, matcher = await loop.run_in_executor(None, load_all, self.config_path)
            except ConfigError as exc:
                self.config_status = replace(self.config_status, ok=False, problems=tuple(exc.problems))
                for problem in exc.problems:
                    log_event(log, "config.reload_failed", logging.ERROR, why=why, problem=str(problem),
                              note="the running configuration stays in force")  # fmt: skip
                if self._deliverer:
                    await self._deliverer.ops.reload_failed(exc.problems, self.config_status.loaded_at)
                return False
            await self._apply(settings, matcher)
            self.config_status = ConfigStatus(self.config_path, self.clock.now())
            log_event(log, "config.reloaded", why=why, feeds=len(settings.feeds), watchlists=len(matcher.watchlists),
                      destinations=len(settings.effective_destinations()))  # fmt: skip
            return True

    async def _apply(self, settings: Settings, matcher: Matcher) -> None:
        old = self.settings
        for field in ("store", "server"):
            if getattr(settings, field) != getattr(old, field):
                log_event(log, "config.needs_restart", logging.WARNING, setting=field)
        settings = settings.model_copy(update={"store": old.store, "server": old.server})
        self.settings, self.matcher = settings, matcher  # the pipeline reads both per poll: an atomic swap
        await self._load_feed_states()
        if settings.dedup != old.dedup and self._pipeline:
            self._pipeline.clusterer, self._pipeline.story_mark = await self._clusterer()
        if settings.concurrency != old.concurrency:
            self._polls = asyncio.Semaphore(settings.concurrency)
        if settings.per_host != old.per_host:
            self._hosts = {}
        if settings.effective_destinations() != old.effective_destinations() and self._deliverer and self._session:
            sinks = build_sinks(settings.effective_destinations(), self._session, self.clock, self.console, self.store)
            unchanged = {d.name for d in settings.effective_destinations()} & {
                d.name for d in old.effective_destinations() if d in settings.effective_destinations()
            }
            self._deliverer.replace_sinks(sinks, keep_disabled=unchanged)
            self._deliverer.wake()
        if self._deliverer:
            await self._deliverer.configure(DeliveryPolicy.of(settings))

    def _urgent(self) -> frozenset[str]:
        """The watchlists marked `urgent: true`: their alerts skip quiet hours and digests."""
        return frozenset(w.name for w in self.matcher.watchlists if w.urgent)

    def _digests(self) -> dict[str, float]:
        """The watchlists with a `digest` of their own: their alerts are collected that often."""
        return {w.name: w.digest for w in self.matcher.watchlists if w.digest is not None}

    async def _watch_config(self, stop: asyncio.Event) -> None:
        """Reload when the config file or anything under the watchlists path changes."""
        if self.config_path is None:
            return
        while not stop.is_set():
            paths = [self.config_path, self.settings.watchlists_path]
            watched = [p for p in paths if p.exists()]
            async for _changes in awatch(*watched, stop_event=stop, debounce=WATCH_DEBOUNCE_MS, recursive=True):
                await self.reload("file changed")
                if [self.config_path, self.settings.watchlists_path] != paths:
                    break  # the watchlists moved: watch the new place

    # --- work ------------------------------------------------------------------------------------------

    async def poll_due(self) -> list[PollReport]:
        """Poll the feeds whose time has come that this instance can lease; one feed's failure never touches
        another. The lease (store.claim_due_feeds) makes one instance of those sharing a store poll a feed, and
        the claimed row is the feed's state: another instance may have polled it last. Only as many feeds are
        claimed as there are free poll slots (`concurrency`), and more as polls finish, while any are due, for
        one tick's length (then the next tick goes on: a backlog never makes a tick endless).

        The candidates are the feeds the store says are due (store.due_feeds, an index read), most overdue
        first; each claim names only as many as there are free slots, so a claim costs the same with ten feeds
        or ten thousand."""
        feeds = {f.url: f for f in self.settings.feeds}
        try:
            pending = deque(url for url in await self.store.due_feeds(self.clock.now()) if url in feeds)
        except StoreError as exc:  # the next tick tries again; nothing was claimed, nothing is lost
            log_event(log, "store.unavailable", logging.ERROR, reason=str(exc), note="no feeds claimed")
            return []
        claiming_until = time.monotonic() + self.settings.tick
        tasks: list[asyncio.Task[PollReport]] = []
        running: set[asyncio.Task[PollReport]] = set()
        try:
            while True:
                claimed: list[FeedState] = []
                while pending and len(claimed) < (free := self.settings.concurrency - len(running)):
                    names = [pending.popleft() for _ in range(min(free - len(claimed), len(pending)))]
                    claimed += await self._claim(names)  # those not claimed: polled or held by another instance
                started = [asyncio.create_task(self._poll(feeds[s.url])) for s in claimed]
                tasks += started
                running.update(started)
                if not pending or not running or time.monotonic() >= claiming_until:
                    break  # nothing more is due (or the tick is over): the rest only needs finishing
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                self._wake_deliverer(done)
            if running:
                done, running = await asyncio.wait(running)
                self._wake_deliverer(done)
        finally:
            for task in running:  # cancelled (a stop past its deadline): the polls go with it
                task.cancel()
        return [task.result() for task in tasks]

    async def _claim(self, urls: list[str]) -> list[FeedState]:
        try:
            claimed = await self.store.claim_due_feeds(self.instance, urls, self.clock.now(), self.settings.lease,
                                                       len(urls))  # fmt: skip
        except StoreError as exc:  # the next tick tries again; nothing was claimed, nothing is lost
            log_event(log, "store.unavailable", logging.ERROR, reason=str(exc), note="no feeds claimed")
            return []
        self.states.update((s.url, s) for s in claimed)
        if claimed:
            log_event(log, "feeds.claimed", logging.DEBUG, feeds=len(claimed), instance=self.instance)
        return claimed

    def _wake_deliverer(self, done: set[asyncio.Task[PollReport]]) -> None:
        if self._deliverer and any(not t.exception() and t.result().alerts for t in done):
            self._deliverer.wake()

    async def _poll(self, feed: FeedConfig) -> PollReport:
        assert self._pipeline is not None, "the daemon is not started"
        state = self.states[feed.url]
        host = urlsplit(state.fetch_url or feed.url).hostname or ""
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        pushed = feed.websub and self.websub is not None and self.websub.active(feed.url)
        paced = feed.model_copy(update={"interval": poll_interval(feed.interval, feed.websub_heartbeat, pushed)})
        async with per_host, self._polls, self._feed_lock(feed.url):  # host first: no global slot held waiting
            started = time.perf_counter()
            try:
                state, report = await self._pipeline.refresh(paced, self.states[feed.url])
            except Exception as exc:  # a bug: logged with its traceback, the feed backs off, siblings go on
                log.exception("feed.bug", extra={"wiremon_fields": {"feed": feed.url}})
                errors = self.states[feed.url].consecutive_errors + 1
                state = replace(
                    self.states[feed.url],
                    consecutive_errors=errors,
                    last_status="failed",
                    last_error=f"internal error: {exc!r}",
                    next_poll=schedule.after_error(feed.url, feed.interval, errors, self.clock.now()),
                )
                await self.store.save_feed_state(state)
                report = PollReport(feed.url, "failed", reason=repr(exc))
            self.states[feed.url] = state
            self.metrics.poll(report.status, time.perf_counter() - started)
            self.metrics.stories(report.new_stories)
        if feed.websub and self.websub is not None and report.discovery.pushable:
            await self.websub.discovered(feed.url, report.discovery)
        return report

    def _feed_lock(self, url: str) -> asyncio.Lock:
        return self._feed_locks.setdefault(url, asyncio.Lock())

    # --- push (WebSub) ---------------------------------------------------------------------------------

    async def websub_due(self) -> None:
        """Subscribe, renew and unsubscribe what is due (on every tick, after the polls)."""
        if self.websub is not None:
            wanted = {f.url for f in self.settings.feeds if f.websub and not self.states[f.url].gone}
            await self.websub.step(wanted)

    async def _pushed(self, feed_url: str, body: bytes, content_type: str | None) -> None:
        """A verified body a hub pushed: through the same pipeline as a polled one, then on to delivery."""
        assert self._pipeline is not None, "the daemon is not started"
        feed = next((f for f in self.settings.feeds if f.url == feed_url), None)
        if feed is None or feed_url not in self.states:
            return  # removed from the config since: its subscription is being dropped
        async with self._feed_lock(feed_url):
            # the stored state: with several instances on one store, another one may have polled the feed since
            stored = await self.store.feed_state(feed_url) or self.states[feed_url]
            state, report = await self._pipeline.pushed(feed, stored, body, content_type)
            self.states[feed_url] = state
        self.metrics.stories(report.new_stories)
        if report.alerts and self._deliverer:
            self._deliverer.wake()

    async def _push_lapsed(self, feed_url: str) -> None:
        """Push stopped: the heartbeat schedule gives way to the feed's own at once (and catches up now)."""
        async with self._feed_lock(feed_url):
            state = await self.store.feed_state(feed_url)  # as stored: another instance may have polled
            if state is not None and state.next_poll > self.clock.now():
                self.states[feed_url] = replace(state, next_poll=self.clock.now())
                await self.store.save_feed_state(self.states[feed_url])

    async def deliver_due(self) -> int:
        assert self._deliverer is not None, "the daemon is not started"
        return await self._deliverer.drain()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on the scheduler's tick and deliver continuously until `stop` is set, then finish in-flight work."""
        assert self._deliverer is not None, "the daemon is not started"
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self._tick, "interval", seconds=self.settings.tick, id="tick", coalesce=True, max_instances=1,
            misfire_grace_time=None, next_run_time=datetime.now(UTC),  # APScheduler runs on real time
        )  # fmt: skip
        delivering = asyncio.create_task(self._deliverer.run(stop), name="wiremon-deliverer")
        watching = asyncio.create_task(self._watch_config(stop), name="wiremon-config-watch")
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            log_event(log, "daemon.stopping", note="finishing in-flight polls and deliveries")
            pending = [t for t in (self._ticking, self._subscribing, delivering, watching) if t is not None]
            _done, late = await asyncio.wait(pending, timeout=SHUTDOWN_DEADLINE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _tick(self) -> None:
        self.last_tick = self.clock.now()
        self.ticked.set()
        if self._subscribing is None or self._subscribing.done():  # its own task: a slow hub never holds up polls
            self._subscribing = asyncio.create_task(self.websub_due(), name="wiremon-websub")
            self._subscribing.add_done_callback(_log_failure)
        self._ticking = asyncio.create_task(self.poll_due(), name="wiremon-poll")
        try:
            await asyncio.shield(self._ticking)
        finally:
            self._ticking = None


def _log_failure(task: asyncio.Task[None]) -> None:
    """A background round that failed with a bug: logged with its traceback (the next tick starts another)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("websub.bug", exc_info=exc, extra={"wiremon_fields": {"task": task.get_name()}})
