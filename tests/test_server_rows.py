"""Status rows built from a real SQLite store: recent alerts by cluster, copies carried elsewhere, watchlist hits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import Problem
from monitor.match import WatchlistInfo
from monitor.model import Alert, Story
from monitor.server import alert_rows, config_row, watchlist_rows
from monitor.store import FeedState, SeenStory, SQLiteStore

T0 = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
YONHAP, NKNEWS = "https://yonhap.test/rss", "https://nknews.test/rss"


def story(n: int, feed: str, source: str, at: datetime = T0) -> Story:
    return Story(
        id=f"item-{n}", feed_url=feed, source=source, title=f"Story {n}", summary="text", content="",
        link=f"https://wire.test/{n}", published=at, fetched_at=at,
    )  # fmt: skip


def alert(s: Story, destination: str, cluster: str, at: datetime) -> Alert:
    return Alert(Alert.make_id(cluster, destination), destination, s, ("korea",), ("Kim",), at, cluster=cluster)


async def poll(store: SQLiteStore, feed: str, seen: list[SeenStory], alerts: list[Alert]) -> None:
    await store.record_poll(FeedState(url=feed, name=feed, interval=300, next_poll=T0), seen, alerts)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """Story 1 (Yonhap) alerted to two destinations and copied by NK News; story 2 alerted later; story 3 old."""
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    first, copy = story(1, YONHAP, "Yonhap"), story(7, NKNEWS, "NK News", T0 + timedelta(minutes=5))
    second, old = (
        story(2, YONHAP, "Yonhap", T0 + timedelta(minutes=9)),
        story(3, YONHAP, "Yonhap", T0 - timedelta(days=3)),
    )
    a_slack, a_hook = alert(first, "slack", first.key, T0), alert(first, "hook", first.key, T0)
    await poll(store, YONHAP, [SeenStory(first, "i1", first.key, ("korea",))], [a_slack, a_hook])
    await poll(store, NKNEWS, [SeenStory(copy, "i1", first.key, ("korea",))], [])  # collapsed: no new alert
    await poll(store, YONHAP, [SeenStory(second, "i2", second.key, ("korea", "military"))],
               [alert(second, "slack", second.key, T0 + timedelta(minutes=9))])  # fmt: skip
    await poll(store, YONHAP, [SeenStory(old, "i3", old.key, ("korea",))], [])
    await store.mark_delivered(a_slack.id, T0 + timedelta(seconds=2))
    await store.mark_dead(a_hook.id, "HTTP 410 Gone")
    try:
        yield store
    finally:
        await store.close()


async def test_alert_rows_group_deliveries_by_cluster_newest_first(store: SQLiteStore) -> None:
    rows = await alert_rows(store, 10)
    assert [r["title"] for r in rows] == ["Story 2", "Story 1"]
    first = rows[1]
    assert [(d["destination"], d["status"], d["last_error"]) for d in first["deliveries"]] == [
        ("hook", "dead", "HTTP 410 Gone"),
        ("slack", "delivered", None),
    ]
    assert first["deliveries"][1]["delivered_at"] == T0 + timedelta(seconds=2)
    assert first["also_carried_by"] == ["NK News"]
    assert rows[0]["also_carried_by"] == []
    assert [r["title"] for r in await alert_rows(store, 1)] == ["Story 2"]  # the limit counts clusters


async def test_watchlist_rows_count_hits_since(store: SQLiteStore) -> None:
    infos = [
        WatchlistInfo(name="korea", query="Kim", fields=("title",), destinations=None, file=None, line=None),
        WatchlistInfo(name="quiet", query="x", fields=("title",), destinations=("slack",), file=None, line=None),
    ]
    since = T0 - timedelta(hours=1)
    rows = await watchlist_rows(store, infos, since)
    assert [(r["name"], r["hits"], r["destinations"]) for r in rows] == [("korea", 3, None), ("quiet", 0, ["slack"])]
    assert await store.watchlist_hits(since) == {"korea": 3, "military": 1}
    assert await store.watchlist_hits(T0 - timedelta(days=4)) == {"korea": 4, "military": 1}


def test_config_row_carries_every_problem() -> None:
    class Status:
        path = Path("/etc/wiremon/wiremon.yaml")
        loaded_at = T0
        ok = False
        problems = (Problem("expected a duration", file="wiremon.yaml", line=3, column=13, field="tick"),)

    row = config_row(Status())
    assert row["ok"] is False and row["path"] == "/etc/wiremon/wiremon.yaml"
    assert row["problems"] == [
        {"file": "wiremon.yaml", "line": 3, "column": 13, "field": "tick", "message": "expected a duration"}
    ]


async def test_a_threaded_copy_reply_adds_a_delivery_but_not_the_headline(store: SQLiteStore) -> None:
    from monitor.copies import copy_alerts

    first = story(1, YONHAP, "Yonhap")
    late = story(8, "https://wire2.test/rss", "Wire Two", T0 + timedelta(minutes=30))
    (reply,) = copy_alerts(late, first.key, ["slack"], ["korea"], T0 + timedelta(minutes=30))
    await poll(store, "https://wire2.test/rss", [SeenStory(late, "i1", first.key, ("korea",))], [reply])
    rows = await alert_rows(store, 10)
    row = next(r for r in rows if r["cluster"] == first.key)
    assert rows[0] is row  # the reply made the cluster the most recent
    assert row["title"] == "Story 1" and row["terms"] == ["Kim"]  # the alert itself, not the copy's reply
    assert sorted(d["destination"] for d in row["deliveries"]) == ["hook", "slack", "slack"]
    assert "Wire Two" in row["also_carried_by"]
