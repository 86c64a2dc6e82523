"""The demo wire and webhook sink, over real HTTP on 127.0.0.1, with time moved by a FakeClock."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import aiohttp
import feedparser
import pytest

from monitor.clock import FakeClock
from monitor.demo.items import DemoData, DemoFeed, load_demo_data
from monitor.demo.server import DemoServers, ReceivedPost, start_demo_servers

SEED_GUID = "yna-demo-20241119-kim-kozlov"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def posted() -> list[ReceivedPost]:
    return []


@pytest.fixture
async def demo(clock: FakeClock, posted: list[ReceivedPost]) -> AsyncIterator[DemoServers]:
    servers = await start_demo_servers(clock, on_post=posted.append)
    try:
        yield servers
    finally:
        await servers.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def fetch(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, bytes, Any]:
    async with http.get(url, headers=headers) as response:
        return response.status, await response.read(), response.headers


def url_of(servers: DemoServers, slug: str) -> str:
    feed = next(f for f in servers.data.feeds if f.slug == slug)
    return dict(servers.feeds)[feed.name]


def ids(body: bytes) -> list[str]:
    return [e.id for e in feedparser.parse(body).entries]


def guids(data: DemoData, feed: DemoFeed, *, up_to: float) -> set[str]:
    return {i.guid for i in data.items_of(feed.slug) if i.offset <= up_to}


async def test_servers_listen_on_loopback_with_one_url_per_feed(demo: DemoServers) -> None:
    assert len(demo.feeds) == len(demo.data.feeds) >= 3
    for (name, url), feed in zip(demo.feeds, demo.data.feeds, strict=True):
        assert name == feed.name
        assert url.startswith("http://127.0.0.1:") and url.endswith(f"/feeds/{feed.slug}.xml")
    assert demo.hook_url.startswith("http://127.0.0.1:") and demo.hook_url.endswith("/hook")


async def test_before_any_offset_only_the_items_already_there_are_served(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    clock.advance(9.5)  # the first release is at 10 s
    for feed in demo.data.feeds:
        status, body, _ = await fetch(http, url_of(demo, feed.slug))
        assert status == 200
        assert set(ids(body)) == guids(demo.data, feed, up_to=0)
    assert sum(len(guids(demo.data, f, up_to=0)) for f in demo.data.feeds) >= 2


async def test_advancing_the_clock_releases_items_newest_first(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    url = url_of(demo, "yonhap")
    assert SEED_GUID not in ids((await fetch(http, url))[1])
    clock.advance(10)
    assert SEED_GUID in ids((await fetch(http, url))[1])

    clock.advance(demo.data.last_offset)
    for feed in demo.data.feeds:
        served = ids((await fetch(http, url_of(demo, feed.slug)))[1])
        expected = sorted(demo.data.items_of(feed.slug), key=lambda i: i.offset, reverse=True)
        assert served == [i.guid for i in expected]


async def test_a_second_get_with_the_etag_is_304_until_the_feed_changes(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    url = url_of(demo, "yonhap")
    status, _, headers = await fetch(http, url)
    etag = headers["ETag"]
    assert status == 200 and etag.startswith('"')

    status, body, again = await fetch(http, url, **{"If-None-Match": etag})
    assert (status, body, again["ETag"]) == (304, b"", etag)

    clock.advance(10)  # the seed story appears in this feed
    status, body, changed = await fetch(http, url, **{"If-None-Match": etag})
    assert status == 200 and SEED_GUID in ids(body)
    assert changed["ETag"] != etag


async def test_if_modified_since_is_honoured_and_last_modified_follows_the_newest_item(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    url = url_of(demo, "yonhap")
    _, _, headers = await fetch(http, url)
    modified = headers["Last-Modified"]
    assert parsedate_to_datetime(modified) == demo.started

    status, _, _ = await fetch(http, url, **{"If-Modified-Since": modified})
    assert status == 304

    clock.advance(10)
    status, _, headers = await fetch(http, url, **{"If-Modified-Since": modified})
    assert status == 200
    assert parsedate_to_datetime(headers["Last-Modified"]) == demo.started + timedelta(seconds=10)

    earlier = format_datetime(demo.started - timedelta(days=1), usegmt=True)
    status, _, _ = await fetch(http, url, **{"If-Modified-Since": earlier})
    assert status == 200


async def test_if_none_match_wins_over_if_modified_since(demo: DemoServers, http: aiohttp.ClientSession) -> None:
    url = url_of(demo, "yonhap")
    _, _, headers = await fetch(http, url)
    stale = {"If-None-Match": '"not-this-one"', "If-Modified-Since": headers["Last-Modified"]}
    assert (await fetch(http, url, **stale))[0] == 200


async def test_feedparser_reads_every_demo_feed_with_its_entries(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    clock.advance(demo.data.last_offset)
    versions = set()
    for feed in demo.data.feeds:
        status, body, headers = await fetch(http, url_of(demo, feed.slug))
        parsed = feedparser.parse(body)
        assert status == 200 and not parsed.bozo, parsed.get("bozo_exception")
        assert headers["Content-Type"].startswith(f"application/{feed.format}+xml")
        assert parsed.version == {"rss": "rss20", "atom": "atom10"}[feed.format]
        assert parsed.feed.title == feed.title
        versions.add(parsed.version)
        by_id = {e.id: e for e in parsed.entries}
        for item in demo.data.items_of(feed.slug):
            entry = by_id[item.guid]
            assert (entry.title, entry.link) == (item.title, item.link)
            published = demo.started + timedelta(seconds=item.offset)
            assert calendar.timegm(entry.published_parsed) == int(published.timestamp())
            assert entry.summary.split() == item.summary.split()  # the HTML comes back as written
            if item.content:
                assert entry.content[0].value.split() == item.content.split()
            if item.author:
                assert entry.author == item.author
    assert versions == {"rss20", "atom10"}


async def test_the_seed_story_keeps_its_markup_once_escaped(
    demo: DemoServers, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    clock.advance(10)
    _, body, _ = await fetch(http, url_of(demo, "yonhap"))
    assert b"&lt;b&gt;Kim Jong-un&lt;/b&gt;" in body  # escaped in the XML
    seed = next(e for e in feedparser.parse(body).entries if e.id == SEED_GUID)
    assert "<b>Kim Jong-un</b>" in seed.summary


async def test_an_unknown_feed_is_404(demo: DemoServers, http: aiohttp.ClientSession) -> None:
    base = demo.feeds_base
    assert (await fetch(http, f"{base}/feeds/nowhere.xml"))[0] == 404


async def test_the_webhook_sink_records_json_posts_with_their_headers(
    demo: DemoServers, posted: list[ReceivedPost], http: aiohttp.ClientSession
) -> None:
    document = {"type": "wiremon.alert", "id": "msg_0123", "story": {"id": SEED_GUID}}
    headers = {"webhook-id": "msg_0123", "Content-Type": "application/json"}
    async with http.post(demo.hook_url, json=document, headers=headers) as response:
        assert response.status == 200

    assert len(demo.received) == 1
    post = demo.received[0]
    assert post.payload == document
    assert post.headers["webhook-id"] == "msg_0123"
    assert post.headers["content-type"] == "application/json"
    assert posted == [post]


async def test_the_webhook_sink_refuses_what_is_not_json(
    demo: DemoServers, posted: list[ReceivedPost], http: aiohttp.ClientSession
) -> None:
    async with http.post(demo.hook_url, data=b"\xff not json") as response:
        assert response.status == 400
    assert demo.received == [] and posted == []


async def test_close_stops_both_servers(clock: FakeClock, http: aiohttp.ClientSession) -> None:
    servers = await start_demo_servers(clock, data=load_demo_data())
    urls = [servers.feeds[0][1], servers.hook_url]
    await servers.close()
    for url in urls:
        with pytest.raises(aiohttp.ClientConnectionError):
            await fetch(http, url)
