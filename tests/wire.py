"""Test doubles that cross real boundaries: an HTTP server that serves feeds and receives alerts."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Item:
    guid: str
    title: str
    summary: str
    link: str = ""
    published: datetime | None = None


def rss(title: str, items: list[Item], ttl: int | None = None) -> bytes:
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0'><channel><title>{escape(title)}</title>"]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    parts.append("<link>https://wire.test/</link><description>test wire</description>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<guid isPermaLink='false'>{escape(item.guid)}</guid><title>{escape(item.title)}</title>")
        parts.append(f"<description>{escape(item.summary)}</description>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Wire:
    """Feeds at /feeds/<name>; alert receivers at /hooks/<name> that answer `hook_status[name]` (default 200)."""

    server: TestServer
    feeds: dict[str, list[Item]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)  # a feed name here serves these bytes instead
    received: list[Received] = field(default_factory=list)
    hook_status: dict[str, int] = field(default_factory=dict)
    hook_hang: set[str] = field(default_factory=set)  # these hooks record the request, then answer on `unhang`
    unhang: asyncio.Event = field(default_factory=asyncio.Event)  # set: hanging hooks answer (as hook_status says)
    attempts: list[Received] = field(default_factory=list)  # every request a hook saw, answered or not
    feed_requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    feed_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # extra response headers per feed
    answers: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)  # a status instead of the feed
    ttl: dict[str, int] = field(default_factory=dict)  # a feed's <ttl>, minutes
    in_flight: int = 0
    poke: asyncio.Event = field(default_factory=asyncio.Event)  # set whenever a hook sees a request
    most_in_flight: int = 0

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def posts(self, hook: str) -> list[Received]:
        return [r for r in self.received if r.path == f"/hooks/{hook}"]

    async def wait_until(self, ready: Callable[[], bool]) -> None:
        """Wait for hook requests until `ready()` holds (for tests driving a real daemon process)."""

        async def watch() -> None:
            while not ready():
                self.poke.clear()
                await self.poke.wait()

        await asyncio.wait_for(watch(), 30)


async def start_wire() -> Wire:
    app = web.Application()
    wire = Wire(server=TestServer(app, host="127.0.0.1"))

    async def feed(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        wire.feed_requests.append((name, dict(request.headers)))
        wire.in_flight += 1
        wire.most_in_flight = max(wire.most_in_flight, wire.in_flight)
        try:
            for _ in range(5):  # let every other poll the daemon started reach us before we answer
                await asyncio.sleep(0)
            return answer(name, request)
        finally:
            wire.in_flight -= 1

    def answer(name: str, request: web.Request) -> web.Response:
        if name in wire.answers:
            status, headers = wire.answers[name]
            return web.Response(status=status, headers=headers)
        if name in wire.raw:
            return web.Response(body=wire.raw[name], content_type="application/rss+xml")
        if name not in wire.feeds:
            raise web.HTTPNotFound()
        body = rss(name, wire.feeds[name], wire.ttl.get(name))
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag, **wire.feed_headers.get(name, {})})
        headers = {"ETag": etag, **wire.feed_headers.get(name, {})}
        return web.Response(body=body, content_type="application/rss+xml", headers=headers)

    async def hook(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        status = wire.hook_status.get(name, 200)
        body = await request.read()
        wire.attempts.append(Received(request.path, dict(request.headers), body))
        wire.poke.set()
        if name in wire.hook_hang:
            await wire.unhang.wait()  # until released, the client gives up or the server closes
        if status == 200:
            wire.received.append(Received(request.path, dict(request.headers), body))
            wire.poke.set()
            return web.Response(text="ok")
        return web.Response(status=status, text="unavailable")

    app.router.add_get("/feeds/{name}", feed)
    app.router.add_post("/hooks/{name}", hook)
    await wire.server.start_server()
    return wire
