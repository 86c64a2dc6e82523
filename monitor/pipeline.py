"""pipeline: the one orchestrator of a feed refresh — fetch → parse → normalize → match → dedup → outbox.

Every expected failure ends here as the feed's recorded state (with a reason and a backoff); it never reaches
sibling feeds. The stories a poll sees and the alerts they cause are committed together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from monitor import dedup, schedule
from monitor.clock import Clock
from monitor.copies import copy_alerts
from monitor.dedup import Clusterer
from monitor.dedup.cluster import Measured
from monitor.errors import FeedError
from monitor.fetch import Failed, Fetched, Fetcher, Gone, NotModified, RateLimited, Validators
from monitor.logs import log_event
from monitor.match import Matcher
from monitor.metrics import Metrics
from monitor.model import Alert, Hit, Story
from monitor.outbox import build_alerts
from monitor.settings import FeedConfig
from monitor.store import FeedState, SeenStory, Store
from monitor.websub.discover import NOTHING, Discovery, discover
from monitor.worker import FeedStories, ParsePool, read_feed

log = logging.getLogger("wiremon.pipeline")

YIELD_EVERY = 64  # stories clustered or matched between two yields to the event loop


@dataclass(frozen=True, slots=True)
class Incoming:
    """A new story with what could be worked out about it before the detection lock."""

    story: Story
    measured: Measured
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    clusterer: Clusterer  # the one that measured them
    stories: list[Incoming]


@dataclass(frozen=True, slots=True)
class PollReport:
    feed: str
    status: str  # "ok", "not-modified", "unchanged", "rate-limited", "gone", "failed"
    new_stories: int = 0
    alerts: int = 0
    reason: str | None = None
    discovery: Discovery = NOTHING  # WebSub hubs and topic the response named (monitor/websub/)


def _pace(feed: FeedConfig, max_age: float | None) -> float | None:
    """The server's own pace, unless the user chose to ignore it for this feed."""
    return max_age if feed.server_pace else None


class Pipeline:
    def __init__(
        self,
        *,
        metrics: Metrics,
        store: Store,
        fetcher: Fetcher,
        parse_pool: ParsePool,
        matcher: Callable[[], Matcher],
        destinations: Callable[[], Sequence[str]],
        clock: Clock,
        clusterer: Clusterer,
        threaded: Callable[[], Collection[str]] = frozenset,
        on_gone: Callable[[str, str, str, datetime | None], Awaitable[object]] | None = None,
        story_mark: int = 0,
    ) -> None:
        self.metrics = metrics
        self.store = store
        self.fetcher = fetcher
        self.parse_pool = parse_pool
        self.matcher = matcher  # called per poll: a reload swaps what it returns
        self.destinations = destinations
        self.clock = clock
        self.clusterer = clusterer  # the daemon swaps it when the dedup settings change
        self.threaded = threaded  # destinations where a later copy of an alerted story replies in its thread
        self.on_gone = on_gone  # (feed url, name, reason, last success): tells the operator (deliver/ops.py)
        self.story_mark = story_mark  # the newest stored story the clusterer knows of (the store's arrival order)
        self._recorded: list[str] = []  # keys this instance recorded after story_mark: already in the clusterer
        # Deciding what is new and recording it is one step: two feeds carrying one article in the same tick
        # must see each other's stories. Fetching and parsing stay concurrent. Across instances sharing a
        # store, store.detection() makes it one step too, and _catch_up brings in what the others recorded.
        self._detecting = asyncio.Lock()

    async def refresh(self, feed: FeedConfig, state: FeedState) -> tuple[FeedState, PollReport]:
        validators = Validators(etag=state.etag, last_modified=state.last_modified)
        outcome = await self.fetcher.fetch(state.fetch_url or feed.url, validators)
        now = self.clock.now()
        polled = replace(state, name=feed.name, interval=feed.interval, last_polled=now)
        match outcome:
            case Fetched():
                return await self._fetched(feed, polled, outcome, now)
            case NotModified(validators=v, max_age=max_age, permanent_redirect=moved):
                new = replace(
                    schedule.follow_move(polled, state.fetch_url or feed.url, moved),
                    etag=v.etag or state.etag, last_modified=v.last_modified or state.last_modified,
                    consecutive_errors=0, last_status="304 not modified", last_error=None, last_success=now,
                    next_poll=schedule.after_success(feed.url, feed.interval, now, _pace(feed, max_age)),
                )  # fmt: skip
                return await self._saved(new, PollReport(feed.url, "not-modified"))
            case RateLimited(retry_after=retry_after, status=status):
                new = replace(
                    polled, last_status=f"{status} rate limited", last_error=f"HTTP {status}: asked to slow down",
                    next_poll=schedule.after_rate_limit(feed.url, feed.interval, retry_after, now),
                )  # fmt: skip
                log_event(log, "feed.rate_limited", logging.WARNING, feed=feed.url, retry_after=retry_after)
                return await self._saved(new, PollReport(feed.url, "rate-limited"))
            case Gone(status=status):
                reason = (
                    f"HTTP {status}: the publisher says this feed is gone; it is no longer polled"
                    " (remove it from the config, or `wiremon feeds --retry URL` to try it again)"
                )
                log_event(log, "feed.gone", logging.ERROR, feed=feed.url, reason=reason)
                if self.on_gone:
                    await self.on_gone(feed.url, feed.name, reason, state.last_success)
                return await self._failed(polled, feed, reason, now, status="gone", backoff=schedule.MAX_BACKOFF)
            case Failed(reason=reason):
                return await self._failed(polled, feed, reason, now)
        raise AssertionError(f"unhandled fetch outcome {outcome!r}")

    async def _saved(self, state: FeedState, report: PollReport) -> tuple[FeedState, PollReport]:
        await self.store.save_feed_state(state)
        return state, report

    async def _failed(
        self, state: FeedState, feed: FeedConfig, reason: str, now: datetime, *, status: str = "failed",
        backoff: float | None = None,
    ) -> tuple[FeedState, PollReport]:  # fmt: skip
        errors = state.consecutive_errors + 1
        next_poll = (
            now + timedelta(seconds=backoff) if backoff else schedule.after_error(feed.url, feed.interval, errors, now)
        )
        if status == "failed":
            log_event(log, "feed.failed", logging.WARNING, feed=feed.url, reason=reason, errors=errors,
                      next_poll=next_poll.isoformat(timespec="seconds"))  # fmt: skip
        new = replace(state, consecutive_errors=errors, last_status=status, last_error=reason, next_poll=next_poll)
        return await self._saved(new, PollReport(feed.url, status, reason=reason))

    async def _fetched(
        self, feed: FeedConfig, state: FeedState, fetched: Fetched, now: datetime
    ) -> tuple[FeedState, PollReport]:
        ok = replace(
            schedule.follow_move(state, state.fetch_url or feed.url, fetched.permanent_redirect),
            etag=fetched.validators.etag, last_modified=fetched.validators.last_modified,
            consecutive_errors=0, last_status=f"{fetched.status} ok", last_error=None, last_success=now,
            next_poll=schedule.after_success(feed.url, feed.interval, now, _pace(feed, fetched.max_age)),
        )  # fmt: skip
        if ok.fetch_url != state.fetch_url:
            log_event(log, "feed.moved", logging.WARNING, feed=feed.url, now_at=ok.fetch_url,
                      note="permanent redirect adopted; update the config's url")  # fmt: skip
        base = ok.fetch_url or feed.url
        if state.primed and fetched.body_hash == state.body_hash:
            found = discover(fetched.links, (), None, base=base)  # the Link header alone; the body is known
            return await self._saved(ok, PollReport(feed.url, "unchanged", discovery=found))
        try:
            parsed = await self._parse(feed, fetched.body, fetched.content_type, now)
        except FeedError as exc:
            self.metrics.parse_error()
            return await self._failed(state, feed, str(exc), now)
        if parsed.ttl and feed.server_pace:
            paced = schedule.after_success(feed.url, feed.interval, now, max(parsed.ttl, fetched.max_age or 0))
            ok = replace(ok, next_poll=max(ok.next_poll, paced))
        ok = replace(ok, body_hash=fetched.body_hash)
        ok, report = await self._record(feed, state, ok, parsed, now, "feed.fetched")
        return ok, replace(report, discovery=discover(fetched.links, parsed.hubs, parsed.self_url, base=base))

    async def pushed(
        self, feed: FeedConfig, state: FeedState, body: bytes, content_type: str | None
    ) -> tuple[FeedState, PollReport]:
        """A body a WebSub hub pushed: parsed, detected and recorded exactly as a polled one, the feed's
        schedule and validators untouched. An unreadable body is logged; it does not count against the feed."""
        now = self.clock.now()
        try:
            parsed = await self._parse(feed, body, content_type, now)
        except FeedError as exc:
            self.metrics.parse_error()
            log_event(log, "websub.unreadable", logging.WARNING, feed=feed.url, reason=str(exc))
            return state, PollReport(feed.url, "failed", reason=str(exc))
        return await self._record(feed, state, state, parsed, now, "feed.pushed")

    async def _parse(self, feed: FeedConfig, body: bytes, content_type: str | None, now: datetime) -> FeedStories:
        read = partial(read_feed, body, feed_url=feed.url, source=feed.name, content_type=content_type, now=now)
        return await self.parse_pool.run(read)

    async def _record(
        self, feed: FeedConfig, state: FeedState, ok: FeedState, parsed: FeedStories, now: datetime, event: str
    ) -> tuple[FeedState, PollReport]:
        """Detect what is new in a parsed body and record it with the feed's new state `ok`, in one step."""
        stories = list(parsed.stories)
        known = await self.store.known_items(feed.url, [s.id for s in stories])
        alerting = state.primed or feed.alert_on_first_poll
        prepared = await self._prepare([s for s in stories if s.id not in known], alerting)
        async with self._detecting:
            await self._catch_up(now)  # the bulk of it, while another instance may be holding the lock
            async with self.store.detection():
                await self._catch_up(now)  # what was recorded meanwhile: usually nothing
                # a poll of this feed that outlived its lease may have recorded some of them meanwhile
                recorded = await self.store.known_items(feed.url, [p.story.id for p in prepared.stories])
                fresh = [p for p in prepared.stories if p.story.id not in recorded]
                seen, alerts = await self._detect(replace(prepared, stories=fresh), now, alerting)
                ok = replace(ok, primed=True, items_seen=state.items_seen + len(fresh))
                queued = await self.store.record_poll(ok, seen, alerts)
                self._recorded = [s.story.key for s in seen]
        log_event(log, event, feed=feed.url, entries=len(stories), new=len(fresh), alerts=queued,
                  recorded_only=not alerting)  # fmt: skip
        return ok, PollReport(feed.url, "ok", new_stories=len(fresh), alerts=queued)

    async def _prepare(self, stories: list[Story], alerting: bool) -> Prepared:
        """What depends on each story alone — its dedup measurements and its watchlist hits — worked out before
        any lock is taken, so that instances sharing a store hold the detection lock only to decide."""
        matcher, clusterer = self.matcher(), self.clusterer
        ready = []
        for number, story in enumerate(stories):
            if number % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a feed with thousands of new items must not hold the loop
            ready.append(Incoming(story, clusterer.measure(story), matcher.match(story) if alerting else ()))
        return Prepared(clusterer, ready)

    async def _catch_up(self, now: datetime) -> None:
        """Put into the local index the stories other instances recorded since this one last looked, so that a
        copy polled here joins the cluster another instance started. Under the detection lock it is complete."""
        since = now - self.clusterer.config.window
        stories, self.story_mark = await self.store.stories_after(self.story_mark, since, self._recorded)
        self._recorded = []
        for story, cluster in stories:
            self.clusterer.restore(story, cluster)
        if stories:
            log_event(log, "dedup.caught_up", logging.DEBUG, stories=len(stories), mark=self.story_mark)

    async def _detect(
        self, prepared: Prepared, now: datetime, alerting: bool
    ) -> tuple[list[SeenStory], list[Alert]]:
        """Cluster and decide alerts: one per cluster and destination, plus one for a later copy that matches a
        watchlist its cluster had not matched, and (copies.py) one for any later copy of an alerted cluster to
        each threaded destination it was alerted to."""
        destinations = self.destinations()
        same = prepared.clusterer is self.clusterer  # else the dedup settings changed meanwhile: measure again
        assignments = []
        for number, incoming in enumerate(prepared.stories):
            if number % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            assignments.append(self.clusterer.add(incoming.story, incoming.measured if same else None))
        joined = sorted({a.cluster for a in assignments if a.duplicate_of})
        matched = await self.store.cluster_watchlists(joined) if joined else {}
        threaded = set(self.threaded()) & set(destinations)
        alerted = await self.store.cluster_destinations(joined) if joined and threaded else {}
        seen: list[SeenStory] = []
        alerts: list[Alert] = []
        for number, (incoming, assignment) in enumerate(zip(prepared.stories, assignments, strict=True)):
            if number % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a feed with thousands of new items must not hold the loop
            story, hits = incoming.story, incoming.hits
            seen.append(SeenStory(story, dedup.identity(story), assignment.cluster, tuple(h.watchlist for h in hits)))
            already = matched.setdefault(assignment.cluster, set())
            fresh = [h for h in hits if h.watchlist not in already]
            new: list[Alert] = []
            if fresh:
                carried = await self._carried_by(assignment.cluster, story) if already else ()
                follow_up = bool(already)
                new = build_alerts(
                    story, assignment.cluster, fresh, destinations, now, follow_up=follow_up, also_carried_by=carried
                )
            already.update(h.watchlist for h in hits)
            sent = alerted.setdefault(assignment.cluster, set())
            if alerting and assignment.duplicate_of and (replies := threaded & (sent - {a.destination for a in new})):
                carried = await self._carried_by(assignment.cluster, story)
                new += copy_alerts(story, assignment.cluster, replies, already, now, also_carried_by=carried)
            sent.update(a.destination for a in new)
            alerts += new
            self.metrics.matched(h.watchlist for h in hits)
            self.metrics.duplicates(int(assignment.duplicate_of is not None))
            if assignment.duplicate_of:
                log_event(log, "story.duplicate", logging.DEBUG, feed=story.feed_url, item=story.id,
                          cluster=assignment.cluster, reason=assignment.reason)  # fmt: skip
        return seen, alerts

    async def _carried_by(self, cluster: str, story: Story) -> tuple[str, ...]:
        earlier = (await self.store.cluster_stories([cluster])).get(cluster, [])
        return tuple(dict.fromkeys(s.source for s in earlier if s.source != story.source))
