"""health: each feed's health from the store (`wiremon feeds`, the status API) and `wiremon status`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp

from monitor.server.destinations import destination_rows
from monitor.server.source import FeedRow
from monitor.settings import FeedConfig, Settings
from monitor.store import FeedState, Subscription, opened_store
from monitor.websub import lease


async def _stored(settings: Settings) -> tuple[dict[str, FeedState], dict[str, Subscription]]:
    async with opened_store(settings.store_location) as store:
        return await store.feed_states(), {s.feed_url: s for s in await store.subscriptions()}


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


async def feed_rows(settings: Settings, now: datetime) -> list[FeedRow]:
    """Each feed's health and WebSub push state as stored (the daemon need not be running)."""
    states, subscriptions = await _stored(settings)
    rows = []
    for feed in settings.feeds:
        row = feed_row(feed, states.get(feed.url))
        sub = subscriptions.get(feed.url)
        row["push"] = lease.describe(sub, now) if sub else None
        rows.append(row)
    return rows


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
    """A table; a "push" column only when some feed has a WebSub subscription."""
    pushed = any(r.get("push") for r in rows)
    header = ("feed", "status", "last success", "next poll", "items", *(("push",) if pushed else ()), "last error")
    table = [
        (r["name"], r["status"], _ago(r["last_success"], now), _ago(r["next_poll"], now), str(r["items_seen"]),
         *(((r.get("push") or "")[:60],) if pushed else ()), (r["last_error"] or "")[:80])
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip() for t in table]
    return "\n".join(lines)


async def retry_feed(settings: Settings, url: str) -> bool:
    """Make a feed due now, clearing a 410 stop; a running daemon claims it on its next tick."""
    async with opened_store(settings.store_location) as store:
        state = await store.feed_state(url)
        if state is None:
            return False
        await store.save_feed_state(replace(state, last_status="retry requested", next_poll=state.last_polled
                                            or state.next_poll))  # fmt: skip
        return True


async def daemon_status(settings: Settings, now: datetime) -> tuple[str, bool]:
    """A summary from the running daemon's status API; from the store alone when it cannot be reached.

    Returns the text and whether the daemon answered and is ready.
    """
    address = settings.server.address
    if address is None:
        return "status server is off (server.listen: off); from the store:\n" + await _from_store(settings, now), False
    host, port = address
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    base = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    headers = {"Authorization": f"Bearer {settings.server.token}"} if settings.server.token else {}
    try:
        async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=5)) as http:
            ready = await _get(http, f"{base}/readyz", ok=(200, 503))
            feeds = await _get(http, f"{base}/api/feeds")
            alerts = await _get(http, f"{base}/api/alerts?limit=5")
            config = await _get(http, f"{base}/api/config")
            destinations = await _get(http, f"{base}/api/destinations")
    except (aiohttp.ClientError, TimeoutError) as exc:
        text = f"daemon not reachable at {base} ({exc.__class__.__name__}: {exc}); from the store:\n"
        return text + await _from_store(settings, now), False
    text = _render_status(base, ready, feeds, alerts, config, now)
    return text + "\n" + render_destinations(destinations), bool(ready.get("ready"))


async def _from_store(settings: Settings, now: datetime) -> str:
    """What `wiremon status` can say without the daemon: feeds and disabled destinations, as stored."""
    async with opened_store(settings.store_location) as store:
        disabled = await store.disabled_destinations()
    rows = destination_rows(settings, disabled)
    return render_feeds(await feed_rows(settings, now), now) + "\n\n" + render_destinations(rows)


def render_destinations(rows: Any) -> str:
    """`wiremon status`'s destinations: one line each, the reason when one is disabled."""
    lines = ["destinations:"]
    for row in rows:
        state = "ok" if row["status"] == "ok" else f"DISABLED since {str(row['since'])[:16]}: {row['reason']}"
        lines.append(f"  {row['name']:<14} {row['type']:<8} {state}" + ("  (ops)" if row["ops"] else ""))
    return "\n".join(lines)


async def _get(http: aiohttp.ClientSession, url: str, ok: tuple[int, ...] = (200,)) -> Any:
    async with http.get(url) as response:
        if response.status not in ok:
            raise aiohttp.ClientResponseError(
                response.request_info, (), status=response.status, message=f"HTTP {response.status} from {url}"
            )
        return await response.json()


def _render_status(base: str, ready: Any, feeds: Any, alerts: Any, config: Any, now: datetime) -> str:
    checks = ", ".join(f"{name} {'ok' if passing else 'FAILING'}" for name, passing in ready["checks"].items())
    lines = [f"wiremon at {base}: {'ready' if ready['ready'] else 'NOT READY'} ({checks})"]
    if not config["ok"]:
        lines.append("the last config reload FAILED; the previous configuration is running:")
        lines += [f"  {p['file']}:{p['line']}: {p['field'] or ''} {p['message']}" for p in config["problems"]]
    rows: list[FeedRow] = []
    for row in feeds:
        row.update(last_success=_when(row["last_success"]), next_poll=_when(row["next_poll"]))
        rows.append(row)
    lines += ["", render_feeds(rows, now), "", "recent alerts:"]
    for alert in alerts or []:
        states = ", ".join(f"{d['destination']} {d['status']}" for d in alert["deliveries"])
        lines.append(f"  {alert['detected_at'][:16]}  {alert['title'][:70]}  [{', '.join(alert['watchlists'])}]"
                     f"  {states}")  # fmt: skip
    if not alerts:
        lines.append("  none yet")
    return "\n".join(lines)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
