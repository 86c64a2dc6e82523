"""bench_latency (issue #6): from a story appearing in a feed to its alert reaching a webhook, on real time.

    .venv/bin/python -m bench.bench_latency [--quick]

The real daemon loop (Daemon.run: the APScheduler tick every 1 s, the deliverer task, SystemClock) polls
10,000 feeds (quick: 1,000) every 30 s, served by bench/wire_server.py in its own process over 100 loopback
addresses (conditional GETs, 304 when unchanged). Once every feed is primed, the wire server publishes new
stories into random feeds at a steady rate and stamps each with time.time() as it appears; its webhook receiver
stamps each alert as it arrives. Latency = arrival − appearance, both stamped in the server process.

A story waits for its feed's next poll, then fetch, parse, match, outbox, send. Gaps between polls are 27-33 s
(the interval ±10 % jitter), so the wait alone has a p95 of about 28.8 s and a max of 33 s; the target is
p95 ≤ interval + 2 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time
from io import StringIO
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.bench_poll import HOSTS, WATCHLISTS, GcWatch, LagProbe, cpu_of, cpu_since, percentile, workers
from bench.wire_server import WireProcess
from monitor.daemon import Daemon
from monitor.settings import DestinationConfig, FeedConfig, ServerConfig, Settings

INTERVAL = 30.0  # each feed's poll interval, seconds
TICK = 1.0  # the scheduler's tick, seconds
ITEMS = 3  # items each feed lists


async def _until(ready: object, deadline: float, every: float = 0.5) -> bool:
    assert callable(ready)
    while time.monotonic() < deadline:
        if await ready():
            return True
        await asyncio.sleep(every)
    return False


async def _window(wire: WireProcess, rate: float, seconds: float) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """Publish `rate` stories a second for `seconds`, wait for their alerts; the wire's stats and the load."""
    assert wire.process is not None
    await wire.control("clear")
    probe = LagProbe()
    probe.start()
    probe.recording = True
    window = time.monotonic()
    cpu, pool = time.process_time(), cpu_of(workers(wire.process.pid))
    with GcWatch() as collections:
        await wire.control("publish", rate=rate, seconds=seconds)

        async def arrived() -> bool:
            stats = await wire.control("stats")
            return bool(stats["publishing_done"]) and len(stats["hooks"]) >= len(stats["published"])

        await _until(arrived, window + seconds + INTERVAL + 60, every=1.0)
        elapsed = time.monotonic() - window
        cpu, pool = time.process_time() - cpu, cpu_since(pool, wire.process.pid)
    await probe.stop()
    load = {"daemon": cpu / elapsed, "workers": pool / elapsed, "lag": [lag for _, lag in probe.lags],
            "gc": max((pause for _, pause in collections.pauses), default=0.0)}  # fmt: skip
    return await wire.control("stats"), elapsed, load


async def measure(quick: bool) -> list[dict[str, object]]:
    feeds = 1_000 if quick else 10_000
    rate, seconds = (2.0, 20.0) if quick else (2.0, 60.0)
    with TemporaryDirectory() as tmp:
        (Path(tmp) / "watchlists.yaml").write_text(WATCHLISTS, encoding="utf-8")
        async with WireProcess(feeds=feeds, hosts=HOSTS, items=ITEMS) as wire:
            settings = Settings(
                feeds=[FeedConfig(url=wire.feed_url(i), name=f"wire {i}", interval=INTERVAL) for i in range(feeds)],
                destinations=[DestinationConfig(name="hook", type="webhook", url=wire.hook_url("latency"))],
                watchlists=Path("watchlists.yaml"), store="state.db", base_dir=Path(tmp), tick=TICK,
                server=ServerConfig(listen="off"),
            )  # fmt: skip
            stop = asyncio.Event()
            async with Daemon(settings, console=StringIO()) as daemon:
                running = asyncio.create_task(daemon.run(stop))
                started = time.monotonic()

                async def primed() -> bool:
                    return all(s.primed for s in daemon.states.values())

                if not await _until(primed, started + 600):
                    raise RuntimeError("the feeds were not all primed within 600 s")
                prime_seconds = time.monotonic() - started
                stats, elapsed, load = await _window(wire, rate, seconds)
                stop.set()
                await running
    return _rows(feeds, stats, elapsed, prime_seconds, load)


def _rows(
    feeds: int, stats: dict[str, object], elapsed: float, prime_seconds: float, load: dict[str, Any]
) -> list[dict[str, object]]:
    published: dict[str, float] = stats["published"]  # type: ignore[assignment]
    hooks: list[list[object]] = stats["hooks"]  # type: ignore[assignment]
    served: dict[str, int] = stats["served"]  # type: ignore[assignment]
    latencies = sorted(float(at) - published[str(story)] for at, _id, story in hooks if str(story) in published)  # type: ignore[arg-type]
    missing = len(published) - len(latencies)
    setup = f"{feeds} feeds every {INTERVAL:.0f} s, tick {TICK:.0f} s, real time"
    polls = served["200"] + served["304"]

    def row(case: str, value: object, unit: str, note: str) -> dict[str, object]:
        return {"benchmark": "latency", "case": case, "value": value, "unit": unit, "note": note}

    return [
        row("story appears → webhook receives it, p50", round(statistics.median(latencies), 2), "s",
            f"{len(latencies)} stories ({missing} not delivered in time); {setup}"),
        row("story appears → webhook receives it, p95", round(percentile(latencies, 0.95), 2), "s",
            f"max {max(latencies):.2f} s; target ≤ interval + 2 s = {INTERVAL + 2:.0f} s"),
        row("polls while measuring", round(polls / elapsed), "polls/s",
            f"{polls} in {elapsed:.0f} s ({feeds / INTERVAL:.0f}/s keeps every feed on time); "
            f"{served['304']} × 304"),
        row("CPU while measuring", round(100 * (load["daemon"] + load["workers"]), 1), "% of a core",
            f"daemon process {100 * load['daemon']:.1f} % + parse workers {100 * load['workers']:.1f} % "
            "(the probe and this benchmark's own requests included)"),
        row("event-loop lag p99 (5 ms probe)", round(percentile(load["lag"], 0.99) * 1000, 1), "ms",
            f"max {max(load['lag'], default=0) * 1000:.0f} ms over {len(load['lag'])} wake-ups while measuring; "
            f"longest GC pause {load['gc'] * 1000:.0f} ms"),
        row("all feeds primed after start", round(prime_seconds, 1), "s", f"{feeds} feeds × {ITEMS} items"),
    ]


def bench(quick: bool) -> list[dict[str, object]]:
    # a tick that finds the last one's polls still running is skipped (coalesced): expected, not news
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return asyncio.run(measure(quick))


if __name__ == "__main__":
    for r in bench(quick="--quick" in sys.argv[1:]):
        print(json.dumps(r, ensure_ascii=False))
