"""bench_poll (issue #6): what polling 10,000 feeds every 5 minutes costs the daemon.

    .venv/bin/python -m bench.bench_poll [--quick]

The feeds come from bench/wire_server.py in its own process (its CPU is not counted), spread over 100 loopback
addresses so that the daemon's per-host politeness (`per_host: 2`, `concurrency: 16`, the defaults) applies as
it would to 100 publishers. Each feed lists 10 items; per 5-minute cycle 5 % of the feeds gain one (a tenth of
those match a watchlist and alert to a webhook on the wire server), the rest answer 304 to the conditional GET.

The real daemon (monitor.daemon.Daemon, its parse pool at the default size, a real SQLite file) is driven by a
FakeClock: one cycle moves the clock to when every feed is due again, then calls poll_due (as successive ticks
would, until nothing is due) and deliver_due, so a
cycle is exactly one poll of every feed and runs as fast as the machine allows. Measured in a fresh child
process, so that RSS and CPU are this benchmark's alone:

- CPU seconds per cycle: the daemon process (time.process_time: event loop, SQLite thread) plus the parse
  workers (read from /proc, the forkserver's children); as % of one core over the 300 s a cycle stands for;
- the parse pool's share of that CPU (feedparser + normalize in the workers);
- event-loop lag: a probe task sleeping 5 ms and recording how late it wakes, p99 and max over the cycles;
- peak RSS of the daemon process (VmHWM) and of its largest parse worker;
- the same cycle without validators: 200 with the same bytes (the body hash skips the parse) and 200 with a
  fresh <lastBuildDate> every time (the hash cannot help: every body is parsed).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.wire_server import WireProcess
from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.pipeline import PollReport
from monitor.settings import DestinationConfig, FeedConfig, ServerConfig, Settings

HOSTS = 100
ITEMS = 10
INTERVAL = 300.0
TICKS = os.sysconf("SC_CLK_TCK")
WATCHLISTS = """\
actors:
  dprk:
    names: ["Pyongyang", "North Korea", "Kim Jong-un"]
  russia:
    names: ["Russia", "Russian*", "Moscow", "Kremlin"]
watchlists:
  - name: dprk
    query: 'dprk'
  - name: dprk-russia
    query: 'dprk AND russia'
  - name: ports
    query: '"port strike" OR (port* NEAR/3 strik*)'
"""


# --- processes -------------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def workers(exclude: int) -> list[int]:
    """Our descendants (the forkserver and its parse workers), leaving out the wire server's process tree."""
    tree = _children()
    found, todo = [], [p for p in tree.get(os.getpid(), []) if p != exclude]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    """pid → CPU seconds (user + system) so far."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return seconds


def cpu_since(before: dict[int, float], exclude: int) -> float:
    """CPU our worker processes used since `before` (workers started since count from zero)."""
    now = cpu_of(workers(exclude))
    return sum(spent - before.get(pid, 0.0) for pid, spent in now.items())


def peak_rss_mb(pid: int | str = "self") -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone meanwhile
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class LagProbe:
    """Sleeps `every` seconds on the loop and records how late each wake-up fired."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.lags: list[tuple[float, float]] = []  # (when, how late)
        self.recording = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.every
            await asyncio.sleep(self.every)
            if self.recording:
                self.lags.append((due, max(loop.time() - due, 0.0)))


class GcWatch:
    """How long each garbage collection held the process (a pause no yield can avoid), by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the measurement (in the child) --------------------------------------------------------------------


class Cycles:
    def __init__(self, daemon: Daemon, clock: FakeClock, wire: WireProcess, server_pid: int) -> None:
        self.daemon, self.clock, self.wire, self.server_pid = daemon, clock, wire, server_pid
        self.starts: list[float] = []  # loop.time() at each cycle's poll_due

    async def run(self, count: int) -> dict[str, float]:
        """`count` cycles; per-cycle means of CPU (daemon, workers), wall time, and the poll outcomes."""
        cpu_main = cpu_workers = wall = 0.0
        outcomes: dict[str, int] = {}
        for _ in range(count):
            await self.wire.control("cycle")
            self.clock.set(max(s.next_poll for s in self.daemon.states.values()))
            c0, w0, t0 = time.process_time(), cpu_of(workers(self.server_pid)), time.perf_counter()
            self.starts.append(asyncio.get_running_loop().time())
            reports: list[PollReport] = []
            while batch := await self.daemon.poll_due():  # a tick claims what it can start within its length;
                reports += batch  # the scheduler's next ticks take the rest (here at once: the clock is fake)
            await self.daemon.deliver_due()
            t1, c1 = time.perf_counter(), time.process_time()
            cpu_workers += cpu_since(w0, self.server_pid)
            cpu_main += c1 - c0
            wall += t1 - t0
            for r in reports:
                outcomes[r.status] = outcomes.get(r.status, 0) + 1
        return {"main": cpu_main / count, "workers": cpu_workers / count, "wall": wall / count,
                **{k: v / count for k, v in outcomes.items()}}  # fmt: skip


async def measure(quick: bool) -> list[dict[str, object]]:
    feeds = 1_000 if quick else 10_000
    rows: list[dict[str, object]] = []
    with TemporaryDirectory() as tmp:
        (Path(tmp) / "watchlists.yaml").write_text(WATCHLISTS, encoding="utf-8")
        async with WireProcess(feeds=feeds, hosts=HOSTS, items=ITEMS) as wire:
            assert wire.process is not None
            settings = Settings(
                feeds=[FeedConfig(url=wire.feed_url(i), name=f"wire {i}", interval=INTERVAL) for i in range(feeds)],
                destinations=[DestinationConfig(name="hook", type="webhook", url=wire.hook_url("poll"))],
                watchlists=Path("watchlists.yaml"), store="state.db", base_dir=Path(tmp),
                server=ServerConfig(listen="off"),
            )  # fmt: skip
            clock = FakeClock(datetime.now(UTC))
            probe = LagProbe()
            async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
                probe.start()
                cycles = Cycles(daemon, clock, wire, wire.process.pid)
                started = time.perf_counter()
                primed = await cycles.run(1)  # the first poll records every feed's backlog
                prime_wall = time.perf_counter() - started
                probe.recording = True
                with GcWatch() as collections:
                    normal = await cycles.run(3)
                probe.recording = False
                lags = _lags(probe.lags, cycles.starts[1:])
                await wire.control("mode/plain")
                plain = await cycles.run(1 if quick else 2)
                await wire.control("mode/volatile")
                volatile = await cycles.run(1)
                await probe.stop()
                worker_rss = max((peak_rss_mb(p) for p in workers(wire.process.pid)), default=0.0)
            served = (await wire.control("stats"))["served"]
        rows += _rows(feeds, normal, plain, volatile, lags)
        full = [seconds for generation, seconds in collections.pauses if generation == 2]
        longest = max(collections.pauses, key=lambda p: p[1], default=(0, 0.0))
        rows.append(_row("longest garbage collection pause", round(longest[1] * 1000, 1), "ms",
                         f"generation {longest[0]}; {len(full)} full collections in the 3 cycles, longest "
                         f"{max(full, default=0.0) * 1000:.0f} ms (gc.callbacks)"))  # fmt: skip
        rows.append(_row("first poll of every feed", round(prime_wall, 1), "s",
                         f"{feeds} feeds × {ITEMS} items parsed, deduplicated and recorded; "
                         f"CPU {primed['main']:.1f} s daemon + {primed['workers']:.1f} s workers"))  # fmt: skip
        rows.append(_row("peak RSS, daemon process", round(peak_rss_mb()), "MB",
                         f"VmHWM after all cycles; {feeds} feeds, {feeds * ITEMS:,} stories in the dedup window"))
        rows.append(_row("peak RSS, largest parse worker", round(worker_rss), "MB", "VmHWM"))
        rows.append(_row("wire server answers", served["200"] + served["304"], "requests",
                         f"{served['304']} × 304, {served['200']} × 200 over all cycles"))  # fmt: skip
    return rows


def _lags(lags: list[tuple[float, float]], starts: list[float]) -> dict[str, float]:
    """p99, max and median of the wake-up lag, and the max outside the first second of each cycle (where
    all 10,000 feeds are due at once and poll_due claims the first `concurrency` of them)."""
    late = [lag for _, lag in lags]
    # a wake-up due up to 50 ms before poll_due began can be the one its burst delays
    later = [lag for when, lag in lags if not any(-0.05 <= when - start < 1.0 for start in starts)]
    worst_when, worst = max(lags, key=lambda x: x[1], default=(0.0, 0.0))
    into = min((worst_when - s for s in starts if worst_when - s >= -0.05), default=float("nan"))
    return {"p99": percentile(late, 0.99), "max": worst, "median": statistics.median(late or [0]),
            "max_later": max(later, default=0.0), "count": len(late), "max_at": into}  # fmt: skip


def _row(case: str, value: object, unit: str, note: str = "") -> dict[str, object]:
    return {"benchmark": "poll", "case": case, "value": value, "unit": unit, "note": note}


def _rows(
    feeds: int, normal: dict[str, float], plain: dict[str, float], volatile: dict[str, float], lags: dict[str, float]
) -> list[dict[str, object]]:
    total = normal["main"] + normal["workers"]
    scale = 10_000 / feeds  # CPU per cycle of 10,000 feeds, when fewer were measured
    rows = [
        _row("polls per second (5 % changed, rest 304)", round(feeds / normal["wall"]), "polls/s",
             f"{feeds} feeds, mean of 3 cycles; concurrency 16, per_host 2, {HOSTS} hosts"),
        _row("CPU per 5-min cycle of 10,000 feeds", round(total * scale, 2), "CPU s",
             f"daemon {normal['main'] * scale:.2f} s + parse workers {normal['workers'] * scale:.2f} s"
             + ("" if feeds == 10_000 else f"; measured on {feeds} feeds, ×{scale:g}")),
        _row("…as share of one core over 300 s", round(100 * total * scale / INTERVAL, 2), "%", "target < 20 %"),
        _row("parse pool's share of that CPU", round(100 * normal["workers"] / total, 1), "%",
             f"feedparser + normalize of the {normal.get('ok', 0):.0f} changed feeds per cycle"),
        _row("event-loop lag p99 (5 ms probe)", round(lags["p99"] * 1000, 1), "ms",
             f"median {lags['median'] * 1000:.1f} ms, {lags['count']:.0f} wake-ups while polling flat out; max "
             f"{lags['max'] * 1000:.0f} ms ({abs(lags['max_at']):.2f} s into a cycle), "
             f"{lags['max_later'] * 1000:.0f} ms after each cycle's first second"),
    ]
    for label, run in (("200, same bytes, no validators (hash skip)", plain),
                       ("200, new <lastBuildDate> each time (all parsed)", volatile)):  # fmt: skip
        cpu = (run["main"] + run["workers"]) * scale
        rows.append(_row(f"CPU per cycle: {label}", round(cpu, 2), "CPU s",
                         f"daemon {run['main'] * scale:.2f} + workers {run['workers'] * scale:.2f}; "
                         f"{100 * cpu / INTERVAL:.1f} % of a core; {feeds / run['wall']:.0f} polls/s"))  # fmt: skip
    skip = (volatile["main"] + volatile["workers"]) - (plain["main"] + plain["workers"])
    rows.append(_row("CPU the unchanged-body skip saves per cycle", round(skip * scale, 2), "CPU s",
                     f"all-parsed minus hash-skip; the 304 path costs {total * scale:.2f} s, the hash skip "
                     f"{(plain['main'] + plain['workers']) * scale:.2f} s"))  # fmt: skip
    return rows


# --- the entry point: measure in a fresh process -------------------------------------------------------


def bench(quick: bool) -> list[dict[str, object]]:
    command = [sys.executable, "-m", "bench.bench_poll", "--child", *(["--quick"] if quick else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1200)
    if done.returncode:
        raise RuntimeError(f"bench_poll child failed:\n{done.stderr[-4000:]}")
    rows: list[dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    if "--child" in sys.argv[1:]:
        print(json.dumps(asyncio.run(measure(quick))))
    else:
        for row in bench(quick):
            print(json.dumps(row, ensure_ascii=False))
