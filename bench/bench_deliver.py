"""bench_deliver: formatting cost per alert (Slack, Discord, Teams, signed webhook), and signed webhook sends
per second from one process.

    .venv/bin/python bench/bench_deliver.py [--quick]

The receiver is a local aiohttp server on 127.0.0.1 in the same process and event loop as the sender, so the
send rate is a floor for wiremon's own overhead (serialize, sign, POST, classify), not a network figure.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from monitor.clock import FakeClock
from monitor.deliver import Delivered
from monitor.deliver.discord import discord_payload
from monitor.deliver.signing import webhook_headers
from monitor.deliver.slack import slack_payload
from monitor.deliver.teams import encode as teams_encode
from monitor.deliver.teams import teams_message
from monitor.deliver.webhook import WebhookSink, encode, webhook_body
from monitor.model import Alert, Story

SECRET = "whsec_" + base64.b64encode(b"bench-secret-bench-secret-32byte").decode()
NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


def make_alert(i: int, summary: str) -> Alert:
    story = Story(
        id=f"urn:wire:{i}",
        feed_url="https://wire.example/feed.xml",
        source="Example Wire",
        title=f"Port strike {i} halts grain exports <!channel> & more at three terminals in Odesa",
        summary=summary,
        content="",
        link=f"https://wire.example/a/{i}?src=rss&lang=en",
        published=NOW,
        fetched_at=NOW,
    )
    return Alert(
        id=Alert.make_id(story.key, "bench"),
        destination="bench",
        story=story,
        watchlists=("grain", "ports"),
        terms=("port strike", "grain", "Odesa"),
        detected_at=NOW,
        cluster=story.key,
        also_carried_by=("Other Wire", "Third Wire"),
    )


def _per_item_us(work: Callable[[Alert], object], alerts: list[Alert]) -> float:
    """Best of three passes, in microseconds per alert."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for alert in alerts:
            work(alert)
        best = min(best, time.perf_counter() - start)
    return best / len(alerts) * 1e6


def _formatting(quick: bool) -> list[dict[str, object]]:
    n = 2_000 if quick else 20_000
    typical = [make_alert(i, "Dockworkers walked out on Tuesday <b>& more</b>. " * 12) for i in range(n)]
    huge = [make_alert(i, "word & <x> " * 1_000) for i in range(n // 10)]

    def sign(alert: Alert) -> object:
        return webhook_headers(alert.id, 1732000000, encode(webhook_body(alert)), SECRET)

    def slack_json(alert: Alert) -> object:
        return json.dumps(slack_payload(alert), ensure_ascii=False)

    def discord_json(alert: Alert) -> object:
        return json.dumps(discord_payload(alert), ensure_ascii=False, separators=(",", ":")).encode()

    def teams_json(alert: Alert) -> object:
        return teams_encode(teams_message(alert))  # includes the size check against the 28 KB limit

    cases: list[tuple[str, str, Callable[[Alert], object], list[Alert]]] = [
        ("slack_payload", "typical alert (600-char summary), to JSON", slack_json, typical),
        ("slack_payload", "10,000-char summary full of escapes, to JSON", slack_json, huge),
        ("discord_payload", "typical alert (600-char summary), to JSON", discord_json, typical),
        ("discord_payload", "10,000-char summary full of escapes, to JSON", discord_json, huge),
        ("teams_message", "typical alert (600-char summary), to JSON", teams_json, typical),
        ("teams_message", "10,000-char summary full of escapes, to JSON", teams_json, huge),
        ("webhook_sign", "body to JSON + HMAC-SHA256 headers", sign, typical),
    ]
    return [
        {
            "benchmark": name,
            "case": case,
            "value": round(_per_item_us(work, alerts), 2),
            "unit": "µs/alert",
            "note": f"best of 3 passes over {len(alerts)} alerts",
        }
        for name, case, work, alerts in cases
    ]


async def _sends(quick: bool) -> list[dict[str, object]]:
    n = 1_000 if quick else 10_000
    received = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    alerts = [make_alert(i, "Dockworkers walked out on Tuesday. " * 12) for i in range(n)]
    rows: list[dict[str, object]] = []
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/hook"
            sink = WebhookSink("bench", url, SECRET, session, FakeClock(NOW), aiohttp.ClientTimeout(10))
            for in_flight in (1, 16):
                rate = await _send_all(sink, alerts, in_flight)
                note = "sequential (one destination's order)" if in_flight == 1 else f"{in_flight} in flight"
                rows.append(
                    {
                        "benchmark": "webhook_send",
                        "case": f"signed POST to local aiohttp, {n} sends",
                        "value": round(rate),
                        "unit": "sends/s",
                        "note": note + ", keep-alive, client and server share one loop",
                    }
                )
    finally:
        await runner.cleanup()
    assert received == 2 * n, f"receiver saw {received} of {2 * n}"
    return rows


async def _send_all(sink: WebhookSink, alerts: list[Alert], in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def one(alert: Alert) -> None:
        async with gate:
            outcome = await sink.send(alert)
        assert isinstance(outcome, Delivered), outcome

    start = time.perf_counter()
    await asyncio.gather(*(one(a) for a in alerts))
    return len(alerts) / (time.perf_counter() - start)


def bench(quick: bool) -> list[dict[str, object]]:
    return [*_formatting(quick), *asyncio.run(_sends(quick))]


if __name__ == "__main__":
    for row in bench(quick="--quick" in sys.argv[1:]):
        print(json.dumps(row, ensure_ascii=False))
