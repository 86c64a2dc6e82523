"""wire_server: a synthetic news wire for the benchmarks, run as its own process so its CPU is not the daemon's.

    python -m bench.wire_server --feeds 10000 --hosts 100 --items 10

Serves feed i at http://127.0.1.<1 + i % hosts>:<port>/feeds/<i> (every 127.0.0.0/8 address is loopback on
Linux, so each "host" gets its own per-host politeness slots in the daemon), receives alerts at
/hooks/<name> on any of them, and is steered through /control/… on 127.0.0.1. It prints one JSON line
({"port": …}) once it listens, and stops when its stdin closes (the benchmark that started it went away).

Modes (POST /control/mode/<mode>):
    conditional   ETag on every answer, 304 when the client sends it back (the normal, polite wire)
    plain         200 with the same bytes every time and no validators (the daemon's body hash skips them)
    volatile      200 without validators and a fresh <lastBuildDate> each time (every body must be parsed)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

VOCABULARY = ["".join(random.Random(n).choices("abcdefghijklmnoprstuvwy", k=4 + n % 6)) for n in range(4000)]
KEYWORD = "Pyongyang"  # in the title of every published story (bench watchlists match it), never elsewhere
CHANGE_EVERY = 20  # per /control/cycle, feed i gains an item when (i + cycle) % CHANGE_EVERY == 0: 5 %


def words(seed: str, count: int) -> str:
    pick = random.Random(seed)
    return " ".join(pick.choice(VOCABULARY) for _ in range(count))


@dataclass
class Feed:
    number: int
    items: list[tuple[str, str, str]]  # (guid, title, summary), newest first
    version: int = 0
    body: bytes = b""


@dataclass
class WireState:
    feeds: list[Feed]
    keep: int  # items a feed lists
    mode: str = "conditional"
    cycle: int = 0
    served: dict[str, int] = field(default_factory=lambda: {"200": 0, "304": 0})
    published: dict[str, float] = field(default_factory=dict)  # guid → time.time() it appeared
    hooks: list[tuple[float, str, str]] = field(default_factory=list)  # (arrival, webhook-id, story id)
    publishing: asyncio.Task[None] | None = None
    serial: int = 0  # stories published so far (their guids)

    def add_item(self, feed: Feed, title_words: str) -> str:
        self.serial += 1
        guid = f"f{feed.number}-n{self.serial}"
        feed.items.insert(0, (guid, f"{KEYWORD} {title_words}", words(guid + "s", 40)))
        del feed.items[self.keep :]
        feed.version += 1
        feed.body = b""
        self.published[guid] = time.time()
        return guid


def render(feed: Feed) -> bytes:
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0'><channel><title>Bench wire {feed.number}"
             "</title><link>http://wire.bench/</link><description>synthetic</description>"]  # fmt: skip
    for guid, title, summary in feed.items:
        parts.append(
            f"<item><guid isPermaLink='false'>{guid}</guid><title>{escape(title)}</title>"
            f"<link>http://wire.bench/{guid}</link><description>{escape(summary)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def make_state(feeds: int, items: int) -> WireState:
    made = [
        Feed(i, [(f"f{i}-b{j}", words(f"{i}-{j}t", 9), words(f"{i}-{j}s", 40)) for j in range(items)])
        for i in range(feeds)
    ]
    return WireState(made, keep=items)


def build_app(state: WireState) -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if not 0 <= number < len(state.feeds):
            raise web.HTTPNotFound()
        item = state.feeds[number]
        if not item.body:
            item.body = render(item)
        if state.mode == "conditional":
            etag = f'"{number}-{item.version}"'
            if request.headers.get("If-None-Match") == etag:
                state.served["304"] += 1
                return web.Response(status=304, headers={"ETag": etag})
            state.served["200"] += 1
            return web.Response(body=item.body, content_type="application/rss+xml", headers={"ETag": etag})
        body = item.body
        if state.mode == "volatile":  # a feed that stamps every response: no two bodies hash the same
            stamp = f"<lastBuildDate>{formatdate(time.time())}</lastBuildDate><item>".encode()
            body = body.replace(b"<item>", stamp, 1)
        state.served["200"] += 1
        return web.Response(body=body, content_type="application/rss+xml")

    async def hook(request: web.Request) -> web.Response:
        arrived = time.time()
        body = await request.json()
        state.hooks.append((arrived, request.headers.get("webhook-id", ""), body.get("story", {}).get("id", "")))
        return web.Response(status=204)

    async def cycle(request: web.Request) -> web.Response:
        state.cycle += 1
        changed = [f for f in state.feeds if (f.number + state.cycle) % CHANGE_EVERY == 0]
        for f in changed:
            state.add_item(f, words(f"{f.number}-c{state.cycle}", 8))
        return web.json_response({"cycle": state.cycle, "changed": len(changed)})

    async def mode(request: web.Request) -> web.Response:
        state.mode = request.match_info["mode"]
        return web.json_response({"mode": state.mode})

    async def publish(request: web.Request) -> web.Response:
        rate, seconds = float(request.query["rate"]), float(request.query["seconds"])
        state.publishing = asyncio.create_task(_publish(state, rate, seconds))
        return web.json_response({"publishing": rate * seconds})

    async def stats(request: web.Request) -> web.Response:
        done = state.publishing is None or state.publishing.done()
        return web.json_response({"served": state.served, "published": state.published, "hooks": state.hooks,
                                  "publishing_done": done})  # fmt: skip

    async def clear(request: web.Request) -> web.Response:
        state.published.clear()
        state.hooks.clear()
        state.served = {"200": 0, "304": 0}
        return web.json_response({})

    app = web.Application(client_max_size=1 << 22)
    app.router.add_get("/feeds/{number}", feed)
    app.router.add_post("/hooks/{name}", hook)
    app.router.add_post("/control/cycle", cycle)
    app.router.add_post("/control/mode/{mode}", mode)
    app.router.add_post("/control/publish", publish)
    app.router.add_post("/control/clear", clear)
    app.router.add_get("/control/stats", stats)
    return app


async def _publish(state: WireState, rate: float, seconds: float) -> None:
    """`rate` new stories a second, each in a random feed, for `seconds`; each stamped when it appears."""
    pick = random.Random(11)
    start = time.monotonic()
    n = 0
    while n < rate * seconds:
        await asyncio.sleep(max(start + n / rate - time.monotonic(), 0))
        feed = state.feeds[pick.randrange(len(state.feeds))]
        state.add_item(feed, words(f"p{n}", 8))
        n += 1


async def serve(feeds: int, hosts: int, items: int) -> None:
    state = make_state(feeds, items)
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    first = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await first.start()
    port = runner.addresses[0][1]
    for h in range(1, hosts + 1):
        await web.TCPSite(runner, f"127.0.1.{h}", port, backlog=1024).start()
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin or exits
    await runner.cleanup()


def feed_url(port: int, number: int, hosts: int) -> str:
    return f"http://127.0.1.{1 + number % hosts}:{port}/feeds/{number}"


class WireProcess:
    """The wire server as a child process; `async with` starts it and stops it (closing its stdin)."""

    def __init__(self, feeds: int = 0, hosts: int = 1, items: int = 10) -> None:
        self.args = ["--feeds", str(feeds), "--hosts", str(hosts), "--items", str(items)]
        self.hosts = hosts
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WireProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.wire_server", *self.args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        if not line:
            raise RuntimeError("the wire server did not start (see stderr)")
        self.port = json.loads(line)["port"]
        self._session = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{self.port}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session:
            await self._session.close()
        if self.process and self.process.stdin:
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def feed_url(self, number: int) -> str:
        return feed_url(self.port, number, self.hosts)

    def hook_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    async def control(self, path: str, **query: object) -> Any:
        assert self._session is not None
        method = "GET" if path == "stats" else "POST"
        params = {k: str(v) for k, v in query.items()}
        async with self._session.request(method, f"/control/{path}", params=params) as response:
            response.raise_for_status()
            return await response.json()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=0)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--items", type=int, default=10)
    args = parser.parse_args()
    if not 1 <= args.hosts <= 254:
        parser.error("--hosts must be 1..254")
    asyncio.run(serve(args.feeds, args.hosts, args.items))


if __name__ == "__main__":
    main()
