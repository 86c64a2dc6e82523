"""Per-stage cost of the pipeline on the demo items: parse, normalize, match, dedup identity, alert rendering."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from monitor import dedup
from monitor.deliver.console import render
from monitor.deliver.signing import webhook_headers
from monitor.deliver.slack import slack_payload
from monitor.deliver.webhook import encode, webhook_body
from monitor.demo.feeds import render_feed
from monitor.demo.items import WATCHLISTS_FILE, load_demo_data, read_data_file
from monitor.match import load_watchlists
from monitor.model import Alert, Story
from monitor.normalize import normalize_entry
from monitor.parse import parse_feed

NOW = datetime(2024, 11, 19, 2, 0, tzinfo=UTC)
SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def _per_item(fn: Callable[[], object], items: int, rounds: int) -> float:
    """Microseconds per item, best of a few rounds (the least disturbed by the machine's other work)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / (rounds * items))
    return best * 1e6


def bench(quick: bool) -> list[dict[str, object]]:
    data = load_demo_data()
    epoch = NOW.replace(hour=1)
    bodies = [
        (
            f.name,
            f"https://demo.test/{f.slug}",
            render_feed(f, data.items_of(f.slug), epoch, f"https://demo.test/{f.slug}"),
        )
        for f in data.feeds
    ]
    parsed = [(name, url, parse_feed(body, url=url)) for name, url, body in bodies]
    entries = [(name, url, e) for name, url, p in parsed for e in p.entries]
    stories: list[Story] = [normalize_entry(e, feed_url=url, source=name, now=NOW) for name, url, e in entries]
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.yaml"
        path.write_text(read_data_file(WATCHLISTS_FILE), encoding="utf-8")
        matcher = load_watchlists(path)
    hits = [matcher.match(s) for s in stories]
    alerts = [
        Alert(
            Alert.make_id(s.key, "d"), "d", s, tuple(x.watchlist for x in h), tuple(t for x in h for t in x.terms), NOW
        )
        for s, h in zip(stories, hits, strict=True)
        if h
    ]
    n, rounds = len(stories), 20 if quick else 100

    def parse_all() -> None:
        for _, url, body in bodies:
            parse_feed(body, url=url)

    def normalize_all() -> None:
        for name, url, e in entries:
            normalize_entry(e, feed_url=url, source=name, now=NOW)

    def match_all() -> None:
        for s in stories:
            matcher.match(s)

    def identity_all() -> None:
        for s in stories:
            dedup.identity(s)

    def slack_all() -> None:
        for a in alerts:
            slack_payload(a)

    def webhook_all() -> None:
        for a in alerts:
            body = encode(webhook_body(a))
            webhook_headers(a.id, 1732000000, body, SECRET)

    def console_all() -> None:
        for a in alerts:
            render(a)

    note = f"{n} demo stories in {len(bodies)} feeds, {len(alerts)} alerts"
    stages = [
        ("parse (feedparser on bytes)", parse_all, n, "µs/story"),
        ("normalize", normalize_all, n, "µs/story"),
        (f"match ({len(matcher.watchlists)} watchlists)", match_all, n, "µs/story"),
        ("dedup identity", identity_all, n, "µs/story"),
        ("render slack", slack_all, len(alerts), "µs/alert"),
        ("render + sign webhook", webhook_all, len(alerts), "µs/alert"),
        ("render console", console_all, len(alerts), "µs/alert"),
    ]
    return [
        {"benchmark": "pipeline", "case": name, "value": _per_item(fn, count, rounds), "unit": unit, "note": note}
        for name, fn, count, unit in stages
    ]
