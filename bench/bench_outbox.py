"""bench_outbox (issue #5): alerts through the durable outbox — a real SQLite file and the real Deliverer.

    .venv/bin/python -m bench.bench_outbox [--quick]

1. Throughput: N alerts queued in the store (record_poll, as the pipeline queues them), then one drain to
   signed webhooks served by bench/wire_server.py in its own process on 127.0.0.1: one destination (its
   alerts go strictly in order, one at a time) and four destinations (drained side by side).
2. A burst of 1,000 alerts to one Slack destination at its default rate limit (1/s, burst 3). The Slack
   stand-in is an aiohttp server in this process that enforces 1 message/s with a burst of 3 on the same
   FakeClock and answers 429 + Retry-After beyond it. Whenever the deliverer is held by its rate limiter the
   benchmark moves the FakeClock to the moment it is released, so the burst takes seconds, not 1,000 s.
3. Latency under a steady load: alerts queued at a steady rate on real time while Deliverer.run drains them;
   detected (the Alert's detected_at) → arrival at the receiver (stamped in the receiver process).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
from aiohttp import web

from bench.bench_poll import percentile
from bench.wire_server import WireProcess
from monitor.clock import Clock, FakeClock, SystemClock
from monitor.deliver import build_sinks
from monitor.model import Alert, Story
from monitor.outbox import Deliverer
from monitor.settings import DestinationConfig
from monitor.store import FeedState, Store, open_store

SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0zMmJ5dGU="
SLACK_RATE, SLACK_BURST = 1.0, 3  # what the Slack stand-in enforces
SLACK_TOLERANCE = 1e-6  # tokens: float rounding of elapsed time; a real service is no stricter than this


def make_alert(n: int, destination: str, now: datetime) -> Alert:
    story = Story(
        id=f"urn:bench:{n}", feed_url="http://wire.bench/feed", source="Bench Wire",
        title=f"Pyongyang delegation {n} arrives in Moscow for talks on rail links and port access",
        summary="Officials said the talks would cover freight, fuel and fishing rights. " * 6, content="",
        link=f"http://wire.bench/a/{n}", published=now, fetched_at=now,
    )  # fmt: skip
    return Alert(
        id=Alert.make_id(f"bench-{n}", destination), destination=destination, story=story, watchlists=("dprk",),
        terms=("Pyongyang", "Moscow"), detected_at=now, cluster=f"bench-{n}",
    )  # fmt: skip


async def queue(store: Store, alerts: list[Alert], now: datetime, batch: int = 100) -> None:
    state = FeedState(url="http://wire.bench/feed", name="Bench Wire", interval=300.0, next_poll=now)
    for start in range(0, len(alerts), batch):
        await store.record_poll(state, [], alerts[start : start + batch])


@contextmanager
def temporary_store() -> Iterator[Store]:
    with TemporaryDirectory() as tmp:
        yield open_store(Path(tmp) / "outbox.db")


def _row(case: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": "outbox", "case": case, "value": value, "unit": unit, "note": note}


# --- 1. throughput ---------------------------------------------------------------------------------------


async def _throughput(wire: WireProcess, n: int, destinations: int) -> dict[str, object]:
    names = [f"hook{d}" for d in range(destinations)]
    config = [DestinationConfig(name=name, type="webhook", url=wire.hook_url(name), secret=SECRET) for name in names]
    clock = SystemClock()
    with temporary_store() as store:
        await store.open()
        try:
            await queue(store, [make_alert(i, names[i % destinations], clock.now()) for i in range(n)], clock.now())
            async with aiohttp.ClientSession() as session:
                deliverer = Deliverer(store, build_sinks(config, session, clock, StringIO()), clock)
                cpu, started = time.process_time(), time.perf_counter()
                delivered = await deliverer.drain()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            await store.close()
    assert delivered == n, f"delivered {delivered} of {n}"
    shape = "one destination (strictly in order)" if destinations == 1 else f"{destinations} destinations"
    return _row(f"webhook alerts/s, {shape}", round(n / elapsed), "alerts/s",
                f"{n} queued alerts drained to a receiver in another process; "
                f"{cpu / n * 1e6:.0f} µs CPU per alert in wiremon")  # fmt: skip


# --- 2. a Slack burst at the rate limit, on a fake clock ---------------------------------------------------


class SlackStandIn:
    """Accepts SLACK_RATE messages per second with a burst of SLACK_BURST on `clock`; 429 + Retry-After beyond."""

    def __init__(self, clock: Clock, burst: int = SLACK_BURST) -> None:
        self.clock = clock
        self.burst = burst
        self.tokens = float(burst)
        self.updated: datetime | None = None
        self.accepted: list[datetime] = []
        self.order: list[int] = []  # the alerts' numbers, as accepted
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        text = (await request.json())["text"]
        now = self.clock.now()
        if self.updated is not None:
            elapsed = max((now - self.updated).total_seconds(), 0.0)
            self.tokens = min(float(self.burst), self.tokens + elapsed * SLACK_RATE)
        self.updated = now
        if self.tokens >= 1.0 - SLACK_TOLERANCE:
            self.tokens -= 1.0
            self.accepted.append(now)
            self.order.append(int(text.split("delegation ", 1)[1].split()[0]))
            return web.Response(text="ok")
        self.refused += 1
        retry_after = math.ceil((1.0 - self.tokens) / SLACK_RATE)
        return web.Response(status=429, text="rate_limited", headers={"Retry-After": str(retry_after)})

    def out_of_order(self) -> int:
        """Alerts accepted after one detected later than them."""
        latest, late = -1, 0
        for number in self.order:
            late += number < latest
            latest = max(latest, number)
        return late

    def most_in_any_second(self) -> int:
        times, most, first = self.accepted, 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= timedelta(seconds=1):
                first += 1
            most = max(most, last - first + 1)
        return most


async def _slack_burst(n: int, burst: int = SLACK_BURST) -> list[dict[str, object]]:
    clock = FakeClock(datetime(2024, 11, 19, 1, 0, tzinfo=UTC))
    slack = SlackStandIn(clock, burst)
    app = web.Application()
    app.router.add_post("/services/T0/B0/x", slack.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/services/T0/B0/x"
    start = clock.now()
    advances = 0
    with temporary_store() as store:
        await store.open()
        try:
            await queue(store, [make_alert(i, "newsroom", start) for i in range(n)], start)
            async with aiohttp.ClientSession() as session:
                sinks = build_sinks([DestinationConfig(name="newsroom", type="slack", url=url)], session, clock,
                                    StringIO())  # fmt: skip
                deliverer = Deliverer(store, sinks, clock)
                real = time.perf_counter()
                while len(slack.accepted) < n:
                    await deliverer.drain()
                    now = clock.now()
                    wakes = [t for t in (*deliverer.held.values(), await store.next_attempt(now)) if t and t > now]
                    if not wakes and len(slack.accepted) < n:
                        raise RuntimeError(f"the deliverer stalled at {len(slack.accepted)} of {n}")
                    clock.set(min(wakes, default=now))  # held by the limiter or a retry: jump to its release
                    advances += 1
                real = time.perf_counter() - real
                counts = await store.outbox_counts()
        finally:
            await store.close()
            await runner.cleanup()
    fake = (slack.accepted[-1] - start).total_seconds()
    assert counts.get("delivered") == n, counts
    note = f"{n} alerts queued at once; Slack stand-in enforces {SLACK_RATE:g}/s, burst {burst}; FakeClock"
    if burst != SLACK_BURST:
        return [_row(f"Slack burst, stand-in stricter (burst {burst}) than wiremon's {SLACK_BURST}: 429s",
                     slack.refused, "429s", f"{(n - burst) / fake:.3f} alerts/s achieved; {slack.out_of_order()} "
                     f"alerts delivered after a later one (retried after a 429); {fake:.0f} fake s")]  # fmt: skip
    return [
        _row("Slack burst: 429s answered", slack.refused, "429s", note),
        _row("Slack burst: achieved rate", round((n - SLACK_BURST) / fake, 3), "alerts/s",
             f"after the burst of {SLACK_BURST}; most accepted in any 1 s window: {slack.most_in_any_second()}; "
             f"{fake:.0f} fake s; {slack.out_of_order()} out of detection order"),
        _row("Slack burst: real time taken", round(real, 2), "s",
             f"the clock was moved {advances} times to where the limiter released the destination"),
    ]


# --- 3. latency under a steady load ----------------------------------------------------------------------


async def _steady_latency(wire: WireProcess, rate: float, seconds: float) -> list[dict[str, object]]:
    clock = SystemClock()
    config = [DestinationConfig(name="steady", type="webhook", url=wire.hook_url("steady"), secret=SECRET)]
    detected: dict[str, float] = {}
    stop = asyncio.Event()
    await wire.control("clear")
    with temporary_store() as store:
        await store.open()
        try:
            async with aiohttp.ClientSession() as session:
                deliverer = Deliverer(store, build_sinks(config, session, clock, StringIO()), clock)
                running = asyncio.create_task(deliverer.run(stop))
                loop, start = asyncio.get_running_loop(), asyncio.get_running_loop().time()
                total = int(rate * seconds)
                for i in range(total):  # one alert per poll that found one, as the pipeline queues them
                    await asyncio.sleep(max(start + i / rate - loop.time(), 0))
                    alert = make_alert(i, "steady", clock.now())
                    detected[alert.id] = alert.detected_at.timestamp()
                    await queue(store, [alert], alert.detected_at)
                    deliverer.wake()
                for _ in range(200):
                    if len((await wire.control("stats"))["hooks"]) >= total:
                        break
                    await asyncio.sleep(0.05)
                stop.set()
                await running
        finally:
            await store.close()
    hooks = (await wire.control("stats"))["hooks"]
    latencies = [at - detected[alert_id] for at, alert_id, _story in hooks if alert_id in detected]
    note = f"{len(latencies)} of {total} alerts at {rate:g}/s for {seconds:g} s, Deliverer.run on real time"
    return [
        _row("detected → delivered, p50", round(statistics.median(latencies) * 1000, 1), "ms", note),
        _row("detected → delivered, p99", round(percentile(latencies, 0.99) * 1000, 1), "ms",
             f"max {max(latencies) * 1000:.1f} ms; webhook receiver in its own process"),
    ]


async def measure(quick: bool) -> list[dict[str, object]]:
    n = 2_000 if quick else 10_000
    rows = []
    async with WireProcess() as wire:
        rows.append(await _throughput(wire, n, 1))
        rows.append(await _throughput(wire, n, 4))
        rows += await _steady_latency(wire, 100.0, 5.0 if quick else 20.0)
    rows += await _slack_burst(300 if quick else 1_000)
    rows += await _slack_burst(300 if quick else 1_000, burst=1)
    return rows


def bench(quick: bool) -> list[dict[str, object]]:
    outbox_log = logging.getLogger("wiremon.outbox")
    level = outbox_log.level
    outbox_log.setLevel(logging.ERROR)  # the stricter stand-in makes one alert.retry warning per alert
    try:
        return asyncio.run(measure(quick))
    finally:
        outbox_log.setLevel(level)


if __name__ == "__main__":
    for r in bench(quick="--quick" in sys.argv[1:]):
        print(json.dumps(r, ensure_ascii=False))
