"""A delivery scene for the cadence, disabled-destination and ops tests: a real SQLite store file, real sinks, a
real aiohttp receiver on 127.0.0.1 playing Slack and webhook endpoints, and a fake clock."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import FakeClock
from monitor.deliver import build_sinks
from monitor.deliver.policy import DeliveryPolicy
from monitor.model import Alert, Story
from monitor.outbox import Deliverer
from monitor.settings.models import DestinationConfig, Settings
from monitor.store import OutboxRow, SQLiteStore, Store
from tests.wire import Received


@dataclass
class Receiver:
    """Answers POST /<name> with `answers[name]` (status, body), default (200, "ok"); records every request."""

    server: TestServer | None = None
    answers: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    def url(self, name: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/{name}"))

    def answer(self, name: str, status: int, body: str = "", **headers: str) -> None:
        self.answers[name] = (status, body, {k.replace("_", "-"): v for k, v in headers.items()})

    def to(self, name: str) -> list[Received]:
        return [r for r in self.requests if r.path == f"/{name}"]

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append(Received(request.path, dict(request.headers), await request.read()))
        status, body, headers = self.answers.get(name, (200, "ok", {}))
        return web.Response(status=status, text=body or None, headers=headers)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{name}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


def story(n: int, at: datetime, title: str | None = None) -> Story:
    return Story(
        id=f"item-{n}", feed_url="https://wire.example/feed.xml", source="Example Wire",
        title=title or f"Story number {n}", summary=f"Summary {n}.", content="",
        link=f"https://wire.example/a/{n}", published=at, fetched_at=at,
    )  # fmt: skip


def alert(n: int, destination: str, at: datetime, watchlists: tuple[str, ...] = ("desk",)) -> Alert:
    s = story(n, at)
    return Alert(
        id=Alert.make_id(s.key, destination), destination=destination, story=s, watchlists=watchlists,
        terms=("story",), detected_at=at, cluster=s.key,
    )  # fmt: skip


@dataclass
class Scene:
    """One deliverer over a store file; `restart` builds a new one on the same file, as a new process would."""

    path: Path
    session: aiohttp.ClientSession
    clock: FakeClock
    settings: Settings
    urgent: frozenset[str] = frozenset()
    console: io.StringIO = field(default_factory=io.StringIO)
    store: Store | None = None
    deliverer: Deliverer | None = None

    async def open(self) -> Scene:
        self.store = SQLiteStore(self.path)
        await self.store.open()
        sinks = build_sinks(self.settings.effective_destinations(), self.session, self.clock, self.console)
        self.deliverer = Deliverer(self.store, sinks, self.clock, urgent=lambda: self.urgent)
        await self.deliverer.configure(DeliveryPolicy.of(self.settings))
        return self

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def restart(self, settings: Settings | None = None) -> Scene:
        await self.close()
        self.settings = settings or self.settings
        return await self.open()

    async def queue(self, *alerts: Alert) -> None:
        assert self.store is not None
        await self.store.enqueue(list(alerts))

    async def drain(self) -> int:
        assert self.deliverer is not None
        return await self.deliverer.drain()

    async def rows(self, *statuses: str) -> list[OutboxRow]:
        """Outbox rows in those states, oldest first."""
        assert self.store is not None
        return list(reversed(await self.store.list_alerts(statuses or ("pending",), 1000)))


def settings_of(*destinations: DestinationConfig, ops: str | None = None) -> Settings:
    return Settings(destinations=list(destinations), ops=ops)
