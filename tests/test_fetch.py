"""Fetcher against real aiohttp servers on 127.0.0.1: conditional GET, statuses, redirects, size and time caps."""

from __future__ import annotations

import asyncio
import gzip
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor import USER_AGENT
from monitor.clock import FakeClock
from monitor.fetch import (
    MAX_RETRY_AFTER,
    Failed,
    Fetched,
    Fetcher,
    Gone,
    NotModified,
    RateLimited,
    Validators,
    make_session,
)

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
ETAG = 'W/"feed-v1; odd,chars"'
LAST_MODIFIED = "Mon, 18 Nov 2024 10:00:00 GMT"
NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


@cache
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzipped to ~50 KB, built without holding the 50 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    block = bytes(1_000_000)
    return b"".join(packer.compress(block) for _ in range(50)) + packer.flush()


@dataclass
class Site:
    """The test server plus what it saw."""

    requests: list[dict[str, str]] = field(default_factory=list)
    dripping: asyncio.Event = field(default_factory=asyncio.Event)
    stop_dripping: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer = field(init=False)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _respond(status: int = 200, body: bytes | None = None, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()})

    return handler


def _redirect(status: int, to: str) -> Handler:
    return _respond(status, Location=to)


def _app(site: Site) -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        site.requests.append(dict(request.headers))
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Cache-Control": "public, max-age=300"}
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=validators)
        response = web.Response(body=FEED, content_type="application/rss+xml", headers=validators)
        response.set_cookie("session", "tracking")
        return response

    async def chain(request: web.Request) -> web.Response:
        hops = int(request.match_info["n"])
        return web.Response(status=302, headers={"Location": f"/chain/{hops - 1}"}) if hops else await feed(request)

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        site.dripping.set()
        while not site.stop_dripping.is_set():
            await response.write(b" ")
            try:  # one byte a second, until the test is over
                await asyncio.wait_for(site.stop_dripping.wait(), timeout=1.0)
            except TimeoutError:
                continue
        return response

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/gzip", _respond(body=gzip.compress(FEED), Content_Encoding="gzip"))
    app.router.add_get("/bomb", _respond(body=gzip_bomb(), Content_Encoding="gzip"))
    app.router.add_get("/big", _respond(body=bytes(2_000_000)))
    app.router.add_get("/drip", drip)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/moved", _redirect(301, "/moved-again"))
    app.router.add_get("/moved-again", _redirect(308, "/feed"))
    app.router.add_get("/found", _redirect(302, "/moved"))
    app.router.add_get("/loop", _redirect(301, "/loop"))
    app.router.add_get("/nowhere", _respond(302))
    app.router.add_get("/to-file", _redirect(301, "file:///etc/passwd"))
    app.router.add_get("/slow-down", _respond(429, Retry_After="7200"))
    app.router.add_get("/slow-down-date", _respond(429, Retry_After=format_datetime(NOW + timedelta(hours=2), True)))
    app.router.add_get("/slow-down-forever", _respond(429, Retry_After="99999999"))
    app.router.add_get("/maintenance", _respond(503))
    app.router.add_get("/gone", _respond(410))
    app.router.add_get("/missing", _respond(404))
    app.router.add_get("/broken", _respond(500))
    return app


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    site.server = TestServer(_app(site), host="127.0.0.1")
    await site.server.start_server()
    try:
        yield site
    finally:
        site.stop_dripping.set()
        await site.server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_session() as session:
        yield session


@pytest.fixture
def fetcher(session: aiohttp.ClientSession) -> Fetcher:
    return Fetcher(session, clock=FakeClock(NOW))


async def test_fetched_then_not_modified_with_the_exact_validators(site: Site, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(site.url("/feed"), Validators())
    assert isinstance(first, Fetched)
    assert first.body == FEED and first.status == 200 and first.final_url == site.url("/feed")
    assert first.validators == Validators(ETAG, LAST_MODIFIED)
    assert first.max_age == 300.0 and first.permanent_redirect is None
    assert first.content_type == "application/rss+xml"
    assert len(first.body_hash) == 64

    second = await fetcher.fetch(site.url("/feed"), first.validators)
    assert second == NotModified(Validators(ETAG, LAST_MODIFIED), 300.0)
    initial, conditional = site.requests
    assert "If-None-Match" not in initial and "If-Modified-Since" not in initial
    assert conditional["If-None-Match"] == ETAG and conditional["If-Modified-Since"] == LAST_MODIFIED


async def test_identity_headers_and_no_cookies(site: Site, fetcher: Fetcher) -> None:
    await fetcher.fetch(site.url("/feed"), Validators())
    await fetcher.fetch(site.url("/feed"), Validators())  # the first response set a cookie
    for headers in site.requests:
        assert headers["User-Agent"] == USER_AGENT
        assert headers["Accept"].startswith("application/rss+xml, application/atom+xml")
        assert "gzip" in headers["Accept-Encoding"]
        assert "Cookie" not in headers


async def test_gzip_body_is_decompressed(site: Site, fetcher: Fetcher) -> None:
    outcome = await fetcher.fetch(site.url("/gzip"), Validators())
    assert isinstance(outcome, Fetched) and outcome.body == FEED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/slow-down", RateLimited(7200.0, 429)),
        ("/slow-down-date", RateLimited(7200.0, 429)),
        ("/slow-down-forever", RateLimited(MAX_RETRY_AFTER, 429)),
        ("/maintenance", RateLimited(None, 503)),
        ("/gone", Gone(410)),
        ("/missing", Failed("HTTP 404 Not Found", 404)),
        ("/broken", Failed("HTTP 500 Internal Server Error", 500)),
    ],
)
async def test_status_outcomes(site: Site, fetcher: Fetcher, path: str, expected: object) -> None:
    assert await fetcher.fetch(site.url(path), Validators()) == expected


async def test_permanent_redirects_report_the_new_url(site: Site, fetcher: Fetcher) -> None:
    outcome = await fetcher.fetch(site.url("/moved"), Validators())  # 301 then 308
    assert isinstance(outcome, Fetched)
    assert outcome.final_url == outcome.permanent_redirect == site.url("/feed")


async def test_a_temporary_hop_makes_the_chain_temporary(site: Site, fetcher: Fetcher) -> None:
    outcome = await fetcher.fetch(site.url("/found"), Validators())  # 302, 301, 308
    assert isinstance(outcome, Fetched)
    assert outcome.final_url == site.url("/feed") and outcome.permanent_redirect is None


async def test_five_redirects_are_followed_six_are_not(site: Site, fetcher: Fetcher) -> None:
    assert isinstance(await fetcher.fetch(site.url("/chain/5"), Validators()), Fetched)
    outcome = await fetcher.fetch(site.url("/chain/6"), Validators())
    assert isinstance(outcome, Failed) and outcome.reason.startswith("too many redirects")


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/loop", "too many redirects (redirect loop)"), ("/nowhere", "without a Location"), ("/to-file", "unsupported")],
)
async def test_redirects_we_refuse(site: Site, fetcher: Fetcher, path: str, reason: str) -> None:
    outcome = await fetcher.fetch(site.url(path), Validators())
    assert isinstance(outcome, Failed) and reason in outcome.reason


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


async def test_gzip_bomb_is_cut_at_the_cap_with_flat_memory(
    site: Site, session: aiohttp.ClientSession, traced: None
) -> None:
    gzip_bomb()  # built before measuring
    tracemalloc.reset_peak()
    outcome = await Fetcher(session, max_bytes=1_000_000).fetch(site.url("/bomb"), Validators())
    assert outcome == Failed("response larger than 1 MB", 200)
    assert tracemalloc.get_traced_memory()[1] < 8_000_000  # 50 MB if it had been inflated whole


async def test_oversized_plain_body_is_refused(site: Site, session: aiohttp.ClientSession) -> None:
    outcome = await Fetcher(session, max_bytes=1_000_000).fetch(site.url("/big"), Validators())
    assert outcome == Failed("response larger than 1 MB", 200)


async def test_a_dripping_server_is_cut_by_the_total_timeout(site: Site, session: aiohttp.ClientSession) -> None:
    outcome = await Fetcher(session, timeout=0.5).fetch(site.url("/drip"), Validators())
    assert outcome == Failed("timed out", None)


async def test_cancellation_propagates(site: Site, fetcher: Fetcher) -> None:
    task = asyncio.create_task(fetcher.fetch(site.url("/drip"), Validators()))
    await site.dripping.wait()  # the request is in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = await fetcher.fetch(f"http://127.0.0.1:{port}/feed", Validators())
    assert isinstance(outcome, Failed) and outcome.status is None
    assert outcome.reason.startswith("connection failed")


async def test_invalid_url(fetcher: Fetcher) -> None:
    outcome = await fetcher.fetch("ftp://127.0.0.1/feed", Validators())
    assert isinstance(outcome, Failed) and outcome.reason.startswith("unsupported URL scheme")
