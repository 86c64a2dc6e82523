"""The SQLite store on a real file: migrations, feed state, the outbox and its ordering."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.model import Alert, Story
from monitor.store import FeedState, SeenStory, SQLiteStore
from monitor.store.sqlite import migrations

T0 = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


def story(n: int, feed: str = "https://wire.test/rss") -> Story:
    return Story(
        id=f"item-{n}", feed_url=feed, source="Wire", title=f"Story {n}", summary="text", content="",
        link=f"https://wire.test/{n}", published=T0, fetched_at=T0,
    )  # fmt: skip


def alert(s: Story, destination: str = "d", at: datetime = T0) -> Alert:
    return Alert(Alert.make_id(s.key, destination), destination, s, ("w",), ("Kim",), at, cluster=s.key)


async def opened(tmp: Path) -> SQLiteStore:
    store = SQLiteStore(tmp / "w.db")
    await store.open()
    return store


async def test_migrations_run_once_and_set_version(tmp_path: Path) -> None:
    store = await opened(tmp_path)
    await store.close()
    store = await opened(tmp_path)  # reopening applies nothing twice
    await store.close()
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_feed_state_round_trip(tmp_path: Path) -> None:
    store = await opened(tmp_path)
    state = FeedState(
        url="https://wire.test/rss", name="Wire", interval=300, next_poll=T0, etag='W/"abc"',
        last_modified="Tue, 19 Nov 2024 01:00:00 GMT", primed=True, consecutive_errors=2, last_success=T0,
    )  # fmt: skip
    await store.save_feed_state(state)
    assert (await store.feed_states())[state.url] == state
    await store.close()


async def test_record_poll_is_one_transaction_and_alert_ids_are_unique(tmp_path: Path) -> None:
    store = await opened(tmp_path)
    s1 = story(1)
    state = FeedState(url=s1.feed_url, name="Wire", interval=300, next_poll=T0)
    seen = [SeenStory(s1, "id1", s1.key, ("w",))]
    assert await store.record_poll(state, seen, [alert(s1)]) == 1
    assert await store.record_poll(state, seen, [alert(s1)]) == 0  # the same alert id never queues twice
    assert await store.known_items(s1.feed_url, ["item-1", "item-2"]) == {"item-1"}
    assert await store.find_identity(["id1", "nope"], T0 - timedelta(hours=1)) == {"id1": s1.key}
    assert await store.find_identity(["id1"], T0 + timedelta(hours=1)) == {}
    due = await store.due_alerts(T0, 10)
    assert [r.alert for r in due] == [alert(s1)]
    await store.close()


async def test_retry_holds_later_alerts_of_the_destination(tmp_path: Path) -> None:
    store = await opened(tmp_path)
    stories = [story(n) for n in range(3)]
    state = FeedState(url=stories[0].feed_url, name="Wire", interval=300, next_poll=T0)
    alerts = [alert(s, "d") for s in stories] + [alert(stories[0], "other")]
    await store.record_poll(state, [SeenStory(s, s.key, s.key, ()) for s in stories], alerts)
    await store.mark_retry(alerts[0].id, T0 + timedelta(minutes=5), "HTTP 503")
    due = await store.due_alerts(T0, 10)
    assert [r.alert.destination for r in due] == ["other"]
    later = await store.due_alerts(T0 + timedelta(minutes=5), 10)
    assert [r.alert.id for r in later if r.alert.destination == "d"] == [a.id for a in alerts[:3]]  # in order
    assert later[0].attempts == 1 and later[0].last_error == "HTTP 503"
    await store.mark_delivered(alerts[0].id, T0)
    await store.mark_dead(alerts[1].id, "HTTP 400")
    assert await store.outbox_counts() == {"delivered": 1, "dead": 1, "pending": 2}
    await store.close()
