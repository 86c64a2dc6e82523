"""worker: what runs in the parse pool, away from the event loop — bytes in, normalized stories out.

Top-level and pure, so a process pool can run it: a 5,000-item feed costs the daemon's loop nothing but
receiving the result.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from monitor.errors import FeedError
from monitor.model import Story
from monitor.normalize import normalize_entry
from monitor.parse import parse_feed

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FeedStories:
    stories: tuple[Story, ...]  # one per item id, oldest first
    ttl: float | None  # the feed's <ttl>, seconds
    bozo: str | None  # what the parser recovered from, if anything
    hubs: tuple[str, ...] = ()  # WebSub hubs the document names
    self_url: str | None = None  # its rel="self" URL


def read_feed(body: bytes, *, feed_url: str, source: str, content_type: str | None, now: datetime) -> FeedStories:
    """Parse a feed body and normalize its items. Raises FeedError when the body is not a (safe) feed."""
    parsed = parse_feed(body, url=feed_url, content_type=content_type)
    by_id: dict[str, Story] = {}
    for entry in reversed(parsed.entries):  # feeds list newest first; the first copy of an id wins
        story = normalize_entry(entry, feed_url=feed_url, source=source, now=now)
        by_id.setdefault(story.id, story)
    stories = sorted(by_id.values(), key=lambda s: s.published)
    return FeedStories(tuple(stories), parsed.ttl, parsed.bozo, parsed.hubs, parsed.self_url)


class ParsePool:
    """Where feeds are parsed: worker processes (the default, sized to the cores), or a thread when workers=0.

    A worker that dies (out of memory on a hostile feed, say) fails that one feed; the pool is replaced.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = self._make()

    def _make(self) -> Executor:
        if self.workers == 0:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="wiremon-parse")
        # forkserver: workers start from a clean process, not a fork of one running threads and sockets
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("forkserver"))

    async def run(self, job: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        except BrokenExecutor as exc:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._make()
            raise FeedError("the parser process died on this feed (too large or too hostile?)") from exc

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))
