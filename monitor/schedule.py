"""schedule: when each feed is polled next. Pure: the poll's result and `now` in, a time out.

The schedule lives with the feed in the store, so a restart never polls a feed before it is due.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from monitor.model import digest
from monitor.store.base import FeedState

JITTER = 0.10  # ±10 % so that feeds added together drift apart
MAX_BACKOFF = 6 * 3600.0  # errors back off exponentially up to this, and the feed keeps being tried
MAX_RETRY_AFTER = 48 * 3600.0  # a server's Retry-After is honoured up to this
DEFAULT_RETRY_AFTER = 600.0  # 429 / 503 without a usable Retry-After
ADOPT_AFTER = 3  # consecutive polls a 301/308 must be seen before the feed's new address is adopted


def _jitter(url: str, now: datetime) -> float:
    """A factor in [1 - JITTER, 1 + JITTER], stable for a (feed, moment) pair so tests are deterministic."""
    unit = int(digest(url, now.isoformat(), size=8), 16) / 0xFFFFFFFF
    return 1.0 + JITTER * (2.0 * unit - 1.0)


def first_poll(url: str, now: datetime, tick: float) -> datetime:
    """New feeds start spread over a few ticks instead of all at once."""
    return now + timedelta(seconds=tick * (_jitter(url, now) - (1 - JITTER)) / (2 * JITTER) * 3)


def after_success(url: str, interval: float, now: datetime, max_age: float | None = None) -> datetime:
    """The next poll after a 200 or 304: the feed's interval, never sooner than the server's max-age."""
    wait = interval * _jitter(url, now)
    if max_age:
        wait = max(wait, min(max_age, MAX_RETRY_AFTER))
    return now + timedelta(seconds=wait)


def after_error(url: str, interval: float, errors: int, now: datetime) -> datetime:
    """Exponential backoff from the interval, capped; `errors` counts this failure too."""
    wait = min(interval * 2.0 ** max(errors - 1, 0), MAX_BACKOFF)
    return now + timedelta(seconds=max(wait, interval) * _jitter(url, now))


def after_rate_limit(url: str, interval: float, retry_after: float | None, now: datetime) -> datetime:
    wait = DEFAULT_RETRY_AFTER if retry_after is None else min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    return now + timedelta(seconds=max(wait, interval))


def _only_https_upgrade(old: str, new: str) -> bool:
    a, b = urlsplit(old), urlsplit(new)
    return a.scheme == "http" and b.scheme == "https" and (a.netloc, a.path, a.query) == (b.netloc, b.path, b.query)


def follow_move(state: FeedState, fetched_from: str, permanent_redirect: str | None) -> FeedState:
    """Adopt a feed's new address once its permanent redirect is seen consistently (http → https at once).

    Temporary redirects (302/307) never reach here: the fetcher reports only all-permanent chains.
    """
    if not permanent_redirect or permanent_redirect == fetched_from:
        return replace(state, redirect_candidate=None, redirect_count=0)
    count = state.redirect_count + 1 if permanent_redirect == state.redirect_candidate else 1
    if count >= ADOPT_AFTER or _only_https_upgrade(fetched_from, permanent_redirect):
        return replace(state, fetch_url=permanent_redirect, redirect_candidate=None, redirect_count=0)
    return replace(state, redirect_candidate=permanent_redirect, redirect_count=count)
