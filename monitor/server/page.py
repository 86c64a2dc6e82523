"""The status page: one server-rendered HTML document, no JavaScript. Every value from feeds, stories or the
config passes through `_e` (html.escape) on its way in; links are kept only when they are http(s).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from monitor.server.destinations import DestinationRow, destinations_section
from monitor.server.source import AlertRow, ConfigRow, DeliveryRow, FeedRow, ProblemRow, WatchlistRow

REFRESH_SECONDS = 30

# Feed status (as monitor.health words it) → badge style; the first matching prefix wins.
FEED_BADGES: tuple[tuple[str, str], ...] = (
    ("ok", "good"),
    ("failing", "bad"),
    ("GONE", "dead"),
    ("not polled", "idle"),
)
DELIVERY_BADGES = {"delivered": "good", "pending": "warn", "dead": "dead"}

CSS = """
:root { color-scheme: light; --fg: #1d2329; --muted: #5f6b76; --line: #dde3e8; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem 1.2rem; padding: .9rem 1.5rem;
         background: #16202a; color: #fff; }
header h1 { margin: 0; font-size: 1.25rem; letter-spacing: .02em; }
header .meta { color: #b8c4ce; }
header .checks { margin-left: auto; display: flex; gap: .4rem; }
main { padding: 1rem 1.5rem 2rem; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; padding: .2rem 0; }
h2 { font-size: 1rem; margin: .6rem 1rem; }
h2 .count { color: var(--muted); font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
table.fit { width: auto; min-width: 40%; }
th, td { text-align: left; vertical-align: top; padding: .4rem 1rem; border-top: 1px solid var(--line); }
th { font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.small { color: var(--muted); font-size: .85em; overflow-wrap: anywhere; }
.error { color: #a4262c; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: .8rem; font-weight: 600;
         white-space: nowrap; background: #e8ecef; color: #38434d; }
.good { background: #dcf3e3; color: #17653a; } .warn { background: #fff1cc; color: #7a5300; }
.bad { background: #fde2e1; color: #a4262c; } .dead { background: #4a2326; color: #fff; }
.idle { background: #e8ecef; color: #5f6b76; }
.banner { background: #fde2e1; border: 2px solid #c4314b; border-radius: 6px; padding: .7rem 1rem; margin: 0 0 1rem; }
.banner h2 { margin: 0 0 .3rem; color: #a4262c; }
.banner ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.banner code { background: #fff; padding: 0 .25rem; border-radius: 3px; }
a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
.empty { color: var(--muted); padding: .5rem 1rem .8rem; margin: 0; }
footer { color: var(--muted); padding: 0 1.5rem 1.5rem; font-size: .85em; }
"""


@dataclass(frozen=True, slots=True)
class PageData:
    feeds: list[FeedRow]
    alerts: list[AlertRow]
    watchlists: list[WatchlistRow]
    config: ConfigRow
    readiness: dict[str, bool]
    now: datetime
    destinations: list[DestinationRow] = field(default_factory=list)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _link(url: str, text: str) -> str:
    """A link only for http(s) URLs (a feed may carry javascript: or data: links); otherwise the text alone."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text)}</a>'
    return _e(text)


# (unit, its size in seconds, the span from which it is used): "36h" rather than "2d".
SPAN_UNITS = (("d", 86400, 2 * 86400), ("h", 3600, 2 * 3600), ("m", 60, 60))


def _span(seconds: float) -> str:
    for unit, size, start in SPAN_UNITS:
        if seconds >= start:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _when(moment: datetime | None, now: datetime, never: str = "never") -> str:
    """'5m ago' or 'in 2m', with the exact UTC time on hover."""
    if moment is None:
        return f'<span class="small">{_e(never)}</span>'
    seconds = (now - moment).total_seconds()
    relative = f"in {_span(-seconds)}" if seconds < 0 else f"{_span(seconds)} ago"
    return f'<span title="{_e(moment.isoformat(timespec="seconds"))}">{relative}</span>'


def _badge(text: str, style: str) -> str:
    return f'<span class="badge {style}">{_e(text)}</span>'


def _feed_badge(status: str) -> str:
    style = next((s for prefix, s in FEED_BADGES if status.startswith(prefix)), "idle")
    return _badge(status, style)


def render_page(data: PageData) -> str:
    now = data.now
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>wiremon status</title><style>{CSS}</style></head><body>",
        _header(data),
        "<main>",
        _config_banner(data.config, now),
        destinations_section(data.destinations),
        _feeds(data.feeds, now),
        _alerts(data.alerts, now),
        _watchlists(data.watchlists, now),
        "</main>",
        _footer(data.config, now),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _header(data: PageData) -> str:
    checks = "".join(_badge(name, "good" if ok else "bad") for name, ok in sorted(data.readiness.items()))
    stamp = data.now.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f'<header><h1>wiremon</h1><span class="meta">status at {_e(stamp)} · refreshes every {REFRESH_SECONDS} s'
        f'</span><span class="checks" title="readiness checks">{checks}</span></header>'
    )


def _problem(p: ProblemRow) -> str:
    where = p["file"] or "config"
    if p["line"] is not None:
        where += f":{p['line']}" + (f":{p['column']}" if p["column"] is not None else "")
    field = f" <code>{_e(p['field'])}</code>" if p["field"] else ""
    return f"<li><code>{_e(where)}</code>{field}: {_e(p['message'])}</li>"


def _config_banner(config: ConfigRow, now: datetime) -> str:
    if config["ok"]:
        return ""
    problems = "".join(_problem(p) for p in config["problems"])
    return (
        '<div class="banner" role="alert"><h2>The last config reload failed</h2>'
        f"<div>wiremon keeps running with the configuration loaded {_when(config['loaded_at'], now)}."
        f" Fix these and save again:</div><ul>{problems}</ul></div>"
    )


def _feeds(feeds: list[FeedRow], now: datetime) -> str:
    failing = sum(1 for f in feeds if not f["status"].startswith("ok"))
    count = f"{len(feeds)} · {failing} not ok" if failing else f"{len(feeds)} · all ok"
    rows = "".join(_feed(f, now) for f in feeds)
    table = (
        "<table><tr><th>Feed</th><th>Status</th><th>Last success</th><th>Next poll</th>"
        f'<th class="num">Items</th><th>Last error</th></tr>{rows}</table>'
        if feeds
        else '<p class="empty">No feeds configured.</p>'
    )
    return f'<section id="feeds"><h2>Feeds <span class="count">({count})</span></h2>{table}</section>'


def _feed(f: FeedRow, now: datetime) -> str:
    moved = f["fetched_from"] != f["url"]
    where = f"now at {f['fetched_from']}" if moved else f["url"]
    error = f'<span class="error">{_e(f["last_error"])}</span>' if f["last_error"] else ""
    push = f'<br><span class="small">push: {_e(push_state)}</span>' if (push_state := f.get("push")) else ""
    return (
        f'<tr><td><strong>{_e(f["name"])}</strong><br><span class="small">{_e(where)}</span>{push}</td>'
        f"<td>{_feed_badge(f['status'])}</td><td>{_when(f['last_success'], now)}</td>"
        f"<td>{_when(f['next_poll'], now, 'not scheduled')}</td>"
        f'<td class="num">{f["items_seen"]}</td><td>{error}</td></tr>'
    )


def _alerts(alerts: list[AlertRow], now: datetime) -> str:
    rows = "".join(_alert(a, now) for a in alerts)
    table = (
        f"<table><tr><th>Detected</th><th>Story</th><th>Watchlists</th><th>Deliveries</th></tr>{rows}</table>"
        if alerts
        else '<p class="empty">No alerts yet.</p>'
    )
    count = f' <span class="count">(latest {len(alerts)})</span>' if alerts else ""
    return f'<section id="alerts"><h2>Recent alerts{count}</h2>{table}</section>'


def _alert(a: AlertRow, now: datetime) -> str:
    carried = (
        f'<br><span class="small">also carried by {_e(", ".join(a["also_carried_by"]))}</span>'
        if a["also_carried_by"]
        else ""
    )
    terms = f'<br><span class="small">{_e(", ".join(a["terms"]))}</span>' if a["terms"] else ""
    deliveries = " ".join(_delivery(d) for d in a["deliveries"])
    return (
        f"<tr><td>{_when(a['detected_at'], now)}</td>"
        f"<td><strong>{_link(a['link'], a['title'] or '(untitled)')}</strong><br>"
        f'<span class="small">{_e(a["source"])}</span>{carried}</td>'
        f"<td>{_e(', '.join(a['watchlists']))}{terms}</td><td>{deliveries}</td></tr>"
    )


def _delivery(d: DeliveryRow) -> str:
    text = f"{d['destination']}: {d['status']}"
    tip = d["last_error"] or (f"after {d['attempts']} attempt(s)" if d["attempts"] else "")
    badge = _badge(text, DELIVERY_BADGES.get(d["status"], "idle"))
    return f'<span title="{_e(tip)}">{badge}</span>' if tip else badge


def _watchlists(watchlists: list[WatchlistRow], now: datetime) -> str:
    if not watchlists:
        return '<section id="watchlists"><h2>Watchlists</h2><p class="empty">No watchlists loaded.</p></section>'
    window = _span(max((now - watchlists[0]["hits_since"]).total_seconds(), 0))
    rows = "".join(
        f'<tr><td><strong>{_e(w["name"])}</strong></td><td class="num">{w["hits"]}</td>'
        f"<td>{_e(', '.join(w['destinations'])) if w['destinations'] is not None else 'every destination'}</td></tr>"
        for w in watchlists
    )
    return (
        f'<section id="watchlists"><h2>Watchlists <span class="count">(hits in the last {window})</span></h2>'
        '<table class="fit"><tr><th>Watchlist</th><th class="num">Hits</th><th>Sends to</th></tr>'
        f"{rows}</table></section>"
    )


def _footer(config: ConfigRow, now: datetime) -> str:
    path = _e(config["path"]) if config["path"] else "(no config file)"
    return f"<footer>config {path} · loaded {_when(config['loaded_at'], now)}</footer>"
