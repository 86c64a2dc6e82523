"""Several wiremon instances on one PostgreSQL: feeds, alerts and clusters shared, each exactly once.

Two in-process daemons on a fake clock show the sharing step by step, two deliverers the destination leases, and
three real `wiremon run` processes on real time show it end to end, with one of them killed while it holds a feed.
(The store-level claims are in test_store_backends.py, on both backends.)
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from monitor.deliver import Delivered, RateLimit
from monitor.model import Alert, Story
from monitor.outbox import Deliverer
from monitor.settings import FeedConfig, Settings
from monitor.settings.models import ServerConfig
from monitor.status import DaemonStatus
from monitor.store import FeedState, SeenStory, open_store
from monitor.store.postgres import migrations
from tests import pg
from tests.test_dedup_daemon import COPIES, ORIGINAL, OTHER, WATCHLISTS
from tests.test_service import ROOT
from tests.wire import Item, Wire, rss

WAIT = 120.0  # seconds: the overall limit for a condition of the subprocess test (never an expected duration)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    yield from pg.session_database()


@pytest.fixture
async def pg_location(pg_database: str) -> str:
    return await pg.new_schema(pg_database)


# --- two daemons in one process, on a fake clock ---------------------------------------------------------------


def write_config(tmp: Path, wire: Wire, store: str) -> Path:
    (tmp / "lists.yaml").write_text(WATCHLISTS, encoding="utf-8")
    feeds = "".join(f"  - {{url: '{wire.url('/feeds/' + n)}', name: {n}, interval: 1m}}\n" for n in ("yna", "ws", "pw"))
    hooks = "".join(f"  - {{name: {n}, type: webhook, url: '{wire.url('/hooks/' + n)}'}}\n" for n in ("a", "b"))
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n{feeds}destinations:\n{hooks}watchlists: lists.yaml\nstore: '{store}'\nserver: {{listen: 'off'}}\n"
        "parse_workers: 0\n",
        encoding="utf-8",
    )
    return path


def daemon_for(path: Path, clock: FakeClock) -> Daemon:
    settings, matcher = load_all(path)
    return Daemon(settings, matcher=matcher, clock=clock, console=StringIO())


async def all_due(daemon: Daemon, clock: FakeClock) -> None:
    """Move the clock to when every feed is due, by the store's schedule (the one both daemons share)."""
    states = (await daemon.store.feed_states()).values()
    clock.set(max(clock.now(), *(s.next_poll for s in states)))


def requests(wire: Wire) -> Counter[str]:
    return Counter(name for name, _ in wire.feed_requests)


async def test_two_daemons_split_the_feeds_and_share_clusters(tmp_path: Path, wire: Wire, pg_location: str) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write_config(tmp_path, wire, pg_location)
    async with daemon_for(path, clock) as a, daemon_for(path, clock) as b:
        assert a.instance != b.instance
        await all_due(a, clock)
        await asyncio.gather(a.poll_due(), b.poll_due())  # both at once: every feed primed by exactly one
        assert requests(wire) == {"yna": 1, "ws": 1, "pw": 1}

        wire.feeds["yna"] = [ORIGINAL, OTHER]
        await all_due(a, clock)
        polled_by_b = await b.poll_due()  # b alone: it records the original and starts its cluster
        assert {r.feed for r in polled_by_b} == {wire.url("/feeds/" + n) for n in ("yna", "ws", "pw")}
        assert await a.poll_due() == []  # nothing left due for a ...
        shown = await DaemonStatus(a).feeds()  # ... and what its status page shows is what b did
        assert shown == await DaemonStatus(b).feeds()
        assert {row["name"]: row["items_seen"] for row in shown}["yna"] == 2

        wire.feeds["ws"], wire.feeds["pw"] = [COPIES[0]], [COPIES[1]]
        await all_due(a, clock)
        polled_by_a = await a.poll_due()  # a has never seen the original: it must catch up from the store
        assert sum(r.new_stories for r in polled_by_a) == 2
        assert requests(wire) == {"yna": 3, "ws": 3, "pw": 3}
        await asyncio.gather(a.deliver_due(), b.deliver_due())
        await asyncio.gather(a.deliver_due(), b.deliver_due())

        await all_due(a, clock)
        reports = [*await a.poll_due(), *await b.poll_due()]  # due at once for both: polled once, by a
        assert sorted(r.feed for r in reports) == sorted(wire.url("/feeds/" + n) for n in ("yna", "ws", "pw"))
    clusters = await pg.query(
        pg_location, "SELECT item_id, cluster FROM stories WHERE item_id IN ('yna-1', 'ws-9', 'pw-3')"
    )
    assert len({cluster for _, cluster in clusters}) == 1  # the copies a polled joined b's cluster
    for hook in ("a", "b"):
        posts = [p.json() for p in wire.posts(hook)]
        assert sorted(p["story"]["title"] for p in posts) == sorted([ORIGINAL.title, OTHER.title])
        assert len({p["cluster"] for p in posts}) == 2


async def test_claims_fill_the_free_poll_slots_until_nothing_is_due(tmp_path: Path, wire: Wire) -> None:
    """More feeds due than `concurrency`: one round polls them all, never more than `concurrency` at once."""
    names = [f"f{n}" for n in range(7)]
    for name in names:
        wire.feeds[name] = []
    (tmp_path / "lists.yaml").write_text(WATCHLISTS, encoding="utf-8")
    settings = Settings(
        feeds=[FeedConfig(url=wire.url("/feeds/" + n), name=n, interval=300) for n in names],
        watchlists=Path("lists.yaml"), store="w.db", base_dir=tmp_path, concurrency=2, per_host=16,
        server=ServerConfig(listen="off"), parse_workers=0,
    )  # fmt: skip
    clock = FakeClock()
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        await all_due(daemon, clock)
        reports = await daemon.poll_due()
        assert sorted(r.feed for r in reports) == sorted(wire.url("/feeds/" + n) for n in names)
        assert requests(wire) == dict.fromkeys(names, 1)
        assert wire.most_in_flight == 2
        assert await daemon.poll_due() == []  # nothing due any more


# --- two deliverers on one outbox ------------------------------------------------------------------------------


@dataclass
class Recorder:
    """A sink that records what it was given (a fake of our Sink protocol), with an optional rate limit."""

    name: str
    sent: list[tuple[str, datetime]]
    clock: FakeClock
    limiter: RateLimit | None = None

    async def send(self, alert: Alert) -> Delivered:
        self.sent.append((alert.id, self.clock.now()))
        return Delivered()


async def queued(location: str, count: int, clock: FakeClock) -> list[str]:
    store = open_store(location)
    await store.open()
    try:
        ids = []
        for n in range(count):
            story = Story(f"s{n}", "https://wire.test/rss", "Wire", f"Story {n}", "text", "", f"https://wire.test/{n}",
                          clock.now(), clock.now())  # fmt: skip
            alert = Alert(Alert.make_id(story.key, "d"), "d", story, ("w",), (), clock.now(), cluster=story.key)
            state = FeedState(url=story.feed_url, name="Wire", interval=60, next_poll=clock.now())
            await store.record_poll(state, [SeenStory(story, story.key, story.key, ("w",))], [alert])
            ids.append(alert.id)
        return ids
    finally:
        await store.close()


async def test_one_deliverer_at_a_time_per_destination_and_a_dead_ones_lease_runs_out(pg_location: str) -> None:
    clock, sent = FakeClock(), []
    ids = await queued(pg_location, 4, clock)
    one, two, dead = (open_store(pg_location) for _ in range(3))
    await asyncio.gather(one.open(), two.open(), dead.open())
    try:
        sinks = {"d": Recorder("d", sent, clock)}
        a = Deliverer(one, sinks, clock, owner="a", lease=30)
        b = Deliverer(two, sinks, clock, owner="b", lease=30)
        assert await dead.claim_destinations("dead", ["d"], clock.now(), 30) == ["d"]  # then it died
        assert await asyncio.gather(a.drain(), b.drain()) == [0, 0] and a.blocked == b.blocked == {"d"}
        clock.advance(30)
        assert sorted(await asyncio.gather(a.drain(), b.drain())) == [0, 4]  # taken over by one of them
        assert [alert_id for alert_id, _ in sent] == ids  # once each, in order
    finally:
        await asyncio.gather(one.close(), two.close(), dead.close())


async def test_a_rate_limited_destination_changes_hands_only_once_its_bucket_refilled(tmp_path: Path) -> None:
    clock, sent = FakeClock(), []
    location = str(tmp_path / "w.db")
    await queued(location, 8, clock)
    one, two = open_store(location), open_store(location)
    await one.open()
    await two.open()
    try:
        a = Deliverer(one, {"d": Recorder("d", sent, clock, RateLimit(1.0, 3))}, clock, owner="a", lease=30)
        b = Deliverer(two, {"d": Recorder("d", sent, clock, RateLimit(1.0, 3))}, clock, owner="b", lease=30)
        assert await a.drain() == 3  # a's burst; the rest waits for a's bucket
        clock.advance(1)
        assert await b.drain() == 0 and b.blocked == {"d"}  # b's bucket is full, but a's is not refilled yet
        assert await a.drain() == 1  # a goes on at its rate
        clock.advance(2.5)
        assert await b.drain() == 0  # 2.5 s after a's last send: a's bucket is not full yet
        clock.advance(0.5)
        assert await b.drain() == 3  # a's bucket would be full again: b may use its own
        one_bucket = RateLimit(1.0, 3)  # the sends of both, as one bucket would have let them through
        for _, at in sent:
            assert one_bucket.delay(at) == 0
            one_bucket.spend(at)
    finally:
        await one.close()
        await two.close()


# --- three `wiremon run` processes ----------------------------------------------------------------------------

FEEDS = [f"f{n}" for n in range(6)]
SLOW = "f0"  # the feed whose poll hangs while the instance holding it is killed


class FeedServer:
    """Feeds at /feeds/<name> (a request to a hung feed waits for `release`) and webhooks at /hooks/<name>."""

    def __init__(self) -> None:
        self.feeds: dict[str, list[Item]] = {name: [] for name in FEEDS}
        self.requests: list[str] = []
        self.posts: list[tuple[str, str, dict[str, object]]] = []  # hook, webhook-id, body
        self.hung: set[str] = set()
        self.release = asyncio.Event()
        self.changed = asyncio.Event()
        app = web.Application()
        app.router.add_get("/feeds/{name}", self._feed)
        app.router.add_post("/hooks/{name}", self._hook)
        self.server = TestServer(app, host="127.0.0.1")

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def _feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append(name)
        self.changed.set()
        if name in self.hung:
            await self.release.wait()
        return web.Response(body=rss(name, self.feeds[name]), content_type="application/rss+xml")

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts.append((request.match_info["name"], request.headers["webhook-id"], body))
        self.changed.set()
        return web.Response(text="ok")

    def polls(self, name: str) -> int:
        return self.requests.count(name)


class Instance:
    """One `wiremon run` process, its stderr read as it comes (a full pipe would stall it)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode())

    @property
    def id(self) -> str:
        for line in self.lines:
            if found := re.search(r"daemon.started .*instance=(\S+)", line):
                return found.group(1)
        return ""

    def claims(self) -> int:
        return sum("feeds.claimed" in line for line in self.lines)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        await self.reader


async def until(condition: Callable[[], Awaitable[bool]], what: str, show: Callable[[], object] = str) -> None:
    """Check `condition` every 100 ms until it holds; fail after WAIT seconds saying what was awaited (and `show()`)."""

    async def watch() -> None:
        for _ in iter(int, 1):  # forever
            try:
                if await condition():
                    return
            except asyncpg.UndefinedTableError:  # the schema is not there yet
                pass
            await asyncio.sleep(0.1)

    try:
        await asyncio.wait_for(watch(), WAIT)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for {what} {show()}") from None


def three_instance_config(tmp: Path, server: FeedServer, store: str) -> Path:
    (tmp / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: 'snow OR blizzard'\n", encoding="utf-8")
    feeds = "".join(f"  - {{url: '{server.url('/feeds/' + n)}', name: {n}, interval: 0.5s}}\n" for n in FEEDS)
    hooks = "".join(f"  - {{name: {n}, type: webhook, url: '{server.url('/hooks/' + n)}'}}\n" for n in ("h1", "h2"))
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n{feeds}destinations:\n{hooks}watchlists: w.yaml\nstore: '{store}'\n"
        "tick: 0.2s\nlease: 5s\nserver: {listen: 'off'}\n"
        "concurrency: 2\n"  # at most 2 feeds claimed per tick: a wave's copies are spread over the instances
        "parse_workers: 0\n",  # no worker processes: a SIGKILL would orphan them
        encoding="utf-8",
    )
    return path


def wave(word: str, tag: str) -> dict[str, list[Item]]:
    """Each feed: the same wire copy (its own guid and link), a story of its own, and one that matches nothing."""
    copy = (f"{word.title()} warning issued for Seoul", f"Forecasters expect heavy {word} across the capital.")
    return {
        name: [
            Item(f"{name}-{tag}-copy", copy[0], copy[1], link=f"https://{name}.test/{tag}/copy"),
            Item(f"{name}-{tag}-own", f"{word.title()} closes pass {name}", f"Local {word} report {name} {tag}.",
                 link=f"https://{name}.test/{tag}/own"),
            Item(f"{name}-{tag}-other", f"Markets open {name} {tag}", "Stocks rose.",
                 link=f"https://{name}.test/{tag}/x"),
        ]
        for name in FEEDS
    }


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_three_processes_alert_once_and_take_over_a_killed_one(tmp_path: Path, pg_location: str) -> None:
    server = FeedServer()
    await server.server.start_server()
    path = three_instance_config(tmp_path, server, pg_location)
    per_wave = 1 + len(FEEDS)  # the copy's cluster and each feed's own story, per destination
    instances: list[Instance] = []

    async def schema_rows(sql: str) -> list[tuple[object, ...]]:
        return await pg.query(pg_location, sql)

    async def delivered(count: int) -> bool:
        rows = await schema_rows("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'")
        return len(server.posts) >= count and rows == [(count,)]

    try:
        for _ in range(3):  # started together: they migrate one fresh schema at the same moment
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "monitor", "run", "--config", str(path), "--log-level", "DEBUG", cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            instances.append(Instance(proc))

        async def primed() -> bool:
            return await schema_rows("SELECT COUNT(*) FROM feeds WHERE primed") == [(len(FEEDS),)]

        await until(primed, "every feed's first poll")
        versions = await schema_rows("SELECT version, COUNT(*) FROM wiremon_schema GROUP BY version ORDER BY 1")
        assert versions == [(number, 1) for number, _, _ in migrations()]

        server.feeds = wave("snow", "w1")
        def posted() -> Counter[str]:
            return Counter(name for name, _, _ in server.posts)

        await until(lambda: delivered(2 * per_wave), "the first wave's alerts", posted)

        # f0 hangs for whoever polls it next; that instance is killed while it holds the feed's lease.
        server.hung.add(SLOW)
        hung_at = server.polls(SLOW)

        slow_url = server.url("/feeds/" + SLOW)

        async def slow_claimed() -> bool:
            held = await schema_rows(f"SELECT 1 FROM feeds WHERE url = '{slow_url}' AND lease_owner IS NOT NULL")
            return server.polls(SLOW) > hung_at and bool(held)

        await until(slow_claimed, "a poll of the hung feed")
        ((owner, lease_until),) = await schema_rows(
            f"SELECT lease_owner, lease_until FROM feeds WHERE url = '{slow_url}'"
        )
        (victim,) = [i for i in instances if i.id == owner]
        others_at = {name: server.polls(name) for name in FEEDS}
        await until(lambda: asyncio.sleep(0, all(server.polls(n) >= others_at[n] + 2 for n in FEEDS[1:])),
                    "two more polls of the other feeds while the slow one hangs")  # fmt: skip
        # its lease keeps the other instances off the hung feed (unless this machine was so slow that it ran out)
        assert server.polls(SLOW) == hung_at + 1 or datetime.now(UTC) >= lease_until
        assert sum(i.claims() > 0 for i in instances) >= 2  # the work was shared before the kill
        await victim.kill()
        server.hung.clear()
        server.release.set()
        polls_at_kill = {name: server.polls(name) for name in FEEDS}
        server.feeds = {name: wave("snow", "w1")[name] + items for name, items in wave("blizzard", "w2").items()}

        async def taken_over() -> bool:
            rows = await schema_rows(
                f"SELECT COUNT(*) FROM stories WHERE feed_url = '{slow_url}' AND item_id LIKE '%w2%'"
            )
            return rows == [(3,)] and server.polls(SLOW) > polls_at_kill[SLOW]

        await until(taken_over, "the killed instance's feed polled again by another one")
        await until(lambda: delivered(4 * per_wave), "the second wave's alerts", posted)

        async def settled() -> bool:  # a few more polls of every feed: anything repeated would have shown
            return all(server.polls(name) >= polls_at_kill[name] + 4 for name in FEEDS)

        await until(settled, "more polls of every feed")
        assert await delivered(4 * per_wave)
    finally:
        for instance in instances:
            await instance.kill()
        await server.server.close()

    for hook in ("h1", "h2"):
        posts = [(webhook_id, body) for name, webhook_id, body in server.posts if name == hook]
        assert len(posts) == 2 * per_wave
        assert len({webhook_id for webhook_id, _ in posts}) == 2 * per_wave  # no alert sent twice
        assert Counter(body["cluster"] for _, body in posts).most_common(1)[0][1] == 1  # one alert per cluster
        titles = Counter(str(body["story"]["title"]) for _, body in posts)  # type: ignore[index]
        assert titles["Snow warning issued for Seoul"] == titles["Blizzard warning issued for Seoul"] == 1
    assert owner not in {str(row[0]) for row in await pg.query(pg_location, "SELECT lease_owner FROM feeds")}
