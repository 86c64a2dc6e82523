"""The running daemon's status server over real HTTP: health, readiness, metrics that move, the JSON API."""

from __future__ import annotations

import asyncio
from io import StringIO
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.settings import DestinationConfig, FeedConfig, ServerConfig, Settings
from tests.wire import Item, Wire

STORY = Item("s-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.", link="https://wire.test/snow")
AUTH = {"Authorization": "Bearer sekrit"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_status_server_reflects_the_pipeline(tmp_path: Path, wire: Wire) -> None:
    (tmp_path / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: snow\n", encoding="utf-8")
    settings = Settings(
        feeds=[FeedConfig(url=wire.url("/feeds/a"), name="Seoul wire", interval=60)],
        destinations=[DestinationConfig(name="hook", type="webhook", url=wire.url("/hooks/hook"))],
        watchlists=Path("w.yaml"), store="w.db", base_dir=tmp_path, tick=0.05,
        server=ServerConfig(listen="127.0.0.1:0", token="sekrit"),
    )  # fmt: skip
    clock = FakeClock()
    wire.feeds["a"] = []
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon, aiohttp.ClientSession() as http:
        assert daemon.server is not None
        base = daemon.server.url
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200
        async with http.get(f"{base}/readyz", headers=AUTH) as r:
            assert r.status == 503  # the scheduler has not ticked yet
        for _ in range(2):
            clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
            await daemon.poll_due()
            wire.feeds["a"] = [STORY]
        await daemon.deliver_due()
        async with http.get(f"{base}/api/feeds") as r:
            assert r.status == 401
        async with http.get(f"{base}/api/feeds", headers=AUTH) as r:
            feeds = await r.json()
            assert feeds[0]["name"] == "Seoul wire" and feeds[0]["items_seen"] == 1
        async with http.get(f"{base}/api/alerts", headers=AUTH) as r:
            alerts = await r.json()
            assert alerts[0]["title"] == STORY.title
            assert alerts[0]["deliveries"][0]["status"] == "delivered"
        async with http.get(f"{base}/api/config", headers=AUTH) as r:
            assert (await r.json())["ok"] is True
        async with http.get(f"{base}/metrics", headers=AUTH) as r:
            metrics = samples(await r.text())
        assert metrics[("wiremon_polls_total", (("outcome", "ok"),))] == 2
        assert metrics[("wiremon_stories_total", ())] == 1
        assert metrics[("wiremon_matches_total", (("watchlist", "snow"),))] == 1
        assert metrics[("wiremon_alerts_total", (("destination", "hook"), ("outcome", "delivered")))] == 1
        async with http.get(f"{base}/", headers=AUTH) as r:
            assert STORY.title in await r.text()
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run(stop))
        await asyncio.wait_for(daemon.ticked.wait(), 10)
        async with http.get(f"{base}/readyz", headers=AUTH) as r:
            assert r.status == 200
        stop.set()
        await running


async def test_wiremon_status_reads_the_running_daemon(tmp_path: Path, wire: Wire) -> None:
    from datetime import UTC, datetime

    from monitor.health import daemon_status

    (tmp_path / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: snow\n", encoding="utf-8")
    wire.feeds["a"] = []
    settings = Settings(
        feeds=[FeedConfig(url=wire.url("/feeds/a"), name="Seoul wire", interval=60)],
        watchlists=Path("w.yaml"), store="w.db", base_dir=tmp_path,
        server=ServerConfig(listen="127.0.0.1:0", token="sekrit"),
    )  # fmt: skip
    text, ready = await daemon_status(settings, datetime.now(UTC))  # nobody listening: the store answers
    assert not ready and "not reachable" in text
    async with Daemon(settings, clock=FakeClock(), console=StringIO()) as daemon:
        assert daemon.server is not None
        bound = settings.model_copy(update={"server": ServerConfig(listen=f"127.0.0.1:{daemon.server.port}",
                                                                    token="sekrit")})  # fmt: skip
        text, ready = await daemon_status(bound, datetime.now(UTC))
    assert "NOT READY" in text and "scheduler FAILING" in text and "Seoul wire" in text
