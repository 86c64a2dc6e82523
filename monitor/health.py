"""health: what the store says about each feed, for `wiremon feeds` (and the status API later)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from monitor.server.source import FeedRow
from monitor.settings import FeedConfig, Settings
from monitor.store import FeedState, open_store


async def _states(settings: Settings) -> dict[str, FeedState]:
    store = open_store(settings.store_path)
    await store.open()
    try:
        return await store.feed_states()
    finally:
        await store.close()


def feed_row(feed: FeedConfig, state: FeedState | None) -> FeedRow:
    """One feed's health, for `wiremon feeds`, /api/feeds and the status page."""
    return {
        "name": feed.name,
        "url": feed.url,
        "fetched_from": (state.fetch_url if state else None) or feed.url,
        "status": _status(state),
        "last_success": state.last_success if state else None,
        "last_error": state.last_error if state else None,
        "consecutive_errors": state.consecutive_errors if state else 0,
        "next_poll": state.next_poll if state else None,
        "items_seen": state.items_seen if state else 0,
    }


async def feed_rows(settings: Settings) -> list[FeedRow]:
    states = await _states(settings)
    return [feed_row(feed, states.get(feed.url)) for feed in settings.feeds]


def _status(state: FeedState | None) -> str:
    if state is None or state.last_polled is None:
        return "not polled yet"
    if state.gone:
        return "GONE (not polled)"
    if state.consecutive_errors:
        return f"failing ×{state.consecutive_errors}"
    return "ok"


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def render_feeds(rows: list[FeedRow], now: datetime) -> str:
    header = ("feed", "status", "last success", "next poll", "items", "last error")
    table = [
        (r["name"], r["status"], _ago(r["last_success"], now), _ago(r["next_poll"], now), str(r["items_seen"]),
         (r["last_error"] or "")[:80])
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip() for t in table]
    return "\n".join(lines)


async def retry_feed(settings: Settings, url: str) -> bool:
    """Make a feed due now, clearing a 410 stop; a running daemon reads it when it next starts."""
    store = open_store(settings.store_path)
    await store.open()
    try:
        state = (await store.feed_states()).get(url)
        if state is None:
            return False
        await store.save_feed_state(replace(state, last_status="retry requested", next_poll=state.last_polled
                                            or state.next_poll))  # fmt: skip
        return True
    finally:
        await store.close()
