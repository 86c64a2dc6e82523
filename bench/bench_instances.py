"""bench_instances: throughput of 1, 2 and 3 `wiremon run` processes sharing one PostgreSQL, and the database's
share of the CPU they use together.

    .venv/bin/python -m bench.run instances [--quick]

A local aiohttp server (in this process) serves many feeds that carry new stories on every request (each
request: the feed's newest 20 items, 10 of them new) and takes the alerts as webhooks. The instances poll as fast
as their settings allow (interval 1 s, tick 0.1 s), so the figures are what they can do, not what the feeds
ask. Each instance count gets a new schema of a throwaway database; its feeds are primed first, then measured.

Figures: stories recorded per second and feeds polled per second (= feeds per 1 s cycle, the interval), and the
CPU seconds of the PostgreSQL backends serving the instances over the CPU seconds of those backends and the
instances together. Needs PostgreSQL (WIREMON_TEST_PG_DSN, default postgresql://root@127.0.0.1:5432/postgres);
without it the rows say why.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import asyncpg  # type: ignore[import-untyped]
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("WIREMON_TEST_PG_DSN") or "postgresql://root@127.0.0.1:5432/postgres"
PER_REQUEST, NEW_PER_REQUEST = 20, 10
_TEXT = (
    "port strike grain export talks minister summit missile launch flood rain storm court ruling election vote budget"
    " deficit rates bank market shares oil price pipeline border troops ceasefire aid talks treaty sanctions drone"
    " attack factory output jobs report inflation currency harbour shipping"
)
WORDS = _TEXT.split()
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class Wires:
    """Feeds that always have news, and a webhook receiver."""

    def __init__(self) -> None:
        self.served: dict[str, int] = {}  # feed → items published so far
        self.requests = 0
        self.alerts = 0

    def item(self, feed: str, n: int) -> str:
        rng = random.Random(f"{feed}-{n}")
        summary = " ".join(rng.choice(WORDS) for _ in range(45))
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        return (
            f"<item><guid isPermaLink='false'>{feed}-{n}</guid><title>{escape(title)} {n}</title>"
            f"<link>https://{feed}.bench/{n}</link><description>{escape(summary)}</description></item>"
        )

    async def feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests += 1
        top = self.served[name] = self.served.get(name, 0) + NEW_PER_REQUEST
        items = "".join(self.item(name, n) for n in range(top, max(top - PER_REQUEST, 0), -1))
        body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>{items}</channel></rss>"
        return web.Response(body=body.encode(), content_type="application/rss+xml")

    async def hook(self, request: web.Request) -> web.Response:
        await request.read()
        self.alerts += 1
        return web.Response(text="ok")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def dsn_for(database: str, schema: str | None = None) -> str:
    base = ADMIN_DSN.rsplit("/", 1)[0] + "/" + database
    return base + (f"?search_path={schema}" if schema else "")


async def until(check: Callable[[], Awaitable[bool]], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the instances did not prime their feeds in time")
        await asyncio.sleep(0.2)


class Counts:
    """Stories recorded and feeds primed, read from the store the instances share (outside wiremon)."""

    def __init__(self, database: str | None, folder: Path) -> None:
        self.database = database  # None: a SQLite file in `folder`
        self.schema = f"b_{secrets.token_hex(4)}"
        self.file = folder / "w.db"
        self.conn: Any = None

    @property
    def store(self) -> str:
        return dsn_for(self.database, self.schema) if self.database else str(self.file)

    async def open(self) -> None:
        if self.database:
            self.conn = await asyncpg.connect(dsn_for(self.database), timeout=5)
            await self.conn.execute(f"CREATE SCHEMA {self.schema}")
            await self.conn.execute(f"SET search_path = {self.schema}")

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.execute(f"DROP SCHEMA {self.schema} CASCADE")
            await self.conn.close()

    async def value(self, sql: str) -> int:
        try:
            if self.conn is not None:
                return int(await self.conn.fetchval(sql))
            with sqlite3.connect(self.file) as db:
                return int(db.execute(sql).fetchone()[0])
        except (asyncpg.UndefinedTableError, sqlite3.OperationalError):  # not created yet
            return -1

    async def backends(self) -> list[int]:
        if self.conn is None:
            return []
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", self.database
        )
        return [r[0] for r in rows]


async def measure(
    instances: int, feeds: int, seconds: float, database: str | None, wires: Wires, url: str
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counts = Counts(database, folder)
        await counts.open()
        (folder / "w.yaml").write_text("watchlists:\n  - {name: strikes, query: 'strike AND grain AND summit'}\n")
        lines = [f"  - {{url: '{url}/feeds/f{n}', name: f{n}, interval: 1s, server_pace: false}}" for n in range(feeds)]
        (folder / "wiremon.yaml").write_text(
            "feeds:\n" + "\n".join(lines)
            + f"\ndestinations:\n  - {{name: hook, type: webhook, url: '{url}/hooks/h'}}\n"
            f"watchlists: w.yaml\nstore: '{counts.store}'\ntick: 0.1s\nlease: 30s\n"
            "server: {listen: 'off'}\nparse_workers: 0\nconcurrency: 32\nper_host: 16\n"
        )  # fmt: skip
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "monitor", "run", "--config", str(folder / "wiremon.yaml"), "--log-level",
                "ERROR", cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
            for _ in range(instances)
        ]
        try:

            async def primed() -> bool:
                return await counts.value("SELECT COUNT(*) FROM feeds WHERE primed") == feeds

            await until(primed, 120)
            backends = await counts.backends()
            stories0, requests0 = await counts.value("SELECT COUNT(*) FROM stories"), wires.requests
            cpu0 = [sum(cpu_seconds(p) for p in backends), sum(cpu_seconds(p.pid) for p in procs)]
            started = time.perf_counter()
            await asyncio.sleep(seconds)
            elapsed = time.perf_counter() - started
            stories1, requests1 = await counts.value("SELECT COUNT(*) FROM stories"), wires.requests
            cpu1 = [sum(cpu_seconds(p) for p in backends), sum(cpu_seconds(p.pid) for p in procs)]
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            await asyncio.gather(*(proc.wait() for proc in procs))
            await counts.close()
    db_cpu, wiremon_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    return {
        "stories": (stories1 - stories0) / elapsed,
        "polls": (requests1 - requests0) / elapsed,
        "db_share": db_cpu / (db_cpu + wiremon_cpu) if db_cpu + wiremon_cpu else 0.0,
        "cpu": (db_cpu + wiremon_cpu) / elapsed,
    }


async def run(quick: bool) -> list[dict[str, object]]:
    feeds, seconds = (60, 6.0) if quick else (200, 20.0)
    database = f"wiremon_bench_{secrets.token_hex(4)}"
    try:
        await admin(f"CREATE DATABASE {database}")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return [{"benchmark": "instances", "case": "skipped", "value": "", "unit": "", "note": f"no PostgreSQL: {exc}"}]
    wires = Wires()
    app = web.Application()
    app.router.add_get("/feeds/{name}", wires.feed)
    app.router.add_post("/hooks/{name}", wires.hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rows: list[dict[str, object]] = []
    try:
        note = f"{feeds} feeds, 1 s interval, {seconds:.0f} s, {os.cpu_count()} cores"
        base = await measure(1, feeds, seconds, None, wires, f"http://127.0.0.1:{port}")
        rows += [
            {"benchmark": "instances", "case": "1 instance on SQLite: stories recorded", "value": base["stories"],
             "unit": "stories/s", "note": note},
            {"benchmark": "instances", "case": "1 instance on SQLite: feeds polled per 1 s cycle",
             "value": base["polls"], "unit": "feeds", "note": f"of {feeds} due; {base['cpu']:.2f} cores busy"},
        ]  # fmt: skip
        for instances in (1, 2, 3):
            got = await measure(instances, feeds, seconds, database, wires, f"http://127.0.0.1:{port}")
            rows += [
                {"benchmark": "instances", "case": f"{instances} instance(s): stories recorded",
                 "value": got["stories"], "unit": "stories/s", "note": note},
                {"benchmark": "instances", "case": f"{instances} instance(s): feeds polled per 1 s cycle",
                 "value": got["polls"], "unit": "feeds", "note": f"of {feeds} due"},
                {"benchmark": "instances", "case": f"{instances} instance(s): PostgreSQL share of CPU",
                 "value": 100 * got["db_share"], "unit": "%",
                 "note": f"backends / (backends + instances); {got['cpu']:.2f} cores busy in all"},
            ]  # fmt: skip
    finally:
        await runner.cleanup()
        await admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return rows


def bench(quick: bool) -> list[dict[str, object]]:
    return asyncio.run(run(quick))


if __name__ == "__main__":
    from bench.run import table

    print(table(bench("--quick" in sys.argv)))
