"""server: the demo's two local HTTP servers, bound to 127.0.0.1 on random ports.

- the wire: each demo feed at /feeds/<slug>.xml, holding the items whose offset has passed since the
  servers started (time from an injected Clock, so tests move it by hand), with ETag and Last-Modified
  validators and a 304 when the client's copy is current;
- the webhook sink: /hook records every JSON POST (body and headers) and tells a callback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from monitor.clock import Clock
from monitor.demo.feeds import CONTENT_TYPES, last_modified, released, render_feed
from monitor.demo.items import DemoData, DemoFeed, load_demo_data

HOST = "127.0.0.1"
HOOK_PATH = "/hook"
SHUTDOWN_TIMEOUT = 2.0  # seconds open requests get when the demo stops


def feed_path(slug: str) -> str:
    return f"/feeds/{slug}.xml"


@dataclass(frozen=True, slots=True)
class ReceivedPost:
    """One request the webhook sink accepted."""

    headers: dict[str, str]  # names lower-cased
    body: bytes  # exactly as received (what a signature covers)
    payload: Any  # the body as JSON
    received_at: datetime


OnPost = Callable[[ReceivedPost], None]


class DemoWire:
    """The feed server: what each feed holds is a function of the clock's time since `started`."""

    def __init__(self, data: DemoData, clock: Clock, started: datetime) -> None:
        self.feeds: dict[str, DemoFeed] = {f.slug: f for f in data.feeds}
        self.data = data
        self.clock = clock
        self.started = started
        # published dates count from a whole second, so Last-Modified (to the second) changes with each item
        self.epoch = started.replace(microsecond=0)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feeds/{slug:[a-z0-9-]+}.xml", self.serve_feed)
        return app

    async def serve_feed(self, request: web.Request) -> web.StreamResponse:
        feed = self.feeds.get(request.match_info["slug"])
        if feed is None:
            raise web.HTTPNotFound(text="no such demo feed")
        elapsed = (self.clock.now() - self.started).total_seconds()
        items = released(self.data.items_of(feed.slug), elapsed)
        body = render_feed(feed, items, self.epoch, str(request.url))
        tag, modified = etag_of(body), last_modified(self.epoch, items)
        if not_modified(request, tag, modified):
            response = web.Response(status=304)
        else:
            response = web.Response(body=body, content_type=CONTENT_TYPES[feed.format], charset="utf-8")
        response.etag = tag
        response.last_modified = modified
        response.headers["Cache-Control"] = "no-cache"  # the demo changes by the second
        return response


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:20]


def not_modified(request: web.Request, tag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since (to the second)."""
    if request.if_none_match is not None:
        return any(t.value in (tag, "*") for t in request.if_none_match)  # weak comparison
    since = request.if_modified_since
    return since is not None and modified.replace(microsecond=0) <= since


class WebhookSink:
    """Records what the daemon delivers; answers 200 to any JSON body, 400 to anything else."""

    def __init__(self, clock: Clock, on_post: OnPost | None = None) -> None:
        self.clock = clock
        self.on_post = on_post
        self.received: list[ReceivedPost] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(HOOK_PATH, self.receive)
        return app

    async def receive(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            payload = json.loads(body)
        except ValueError:  # not UTF-8, or not JSON
            return web.json_response({"error": "expected a JSON body"}, status=400)
        headers = {name.lower(): value for name, value in request.headers.items()}
        post = ReceivedPost(headers, body, payload, self.clock.now())
        self.received.append(post)
        if self.on_post is not None:
            self.on_post(post)
        return web.json_response({"ok": True})


@dataclass
class DemoServers:
    feeds: list[tuple[str, str]]  # (feed name, URL), in data order
    hook_url: str
    received: list[ReceivedPost]  # the sink's record, appended to as posts arrive
    started: datetime
    data: DemoData
    _runners: list[web.AppRunner] = field(default_factory=list, repr=False)

    @property
    def feeds_base(self) -> str:
        """http://127.0.0.1:PORT of the feed server."""
        return self.feeds[0][1].rsplit("/feeds/", 1)[0] if self.feeds else ""

    async def close(self) -> None:
        """Stop both servers, the sink last."""
        while self._runners:
            await self._runners.pop().cleanup()


async def start_demo_servers(
    clock: Clock,
    *,
    data: DemoData | None = None,
    on_post: OnPost | None = None,
    host: str = HOST,
) -> DemoServers:
    """Start the wire and the sink on random ports of `host`; the clock's now() is the demo's start."""
    data = data or load_demo_data()
    started = clock.now()
    wire = DemoWire(data, clock, started)
    sink = WebhookSink(clock, on_post)
    servers = DemoServers([], "", sink.received, started, data)
    try:
        hook_base = await _serve(sink.app(), host, servers._runners)
        feeds_base = await _serve(wire.app(), host, servers._runners)
    except BaseException:
        await servers.close()
        raise
    servers.feeds = [(f.name, feeds_base + feed_path(f.slug)) for f in data.feeds]
    servers.hook_url = hook_base + HOOK_PATH
    return servers


async def _serve(app: web.Application, host: str, runners: list[web.AppRunner]) -> str:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    runners.append(runner)
    await web.TCPSite(runner, host, 0).start()
    port = runner.addresses[0][1]
    return f"http://{host}:{port}"
