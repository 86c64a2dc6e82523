"""The whole daemon against real HTTP servers and a real SQLite file, driven by a fake clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.settings import DestinationConfig, FeedConfig, ServerConfig, Settings
from tests.wire import Item, Wire

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

WATCHLIST = """\
actors:
  kim_jong_un:
    names: ["Kim Jong-un", "Kim Chong-un"]
  russia:
    names: ["Russia", "Russian*", "Moscow", "Kremlin"]
watchlists:
  - name: dprk-russia
    query: 'kim_jong_un AND (russia OR treaty)'
"""

SEED = Item(
    guid="yna-20241119-kim-kozlov",
    title="N. Korea's Kim urges wider cooperation with Russia: KCNA",
    summary=(
        "<p>North Korean leader <b>Kim Jong-un</b> received Russia's natural resources minister, Alexander Kozlov, "
        "and praised ties that have deepened since the two countries signed a new treaty, state media said.</p>"
    ),
    link="https://wire.test/news/kim-kozlov",
)
OTHER = Item(guid="weather-1", title="Heavy snow expected in Seoul", summary="Forecasters warn of icy roads.")


def settings_for(tmp: Path, wire: Wire, feeds: list[str], **feed_options: object) -> Settings:
    (tmp / "watchlists.yaml").write_text(WATCHLIST, encoding="utf-8")
    return Settings(
        feeds=[FeedConfig(url=wire.url(f"/feeds/{n}"), name=n, interval=60, **feed_options) for n in feeds],  # type: ignore[arg-type]
        destinations=[
            DestinationConfig(name="newsroom", type="slack", url=wire.url("/hooks/slack")),
            DestinationConfig(name="archive", type="webhook", url=wire.url("/hooks/archive"), secret=SECRET),
        ],
        watchlists=Path("watchlists.yaml"),
        store="state/wiremon.db",
        base_dir=tmp,
        server=ServerConfig(listen="off"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def running(tmp_path: Path, clock: FakeClock) -> Callable[..., object]:
    @asynccontextmanager
    async def start(settings: Settings) -> AsyncIterator[Daemon]:
        async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
            yield daemon

    return start


async def cycle(daemon: Daemon, clock: FakeClock) -> None:
    """Move the clock to when every feed is due, poll, then deliver what is due."""
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
    await daemon.poll_due()
    await daemon.deliver_due()


async def test_first_poll_records_backlog_without_alerting(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = [SEED]
    async with running(settings_for(tmp_path, wire, ["yonhap"])) as daemon:
        await cycle(daemon, clock)
        await cycle(daemon, clock)
    assert wire.received == []


async def test_new_matching_story_alerts_once_per_destination(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = [OTHER]
    async with running(settings_for(tmp_path, wire, ["yonhap"])) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED, OTHER]
        await cycle(daemon, clock)
        await cycle(daemon, clock)
    assert [r.path for r in wire.received] == ["/hooks/slack", "/hooks/archive"] or sorted(
        r.path for r in wire.received
    ) == ["/hooks/archive", "/hooks/slack"]
    slack = wire.posts("slack")[0].json()
    assert "Kim urges wider cooperation" in slack["text"]
    archive = wire.posts("archive")[0]
    body = archive.json()
    assert body["watchlists"] == ["dprk-russia"]
    assert body["story"]["link"] == SEED.link
    assert "Kim Jong-un" in body["terms"]
    assert "<b>" not in body["story"]["summary"]


async def test_webhook_signature_verifies(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = []
    async with running(settings_for(tmp_path, wire, ["yonhap"])) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED]
        await cycle(daemon, clock)
    post = wire.posts("archive")[0]
    msg_id, stamp = post.headers["webhook-id"], post.headers["webhook-timestamp"]
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + post.body, hashlib.sha256).digest())
    assert f"v1,{expected.decode()}" in post.headers["webhook-signature"].split(" ")
    assert int(stamp) == int(clock.now().timestamp())


async def test_non_matching_story_alerts_nobody(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = []
    async with running(settings_for(tmp_path, wire, ["yonhap"])) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [OTHER, Item("kim-only", "Kim Jong-un visits a farm", "He inspected the harvest.")]
        await cycle(daemon, clock)
    assert wire.received == []


async def test_alert_on_first_poll_option(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = [SEED]
    async with running(settings_for(tmp_path, wire, ["yonhap"], alert_on_first_poll=True)) as daemon:
        await cycle(daemon, clock)
    assert len(wire.posts("slack")) == 1


async def test_restart_repeats_nothing(tmp_path, wire, clock, running) -> None:
    settings = settings_for(tmp_path, wire, ["yonhap"])
    wire.feeds["yonhap"] = []
    async with running(settings) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED]
        await cycle(daemon, clock)
    assert len(wire.received) == 2
    async with running(settings) as daemon:
        await cycle(daemon, clock)
        await cycle(daemon, clock)
    assert len(wire.received) == 2


async def test_restart_does_not_poll_before_due(tmp_path, wire, clock, running) -> None:
    settings = settings_for(tmp_path, wire, ["yonhap"])
    wire.feeds["yonhap"] = []
    async with running(settings) as daemon:
        await cycle(daemon, clock)
    requests = len(wire.feed_requests)
    async with running(settings) as daemon:
        clock.advance(10)
        await daemon.poll_due()
    assert len(wire.feed_requests) == requests


async def test_alert_waits_in_outbox_until_destination_is_back(tmp_path, wire, clock, running) -> None:
    settings = settings_for(tmp_path, wire, ["yonhap"])
    wire.feeds["yonhap"] = []
    wire.hook_status["archive"] = 503
    async with running(settings) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED]
        await cycle(daemon, clock)
        assert len(wire.posts("slack")) == 1 and wire.posts("archive") == []
        clock.advance(3600)
        await daemon.deliver_due()
        assert wire.posts("archive") == []
    wire.hook_status["archive"] = 200
    async with running(settings) as daemon:  # and across a restart
        clock.advance(3600)
        await daemon.deliver_due()
    assert len(wire.posts("archive")) == 1
    assert len(wire.posts("slack")) == 1


async def test_garbage_feed_leaves_others_working(tmp_path, wire, clock, running) -> None:
    wire.raw["broken"] = b"<html><body>this is not a feed</body>"
    wire.feeds["yonhap"] = []
    async with running(settings_for(tmp_path, wire, ["broken", "yonhap", "missing"])) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED]
        await cycle(daemon, clock)
        broken = daemon.states[wire.url("/feeds/broken")]
        missing = daemon.states[wire.url("/feeds/missing")]
    assert len(wire.posts("slack")) == 1
    assert broken.consecutive_errors == 2 and broken.last_error
    assert missing.consecutive_errors == 2 and "404" in (missing.last_error or "")
    assert broken.next_poll - clock.now() > timedelta(seconds=60)  # backed off beyond the interval


async def test_same_article_in_two_feeds_alerts_once(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = []
    wire.feeds["mirror"] = []
    async with running(settings_for(tmp_path, wire, ["yonhap", "mirror"])) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yonhap"] = [SEED]
        wire.feeds["mirror"] = [Item("mirror-77", SEED.title, SEED.summary, link=SEED.link + "?utm_source=rss")]
        await cycle(daemon, clock)
        await cycle(daemon, clock)
    assert len(wire.posts("slack")) == 1
    assert len(wire.posts("archive")) == 1


async def test_conditional_get_sends_validators_back(tmp_path, wire, clock, running) -> None:
    wire.feeds["yonhap"] = [OTHER]
    async with running(settings_for(tmp_path, wire, ["yonhap"])) as daemon:
        await cycle(daemon, clock)
        await cycle(daemon, clock)
    first, second = wire.feed_requests[0][1], wire.feed_requests[1][1]
    assert "If-None-Match" not in first
    assert second["If-None-Match"].startswith('"') and len(second["If-None-Match"]) == 18
    assert second.get("User-Agent", "").startswith("wiremon/")
    assert daemon.states[wire.url("/feeds/yonhap")].last_status == "304 not modified"
