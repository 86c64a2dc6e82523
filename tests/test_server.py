"""The status server over real HTTP on 127.0.0.1, reading a fake StatusSource: endpoints, token, page."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.clock import FakeClock
from monitor.metrics import Metrics
from monitor.server import (
    AlertRow,
    ConfigRow,
    DeliveryRow,
    FeedRow,
    ProblemRow,
    RunningServer,
    ServerError,
    WatchlistRow,
    build_app,
    start_server,
)

NOW = datetime(2024, 11, 19, 9, 30, tzinfo=UTC)
TOKEN = "s3cret-token"
EVIL = "<script>alert('feed')</script> Wire"
GUARDED = ["/", "/readyz", "/metrics", "/api/feeds", "/api/alerts", "/api/watchlists", "/api/config"]


def feed(name: str, status: str = "ok", error: str | None = None, url: str = "") -> FeedRow:
    url = url or f"https://{name.lower().replace(' ', '-')}.test/rss"
    return FeedRow(
        name=name, url=url, fetched_from=url, status=status, last_success=NOW - timedelta(minutes=4),
        last_error=error, consecutive_errors=3 if error else 0, next_poll=NOW + timedelta(minutes=1), items_seen=42,
    )  # fmt: skip


def delivery(destination: str, status: str, error: str | None = None) -> DeliveryRow:
    delivered = NOW - timedelta(minutes=2) if status == "delivered" else None
    return DeliveryRow(destination=destination, status=status, attempts=1, last_error=error, delivered_at=delivered)


def alert(title: str, source: str, carried: list[str], link: str = "https://yonhap.test/1") -> AlertRow:
    return AlertRow(
        cluster="c" + title[:8], title=title, link=link, source=source, published=NOW - timedelta(minutes=9),
        detected_at=NOW - timedelta(minutes=3), watchlists=["korea"], terms=["Kim Jong Un", "missile"],
        deliveries=[delivery("slack", "delivered"), delivery("ops-webhook", "pending", "HTTP 503")],
        also_carried_by=carried,
    )  # fmt: skip


def broken_config() -> ConfigRow:
    problem = ProblemRow(
        file="/etc/wiremon/wiremon.yaml", line=12, column=15, field="feeds[2].interval",
        message="expected a duration such as 60s, 5m or 1h, got 'soon'",
    )  # fmt: skip
    return ConfigRow(path="/etc/wiremon/wiremon.yaml", loaded_at=NOW - timedelta(hours=2), ok=False, problems=[problem])


@dataclass
class FakeSource:
    """A StatusSource with data set by the test."""

    metrics: Metrics = field(default_factory=Metrics)
    feed_rows: list[FeedRow] = field(default_factory=list)
    alert_rows: list[AlertRow] = field(default_factory=list)
    watchlist_rows: list[WatchlistRow] = field(default_factory=list)
    config: ConfigRow = field(
        default_factory=lambda: ConfigRow(path="wiremon.yaml", loaded_at=NOW, ok=True, problems=[])
    )
    checks: dict[str, bool] = field(default_factory=lambda: {"store": True, "scheduler": True, "config": True})
    outbox: dict[str, int] = field(default_factory=dict)
    limits_asked: list[int] = field(default_factory=list)

    async def feeds(self) -> list[FeedRow]:
        return self.feed_rows

    async def alerts(self, limit: int) -> list[AlertRow]:
        self.limits_asked.append(limit)
        return self.alert_rows[:limit]

    async def watchlists(self) -> list[WatchlistRow]:
        return self.watchlist_rows

    def config_status(self) -> ConfigRow:
        return self.config

    async def readiness(self) -> dict[str, bool]:
        return self.checks

    async def outbox_depth(self) -> dict[str, int]:
        return self.outbox


def sample_source() -> FakeSource:
    """A day on the wire: one healthy feed, one failing, one with markup in its name; a clustered alert."""
    since = NOW - timedelta(hours=24)
    return FakeSource(
        feed_rows=[
            feed("Yonhap English"),
            feed("KCNA Watch", "failing ×3", "HTTP 503 Service Unavailable (retrying in 4m)"),
            feed(EVIL, "not polled yet"),
        ],
        alert_rows=[
            alert("North Korea fires ballistic missile into East Sea", "Yonhap English", ["KCNA Watch", "NK News"]),
            alert("Evil <b>bold</b> headline", "Rogue", [], link="javascript:alert(1)"),
        ],
        watchlist_rows=[
            WatchlistRow(name="korea", destinations=None, hits=17, hits_since=since),
            WatchlistRow(name="russia-energy", destinations=["slack"], hits=0, hits_since=since),
        ],
        outbox={"pending": 2, "delivered": 40},
    )


@dataclass
class Served:
    server: RunningServer
    session: aiohttp.ClientSession
    source: FakeSource

    async def get(self, path: str, token: str | None = TOKEN, **query: str) -> aiohttp.ClientResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(self.server.url + path, headers=headers, params=query) as response:
            await response.read()
            return response

    async def json(self, path: str, **query: str) -> Any:
        response = await self.get(path, **query)
        assert response.status == 200, await response.text()
        return await response.json()


async def serve(source: FakeSource, token: str | None = TOKEN) -> RunningServer:
    return await start_server(build_app(source, token=token, clock=FakeClock(NOW)), "127.0.0.1", 0)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    source = sample_source()
    server = await serve(source)
    try:
        async with aiohttp.ClientSession() as session:
            yield Served(server, session, source)
    finally:
        await server.close()


async def test_healthz_needs_no_token(served: Served) -> None:
    response = await served.get("/healthz", token=None)
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", GUARDED)
async def test_every_other_path_needs_the_token(served: Served, path: str) -> None:
    assert (await served.get(path, token=None)).status == 401
    wrong = await served.get(path, token="s3cret-tokeN")
    assert wrong.status == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await served.get(path)).status == 200


async def test_query_token_opens_the_page_only(served: Served) -> None:
    async def status(path: str, query_token: str) -> int:
        async with served.session.get(served.server.url + path, params={"token": query_token}) as response:
            return response.status

    assert await status("/", "wrong") == 401
    assert await status("/", TOKEN) == 200
    assert await status("/api/feeds", TOKEN) == 401  # tokens in URLs end up in logs: scripts send the header


async def test_without_a_token_configured_everything_is_open() -> None:
    server = await serve(sample_source(), token=None)
    try:
        async with aiohttp.ClientSession() as session:
            for path in GUARDED:
                async with session.get(server.url + path) as response:
                    assert response.status == 200, path
    finally:
        await server.close()


async def test_readyz_lists_failing_checks(served: Served) -> None:
    assert await served.json("/readyz") == {
        "ready": True, "failing": [], "checks": {"store": True, "scheduler": True, "config": True},
    }  # fmt: skip
    served.source.checks = {"store": False, "scheduler": True, "config": False}
    response = await served.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["ready"] is False and body["failing"] == ["config", "store"]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_are_prometheus_text_and_counters_move(served: Served) -> None:
    response = await served.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert "version=" in response.headers["Content-Type"]
    before = samples(await response.text())
    assert before[("wiremon_polls_total", (("outcome", "ok"),))] == 0
    assert before[("wiremon_outbox_depth", (("status", "pending"),))] == 2  # read from the source per scrape
    assert before[("wiremon_outbox_depth", (("status", "dead"),))] == 0

    metrics = served.source.metrics
    metrics.poll("ok", 0.3)
    metrics.poll("failed", 2.0)
    metrics.alert("slack", "delivered", latency=4.0)
    metrics.matched(["korea", "korea-military"])
    served.source.outbox = {"pending": 0, "delivered": 42}
    after = samples(await (await served.get("/metrics")).text())
    assert after[("wiremon_polls_total", (("outcome", "ok"),))] == 1
    assert after[("wiremon_polls_total", (("outcome", "failed"),))] == 1
    assert after[("wiremon_poll_seconds_count", ())] == 2
    assert after[("wiremon_alerts_total", (("destination", "slack"), ("outcome", "delivered")))] == 1
    assert after[("wiremon_delivery_seconds_sum", ())] == 4.0
    assert after[("wiremon_matches_total", (("watchlist", "korea"),))] == 1
    assert after[("wiremon_outbox_depth", (("status", "pending"),))] == 0


async def test_api_serves_the_source_as_json(served: Served) -> None:
    feeds = await served.json("/api/feeds")
    assert [f["name"] for f in feeds] == ["Yonhap English", "KCNA Watch", EVIL]
    assert feeds[0]["last_success"] == "2024-11-19T09:26:00+00:00"
    alerts = await served.json("/api/alerts")
    assert alerts[0]["also_carried_by"] == ["KCNA Watch", "NK News"]
    assert alerts[0]["deliveries"][1] == {
        "destination": "ops-webhook", "status": "pending", "attempts": 1, "last_error": "HTTP 503",
        "delivered_at": None,
    }  # fmt: skip
    assert len(await served.json("/api/alerts", limit="1")) == 1
    assert served.source.limits_asked == [50, 1]
    watchlists = await served.json("/api/watchlists")
    assert watchlists[0] == {
        "name": "korea",
        "destinations": None,
        "hits": 17,
        "hits_since": "2024-11-18T09:30:00+00:00",
    }
    assert (await served.json("/api/config"))["ok"] is True


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "501"])
async def test_a_bad_alert_limit_is_a_400(served: Served, limit: str) -> None:
    response = await served.get("/api/alerts", limit=limit)
    assert response.status == 400
    assert "limit must be" in await response.text()


async def test_page_escapes_what_feeds_send(served: Served) -> None:
    response = await served.get("/")
    assert response.content_type == "text/html"
    page = await response.text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;feed&#x27;)&lt;/script&gt; Wire" in page
    assert "Evil &lt;b&gt;bold&lt;/b&gt; headline" in page
    assert "javascript:" not in page  # a non-http link is shown as text, not as a link
    assert 'href="https://yonhap.test/1"' in page
    assert "also carried by KCNA Watch, NK News" in page
    assert "reload failed" not in page


async def test_page_puts_a_failed_reload_first(served: Served) -> None:
    served.source.config = broken_config()
    page = await (await served.get("/")).text()
    banner = page.index("The last config reload failed")
    assert banner < page.index('id="feeds"')
    assert "/etc/wiremon/wiremon.yaml:12:15" in page
    assert "feeds[2].interval" in page and "got &#x27;soon&#x27;" in page


async def test_responses_are_not_cached_and_the_page_runs_no_script(served: Served) -> None:
    response = await served.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert (await served.get("/healthz", token=None)).headers["Cache-Control"] == "no-store"


async def test_a_busy_address_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match=f"cannot listen on 127.0.0.1:{port}.*server.listen"):
            await start_server(build_app(sample_source(), token=None), "127.0.0.1", port)
