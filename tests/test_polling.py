"""Polite polling against a real HTTP server: the server's pace, rate limits, moves, gone feeds, per-host limits."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from io import StringIO
from pathlib import Path

from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.health import feed_rows, render_feeds, retry_feed
from monitor.settings import FeedConfig, ServerConfig, Settings
from tests.wire import Item, Wire

STORY = Item("a-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.")


def settings_for(tmp: Path, wire: Wire, names: list[str], **options: object) -> Settings:
    (tmp / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: snow\n", encoding="utf-8")
    feeds = [FeedConfig(url=wire.url(f"/feeds/{n}"), name=n, interval=300, **options) for n in names]  # type: ignore[arg-type]
    return Settings(
        feeds=feeds, watchlists=Path("w.yaml"), store="w.db", base_dir=tmp, per_host=2,
        server=ServerConfig(listen="off"),
    )  # fmt: skip


async def poll_when_due(daemon: Daemon, clock: FakeClock) -> None:
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values() if not s.gone)))
    await daemon.poll_due()


def wait_of(daemon: Daemon, url: str, clock: FakeClock) -> float:
    return (daemon.states[url].next_poll - clock.now()).total_seconds()


async def test_cache_control_max_age_is_never_undercut(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = [STORY]
    wire.feed_headers["a"] = {"Cache-Control": "public, max-age=43200"}
    async with Daemon(settings_for(tmp_path, wire, ["a"]), clock=clock, console=StringIO()) as daemon:
        await poll_when_due(daemon, clock)
        assert wait_of(daemon, wire.url("/feeds/a"), clock) >= 12 * 3600
        await poll_when_due(daemon, clock)  # a 304 carries max-age too
        assert daemon.states[wire.url("/feeds/a")].last_status == "304 not modified"
        assert wait_of(daemon, wire.url("/feeds/a"), clock) >= 12 * 3600


async def test_feed_ttl_sets_the_pace_unless_the_user_opts_out(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = wire.feeds["b"] = [STORY]
    wire.ttl["a"] = wire.ttl["b"] = 60
    settings = settings_for(tmp_path, wire, ["a"]).model_copy(
        update={
            "feeds": [
                FeedConfig(url=wire.url("/feeds/a"), name="a", interval=300),
                FeedConfig(url=wire.url("/feeds/b"), name="b", interval=300, server_pace=False),
            ]
        }
    )
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        await poll_when_due(daemon, clock)
        assert wait_of(daemon, wire.url("/feeds/a"), clock) >= 3600
        assert wait_of(daemon, wire.url("/feeds/b"), clock) <= 330


async def test_retry_after_seconds_date_and_clamp(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    later_at = clock.now() + timedelta(hours=3)
    later = format_datetime(later_at, usegmt=True)
    wire.answers["s"] = (429, {"Retry-After": "7200"})
    wire.answers["d"] = (503, {"Retry-After": later})
    wire.answers["c"] = (429, {"Retry-After": "99999999"})
    async with Daemon(settings_for(tmp_path, wire, ["s", "d", "c"]), clock=clock, console=StringIO()) as daemon:
        await poll_when_due(daemon, clock)
        assert wait_of(daemon, wire.url("/feeds/s"), clock) == 7200
        assert abs(wait_of(daemon, wire.url("/feeds/d"), clock) - (later_at - clock.now()).total_seconds()) <= 1
        assert wait_of(daemon, wire.url("/feeds/c"), clock) == 48 * 3600


async def test_gone_feed_stops_until_retried(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    settings = settings_for(tmp_path, wire, ["g"])
    wire.answers["g"] = (410, {})
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        await poll_when_due(daemon, clock)
        assert daemon.states[wire.url("/feeds/g")].gone
        clock.advance(7 * 86400)
        await daemon.poll_due()
    assert len(wire.feed_requests) == 1
    rows = await feed_rows(settings, clock.now())
    assert rows[0]["status"] == "GONE (not polled)" and "410" in rows[0]["last_error"]
    assert "GONE" in render_feeds(rows, clock.now())
    assert await retry_feed(settings, wire.url("/feeds/g"))
    del wire.answers["g"]
    wire.feeds["g"] = [STORY]
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        await daemon.poll_due()
        assert daemon.states[wire.url("/feeds/g")].last_status == "200 ok"
    assert len(wire.feed_requests) == 2


async def test_permanent_redirect_adopted_only_when_consistent(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["new"] = [STORY]
    wire.answers["old"] = (301, {"Location": wire.url("/feeds/new")})
    wire.answers["temp"] = (302, {"Location": wire.url("/feeds/new")})
    old, temp = wire.url("/feeds/old"), wire.url("/feeds/temp")
    async with Daemon(settings_for(tmp_path, wire, ["old", "temp"]), clock=clock, console=StringIO()) as daemon:
        await poll_when_due(daemon, clock)
        assert daemon.states[old].fetch_url is None and daemon.states[old].redirect_count == 1
        await poll_when_due(daemon, clock)
        await poll_when_due(daemon, clock)
        assert daemon.states[old].fetch_url == wire.url("/feeds/new")
        assert daemon.states[temp].fetch_url is None and daemon.states[temp].redirect_count == 0
        wire.feed_requests.clear()
        await poll_when_due(daemon, clock)
    assert sorted(name for name, _ in wire.feed_requests) == ["new", "new", "temp"]  # old is no longer asked


async def test_per_host_limit_holds(tmp_path: Path, wire: Wire) -> None:
    names = [f"f{n}" for n in range(30)]
    for name in names:
        wire.feeds[name] = [STORY]
    for per_host, most in ((2, 2), (6, 6)):
        wire.most_in_flight = 0
        clock = FakeClock()
        (tmp_path / str(per_host)).mkdir()
        settings = settings_for(tmp_path / str(per_host), wire, names).model_copy(update={"per_host": per_host})
        async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
            clock.advance(3600)
            await daemon.poll_due()
        assert wire.most_in_flight == most
