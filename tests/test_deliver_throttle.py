"""A destination stricter than its configured rate limit: its 429s hold the whole destination for exactly the
Retry-After it sent, and the deliverer then sends at the destination's pace instead of collecting 429s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import FakeClock
from monitor.settings.models import DestinationConfig
from tests.deliver_scene import Scene, alert, settings_of

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


@dataclass
class StrictSlack:
    """A Slack incoming webhook allowing one message per second and no burst, on the test's fake clock."""

    clock: FakeClock
    server: TestServer | None = None
    accepted: list[tuple[datetime, str]] = field(default_factory=list)
    refused: list[datetime] = field(default_factory=list)
    _next_free: datetime = START

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = self.clock.now()
        if now < self._next_free:
            self.refused.append(now)
            wait = (self._next_free - now).total_seconds()
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": f"{max(1, round(wait))}"})
        self._next_free = now + timedelta(seconds=1)
        self.accepted.append((now, body["text"]))
        return web.Response(text="ok")


@pytest.fixture
async def strict() -> AsyncIterator[tuple[StrictSlack, FakeClock]]:
    clock = FakeClock(START)
    slack = StrictSlack(clock)
    app = web.Application()
    app.router.add_post("/hook", slack.handle)
    slack.server = TestServer(app, host="127.0.0.1")
    await slack.server.start_server()
    yield slack, clock
    await slack.server.close()


async def test_a_429_holds_the_destination_for_its_retry_after_then_sends_at_its_pace(
    tmp_path: Path, strict: tuple[StrictSlack, FakeClock]
) -> None:
    slack, clock = strict
    assert slack.server is not None
    url = str(slack.server.make_url("/hook"))
    dest = DestinationConfig(name="desk", type="slack", url=url)  # the default limit: 1/s with a burst of 3
    async with aiohttp.ClientSession() as session:
        scene = await Scene(tmp_path / "w.db", session, clock, settings_of(dest)).open()
        await scene.queue(*(alert(n, "desk", START) for n in range(20)))
        assert scene.deliverer is not None
        delivered = 0
        for _ in range(200):  # each round: send what may go, then move the fake clock to when more may
            delivered += await scene.drain()
            if delivered == 20:
                break
            later = [r.next_attempt for r in await scene.rows("pending") if r.next_attempt > clock.now()]
            clock.set(min([*later, *scene.deliverer.held.values()]))
        await scene.close()
    assert delivered == 20
    assert len(slack.refused) == 1  # the burst the limiter allowed is refused once, never again
    assert [text.rsplit(" ", 1)[-1] for _, text in slack.accepted] == [str(n) for n in range(20)]  # in order
    elapsed = (slack.accepted[-1][0] - START).total_seconds()
    assert elapsed <= 20  # one a second, not one per 5-second retry step
