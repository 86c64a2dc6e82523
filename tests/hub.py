"""A WebSub publisher and hub on one real HTTP server, for driving the daemon's subscriber end to end.

The publisher serves Atom feeds naming the hub (rel="hub", rel="self") at /atom/<name>, and RSS feeds
whose hub is named only in the HTTP Link header at /linked/<name>. The hub records subscription requests at
/hub, answers them `answer` (202 by default), and — when the test says so — verifies intent against the
callback and distributes signed content to it, as a real hub would.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.websub import sign
from tests.wire import Item, rss


def atom(
    title: str, items: list[Item], *, hub: str | None, self_url: str | None, more_hubs: Sequence[str] = ()
) -> bytes:
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>"]
    parts.append(f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id><updated>2024-11-19T00:00:00Z</updated>")
    for url in [hub, *more_hubs] if hub else []:
        parts.append(f"<link rel='hub' href={quoteattr(url)}/>")
    if self_url:
        parts.append(f"<link rel='self' href={quoteattr(self_url)}/>")
    for item in items:
        parts.append(f"<entry><id>{escape(item.guid)}</id><title>{escape(item.title)}</title>")
        parts.append(f"<summary>{escape(item.summary)}</summary><updated>2024-11-19T00:00:00Z</updated>")
        if item.link:
            parts.append(f"<link href={quoteattr(item.link)}/>")
        parts.append("</entry>")
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")


@dataclass
class Request:
    form: dict[str, str]

    @property
    def mode(self) -> str:
        return self.form["hub.mode"]

    @property
    def callback(self) -> str:
        return self.form["hub.callback"]

    @property
    def topic(self) -> str:
        return self.form["hub.topic"]


@dataclass
class Hub:
    server: TestServer
    feeds: dict[str, list[Item]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    answer: int = 202  # what /hub answers subscription requests with
    also: list[str] = field(default_factory=list)  # paths of more hubs the Atom feeds name (they answer 202)
    hub_paths: list[str] = field(default_factory=list)  # which hub path each request went to
    topics: dict[str, str] = field(default_factory=dict)  # a feed's self URL, when not the default
    verify_first: bool = False  # verify intent before answering the request (hubs may)
    lease: int = 86400  # hub.lease_seconds granted when verifying
    early: list[tuple[int, str]] = field(default_factory=list)  # verifications made before answering
    session: aiohttp.ClientSession | None = None
    poke: asyncio.Event = field(default_factory=asyncio.Event)  # set on every subscription request
    hang: asyncio.Event | None = None  # when set here, subscription requests wait for it before answering

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def hub_url(self) -> str:
        return self.url("/hub")

    def subscriptions(self) -> list[Request]:
        return [r for r in self.requests if r.mode == "subscribe"]

    async def verify(self, request: Request, *, mode: str | None = None, topic: str | None = None,
                     challenge: str | None = None, lease: int | None = None,
                     omit_lease: bool = False) -> tuple[int, str]:  # fmt: skip
        """GET the callback as the hub's verification of intent; returns (status, body)."""
        assert self.session is not None
        challenge = challenge or secrets.token_hex(8)
        params = {"hub.mode": mode or request.mode, "hub.topic": topic or request.topic, "hub.challenge": challenge}
        if (mode or request.mode) == "subscribe" and not omit_lease:
            params["hub.lease_seconds"] = str(lease or self.lease)
        async with self.session.get(request.callback, params=params) as response:
            return response.status, await response.text()

    async def deny(self, request: Request, reason: str) -> int:
        assert self.session is not None
        params = {"hub.mode": "denied", "hub.topic": request.topic, "hub.reason": reason}
        async with self.session.get(request.callback, params=params) as response:
            return response.status

    async def distribute(self, request: Request, body: bytes, *, secret: str | None = None, method: str = "sha256",
                         signature: str | None = None, content_type: str = "application/atom+xml") -> int:  # fmt: skip
        """POST content to the callback, signed with the subscription's secret (or `secret`, or as given)."""
        assert self.session is not None
        headers = {"Content-Type": content_type}
        key = secret if secret is not None else request.form.get("hub.secret")
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        elif key:
            headers["X-Hub-Signature"] = sign(key, body, method)
        async with self.session.post(request.callback, data=body, headers=headers) as response:
            return response.status


async def start_hub() -> Hub:
    app = web.Application()
    hub = Hub(server=TestServer(app, host="127.0.0.1"))

    async def atom_feed(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = atom(name, hub.feeds[name], hub=hub.hub_url, self_url=f"https://publisher.test/{name}.atom",
                    more_hubs=[hub.url(p) for p in hub.also])  # fmt: skip
        return web.Response(body=body, content_type="application/atom+xml")

    async def linked_feed(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        topic = hub.topics.get(name, f"https://publisher.test/{name}.rss")
        links = f'<{hub.hub_url}>; rel="hub", <{topic}>; rel="self"'
        return web.Response(body=rss(name, hub.feeds[name]), content_type="application/rss+xml",
                            headers={"Link": links})  # fmt: skip

    async def subscribe(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        hub.requests.append(Request(form))
        hub.hub_paths.append(request.path)
        hub.poke.set()
        if hub.hang is not None:
            await hub.hang.wait()  # a slow hub
        answer = hub.answer if request.path == "/hub" else 202
        if hub.verify_first and answer == 202:
            hub.early.append(await hub.verify(hub.requests[-1]))
        return web.Response(status=answer, text="" if answer < 300 else "hub says no")

    app.router.add_get("/atom/{name}", atom_feed)
    app.router.add_get("/linked/{name}", linked_feed)
    app.router.add_post("/hub", subscribe)
    app.router.add_post("/hub2", subscribe)
    await hub.server.start_server()
    hub.session = aiohttp.ClientSession()
    return hub
