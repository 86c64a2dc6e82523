"""Every store backend held to one behaviour: each test runs on a real SQLite file and on a real PostgreSQL.

The PostgreSQL side uses one throwaway database per session and a new schema per test (tests/pg.py); it skips
when no server can be reached, and fails instead when WIREMON_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from monitor.errors import StoreError
from monitor.model import Alert, Story
from monitor.store import DisabledDestination, FeedState, SeenStory, SQLiteStore, Store, open_store
from monitor.store.base import Thread
from monitor.store.postgres import PostgresStore, describe, migrations
from monitor.store.sqlite import STORED_CONTENT
from tests import pg

T0 = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
FEED, OTHER_FEED = "https://wire.test/rss", "https://other.test/rss"


def story(n: int, feed: str = FEED, at: datetime = T0, content: str = "") -> Story:
    return Story(
        id=f"item-{n}", feed_url=feed, source="Wire", title=f"Story {n}", summary="text", content=content,
        link=f"https://wire.test/{n}", published=at, fetched_at=at,
    )  # fmt: skip


def alert(s: Story, destination: str = "d", at: datetime = T0, cluster: str | None = None) -> Alert:
    cluster = cluster or s.key
    return Alert(Alert.make_id(cluster, destination), destination, s, ("w",), ("Kim",), at, cluster=cluster)


def state(feed: str = FEED) -> FeedState:
    return FeedState(url=feed, name="Wire", interval=300, next_poll=T0)


def seen(s: Story, watchlists: tuple[str, ...] = ("w",), cluster: str | None = None) -> SeenStory:
    return SeenStory(s, "id-" + s.key, cluster or s.key, watchlists)


async def queue(store: Store, *alerts: Alert) -> None:
    """Record each alert's story and the alert itself, one poll per alert (so seq follows the arguments)."""
    for a in alerts:
        await store.record_poll(state(a.story.feed_url), [seen(a.story)], [a])


# --- fixtures: where a store lives ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    yield from pg.session_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "w.db")
    dsn: str = request.getfixturevalue("pg_database")
    return dsn


@pytest.fixture
async def location(database: str) -> str:
    """A test's own store: a new SQLite file, or a new schema in the session's PostgreSQL database."""
    return await pg.new_schema(database) if database.startswith("postgresql://") else database


@pytest.fixture
async def pg_location(pg_database: str) -> str:
    return await pg.new_schema(pg_database)


@pytest.fixture
async def store(location: str) -> AsyncIterator[Store]:
    opened = open_store(location)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


# --- lifecycle -----------------------------------------------------------------------------------------------


def test_open_store_picks_the_backend_from_the_location(tmp_path: Path) -> None:
    assert isinstance(open_store("postgresql://wiremon@db.test/wiremon"), PostgresStore)
    assert isinstance(open_store("postgres://wiremon@db.test/wiremon"), PostgresStore)
    assert isinstance(open_store(str(tmp_path / "w.db")), SQLiteStore)
    assert isinstance(open_store(tmp_path / "w.db"), SQLiteStore)


async def test_unreachable_postgres_names_host_and_database_but_not_the_password() -> None:
    store = PostgresStore("postgresql://wiremon:s3cret@127.0.0.1:1/wires")
    with pytest.raises(StoreError) as caught:
        await store.open()
    message = str(caught.value)
    assert "127.0.0.1:1/wires" in message and "wiremon@" in message and "s3cret" not in message
    assert describe("postgres://u:p@h:5/db?password=p&sslmode=require") == "postgres://u@h:5/db?sslmode=require"


async def test_a_store_not_opened_raises_store_error(location: str) -> None:
    with pytest.raises(StoreError, match="not open"):
        await open_store(location).feed_states()


async def test_reopening_keeps_everything_and_migrates_nothing_twice(location: str) -> None:
    first = open_store(location)
    await first.open()
    await queue(first, alert(story(1)))
    await first.close()
    again = open_store(location)
    await again.open()
    assert set(await again.feed_states()) == {FEED}
    assert await again.outbox_counts() == {"pending": 1}
    await again.close()


# --- feeds ----------------------------------------------------------------------------------------------------


async def test_feed_state_round_trip_with_every_field(store: Store) -> None:
    full = FeedState(
        url=FEED, name="Wire", interval=300.5, next_poll=T0, etag='W/"abc"',
        last_modified="Tue, 19 Nov 2024 01:00:00 GMT", body_hash="b1", primed=True, consecutive_errors=2,
        last_status="gone", last_error="HTTP 410", last_polled=T0 - timedelta(minutes=1), last_success=T0,
        items_seen=40, fetch_url="https://wire.test/new-rss", redirect_candidate="https://wire.test/newer",
        redirect_count=2,
    )  # fmt: skip
    await store.save_feed_state(full)
    await store.save_feed_state(state(OTHER_FEED))
    states = await store.feed_states()
    assert states == {FEED: full, OTHER_FEED: state(OTHER_FEED)}
    assert states[FEED].gone and states[FEED].next_poll.utcoffset() == timedelta(0)
    moved = FeedState(url=FEED, name="Wire 2", interval=60, next_poll=T0 + timedelta(hours=1))
    await store.save_feed_state(moved)  # a second save replaces every field, the moves included
    assert (await store.feed_states())[FEED] == moved


# --- stories and polls ----------------------------------------------------------------------------------------


async def test_record_poll_is_one_transaction_and_alert_ids_are_unique(store: Store) -> None:
    s1 = story(1)
    assert await store.record_poll(state(), [seen(s1, cluster=s1.key)], [alert(s1)]) == 1
    assert await store.record_poll(state(), [seen(s1)], [alert(s1)]) == 0  # the same alert id never queues twice
    assert await store.known_items(FEED, ["item-1", "item-2"]) == {"item-1"}
    assert await store.known_items(OTHER_FEED, ["item-1"]) == set()
    assert await store.find_identity(["id-" + s1.key, "nope"], T0 - timedelta(hours=1)) == {"id-" + s1.key: s1.key}
    assert await store.find_identity(["id-" + s1.key], T0 + timedelta(hours=1)) == {}
    assert [r.alert for r in await store.due_alerts(T0, 10)] == [alert(s1)]


async def test_one_poll_counts_only_new_alerts_even_repeated(store: Store) -> None:
    s1, s2 = story(1), story(2)
    assert await store.record_poll(state(), [seen(s1), seen(s2)], [alert(s1), alert(s1), alert(s2, "x")]) == 2
    assert await store.record_poll(state(), [], [alert(s1), alert(s2), alert(s2, "x")]) == 1
    assert await store.outbox_counts() == {"pending": 3}


async def test_a_failed_poll_records_nothing(store: Store) -> None:
    bad = Alert("msg_bad", "d", story(2), ("w",), (), "not a time", cluster="c")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        await store.record_poll(FeedState(url=FEED, name="New", interval=1, next_poll=T0), [seen(story(1))], [bad])
    assert await store.feed_states() == {}
    assert await store.known_items(FEED, ["item-1"]) == set()
    assert await store.outbox_counts() == {}


async def test_find_identity_gives_the_first_cluster_seen(store: Store) -> None:
    early, late = story(1, at=T0), story(2, OTHER_FEED, at=T0 + timedelta(minutes=3))
    await store.record_poll(state(OTHER_FEED), [SeenStory(late, "same", "late-cluster", ())], [])
    await store.record_poll(state(), [SeenStory(early, "same", "early-cluster", ())], [])
    assert await store.find_identity(["same"], T0) == {"same": "early-cluster"}
    assert await store.find_identity(["same"], T0 + timedelta(minutes=1)) == {"same": "late-cluster"}
    assert await store.find_identity([], T0) == {}


async def test_known_items_answers_long_lists(store: Store) -> None:
    stories = [story(n) for n in range(1200)]
    await store.record_poll(state(), [seen(s) for s in stories[::2]], [])
    asked = [s.id for s in stories] + ["never"]
    assert await store.known_items(FEED, asked) == {s.id for s in stories[::2]}
    assert await store.known_items(FEED, []) == set()


async def test_stories_since_come_back_in_arrival_order_with_text(store: Store) -> None:
    long_text = "x" * (STORED_CONTENT + 50)
    first, second = story(1, content="first text"), story(2, content=long_text)
    third = story(3, OTHER_FEED, at=T0 + timedelta(minutes=1))
    old = story(4, at=T0 - timedelta(days=2))
    await store.record_poll(state(), [seen(first, cluster="c1"), seen(second, cluster="c1"), seen(old)], [])
    await store.record_poll(state(OTHER_FEED), [seen(third, cluster="c3")], [])
    back = await store.stories_since(T0)
    assert [(s.id, cluster) for s, cluster in back] == [("item-1", "c1"), ("item-2", "c1"), ("item-3", "c3")]
    assert back[0][0] == first and back[2][0] == third
    assert back[1][0].content == long_text[:STORED_CONTENT]  # capped
    assert back[0][0].published.utcoffset() == timedelta(0)
    assert len(await store.stories_since(T0 - timedelta(days=3))) == 4


async def test_cluster_watchlists_gather_every_story_of_a_cluster(store: Store) -> None:
    a, b, c = story(1), story(2, OTHER_FEED), story(3)
    await store.record_poll(state(), [seen(a, ("korea",), "c1"), seen(c, (), "c2")], [])
    await store.record_poll(state(OTHER_FEED), [seen(b, ("korea", "military"), "c1")], [])
    assert await store.cluster_watchlists(["c1", "c2", "none"]) == {"c1": {"korea", "military"}, "c2": set()}
    assert await store.cluster_watchlists([]) == {}


async def test_text_with_nul_and_non_ascii_is_stored(store: Store) -> None:
    odd = Story(
        id="nul", feed_url=FEED, source="Wire", title="Kim\x00 김정은 — “quoted”", summary="a\x00b", content="c",
        link="https://wire.test/nul", published=T0, fetched_at=T0,
    )  # fmt: skip
    assert await store.record_poll(state(), [seen(odd)], [alert(odd)]) == 1
    (back, _), = await store.stories_since(T0)  # fmt: skip
    assert back.title.replace("\x00", "\ufffd") == "Kim\ufffd 김정은 — “quoted”"  # PostgreSQL text holds no NUL
    (row,) = await store.due_alerts(T0, 1)
    assert row.alert.story.summary.replace("\x00", "\ufffd") == "a\ufffdb"


# --- several instances: leases and catching up ---------------------------------------------------------------


def feeds(n: int, due: datetime = T0) -> list[FeedState]:
    return [FeedState(url=f"https://wire.test/{i}", name=f"w{i}", interval=60, next_poll=due) for i in range(n)]


async def two_stores(location: str) -> tuple[Store, Store]:
    """A second store on the same database stands for a second instance (SQLite: the same process's file)."""
    one, two = open_store(location), open_store(location)
    await one.open()
    await two.open()
    return one, two


async def test_two_claimers_never_get_the_same_feed(location: str) -> None:
    one, two = await two_stores(location)
    try:
        await one.add_feeds(feeds(40))
        urls = [f.url for f in feeds(40)]
        for minute in range(3):  # several rounds of racing claims, each lease made to run out before the next
            got = await asyncio.gather(
                *(store.claim_due_feeds(owner, urls, T0 + timedelta(minutes=minute), 30, 15)
                  for owner, store in (("a", one), ("b", two), ("c", one), ("d", two)))
            )  # fmt: skip
            claimed = [s.url for states in got for s in states]
            assert len(claimed) == len(set(claimed)) == 40  # every feed once; 4 × 15 would allow 60
            assert all(len(states) <= 15 for states in got)
    finally:
        await one.close()
        await two.close()


async def test_claims_take_due_feeds_of_the_list_most_overdue_first(store: Store) -> None:
    late, early, later, gone, unlisted = feeds(5)
    await store.add_feeds([
        replace(late, next_poll=T0 - timedelta(seconds=5)), replace(early, next_poll=T0 - timedelta(minutes=5)),
        replace(later, next_poll=T0 + timedelta(seconds=1)), replace(gone, last_status="gone"), unlisted,
    ])  # fmt: skip
    listed = [late.url, early.url, later.url, gone.url]
    claimed = await store.claim_due_feeds("a", listed, T0, 30, 10)
    assert [s.url for s in claimed] == [early.url, late.url]  # not due, gone and unlisted feeds stay put
    assert claimed[0].next_poll == T0 - timedelta(minutes=5)
    assert [s.url for s in await store.claim_due_feeds("b", listed, T0, 30, 1)] == []  # both leased to a
    assert [s.url for s in await store.claim_due_feeds("a", listed, T0, 30, 1)] == []  # also to a itself


async def test_one_feed_state_is_read_alone(store: Store) -> None:
    one, other = feeds(2)
    await store.add_feeds([one, replace(other, etag='"e"')])
    assert await store.feed_state(other.url) == replace(other, etag='"e"')
    assert await store.feed_state("https://never.test/feed") is None


async def test_due_feeds_are_the_unleased_due_ones_most_overdue_first(store: Store) -> None:
    late, early, later, gone, leased = feeds(5)
    await store.add_feeds([
        replace(late, next_poll=T0 - timedelta(seconds=5)), replace(early, next_poll=T0 - timedelta(minutes=5)),
        replace(later, next_poll=T0 + timedelta(seconds=1)), replace(gone, last_status="gone"), leased,
    ])  # fmt: skip
    assert await store.claim_due_feeds("a", [leased.url], T0, 30, 1)
    assert await store.due_feeds(T0) == [early.url, late.url]
    assert await store.due_feeds(T0 + timedelta(seconds=30)) == [early.url, late.url, leased.url, later.url]


async def test_an_expired_lease_is_taken_over_and_a_saved_poll_frees_it(store: Store) -> None:
    (feed,) = feeds(1)
    await store.add_feeds([feed])
    (mine,) = await store.claim_due_feeds("dead-instance", [feed.url], T0, 30, 5)
    assert await store.claim_due_feeds("b", [feed.url], T0 + timedelta(seconds=29), 30, 5) == []
    (taken,) = await store.claim_due_feeds("b", [feed.url], T0 + timedelta(seconds=30), 30, 5)
    assert taken == mine == feed  # the stored state comes with the claim
    polled = replace(taken, etag='"e2"', next_poll=T0 + timedelta(seconds=40))
    await store.record_poll(polled, [], [])  # recording the poll frees the lease at once
    (again,) = await store.claim_due_feeds("c", [feed.url], T0 + timedelta(seconds=40), 30, 5)
    assert again == polled
    await store.save_feed_state(replace(again, next_poll=T0 + timedelta(seconds=45)))  # so does a plain save
    assert len(await store.claim_due_feeds("d", [feed.url], T0 + timedelta(seconds=45), 30, 5)) == 1


async def test_a_stopping_instance_frees_only_its_own_feeds(store: Store) -> None:
    mine, theirs = feeds(2)
    await store.add_feeds([mine, theirs])
    assert len(await store.claim_due_feeds("a", [mine.url], T0, 30, 5)) == 1
    assert len(await store.claim_due_feeds("b", [theirs.url], T0, 30, 5)) == 1
    await store.release_feeds("a")
    urls = [mine.url, theirs.url]
    assert [s.url for s in await store.claim_due_feeds("c", urls, T0, 30, 5)] == [mine.url]


async def test_adding_feeds_leaves_existing_rows_alone(store: Store) -> None:
    polled = replace(state(), etag='"e1"', primed=True, items_seen=7)
    await store.save_feed_state(polled)
    await store.add_feeds([state(), state(OTHER_FEED)])
    assert await store.feed_states() == {FEED: polled, OTHER_FEED: state(OTHER_FEED)}
    await store.add_feeds([])


async def test_one_holder_per_destination_until_released_or_expired(location: str) -> None:
    one, two = await two_stores(location)
    try:
        assert await one.claim_destinations("a", ["slack", "hook"], T0, 60) == ["slack", "hook"]
        assert await two.claim_destinations("b", ["hook", "mail"], T0, 60) == ["mail"]
        assert await one.claim_destinations("a", ["hook"], T0 + timedelta(seconds=50), 60) == ["hook"]  # renewed
        assert await two.claim_destinations("b", ["hook"], T0 + timedelta(seconds=70), 60) == []
        assert await two.claim_destinations("b", ["hook"], T0 + timedelta(seconds=110), 60) == ["hook"]  # expired
        await two.release_destinations("b", {"hook": T0 + timedelta(seconds=120)})  # a rate limit still refilling
        assert await one.claim_destinations("a", ["hook"], T0 + timedelta(seconds=115), 60) == []
        assert await two.claim_destinations("b", ["hook"], T0 + timedelta(seconds=115), 60) == ["hook"]  # its own
        await one.release_destinations("a", {"hook": T0})  # not a's to release: nothing changes
        await two.release_destinations("b", {"hook": T0 + timedelta(seconds=116)})
        assert await one.claim_destinations("a", ["hook"], T0 + timedelta(seconds=116), 60) == ["hook"]
        assert await one.claim_destinations("a", [], T0, 60) == []
    finally:
        await one.close()
        await two.close()


async def test_due_alerts_of_chosen_destinations(store: Store) -> None:
    first, second, third = alert(story(1), "a"), alert(story(2), "b"), alert(story(3), "a")
    await queue(store, first, second, third)
    assert [r.alert for r in await store.due_alerts(T0, 10, ["a"])] == [first, third]
    assert [r.alert for r in await store.due_alerts(T0, 10, ["b", "c"])] == [second]
    assert await store.due_alerts(T0, 10, []) == []
    assert len(await store.due_alerts(T0, 10, None)) == 3


async def test_stories_after_a_mark_are_what_others_recorded(location: str) -> None:
    one, two = await two_stores(location)
    try:
        assert await one.stories_after(0, T0) == ([], 0)
        old, first, second = story(1, at=T0 - timedelta(days=1)), story(2), story(3, OTHER_FEED)
        await one.record_poll(state(), [seen(old), seen(first, cluster="c1")], [])
        back, mark = await two.stories_after(0, T0)
        assert [(s, c) for s, c in back] == [(first, "c1")]  # the old one is out of the window
        await two.record_poll(state(OTHER_FEED), [seen(second, cluster="c1")], [])
        third = story(4)
        await one.record_poll(state(), [seen(third)], [])
        after, newer = await one.stories_after(mark, T0, exclude=[third.key])  # one recorded third itself
        assert [(s.id, c) for s, c in after] == [("item-3", "c1")] and newer > mark
        assert await one.stories_after(newer, T0) == ([], newer)
    finally:
        await one.close()
        await two.close()


async def test_detection_is_one_instance_at_a_time(pg_location: str) -> None:
    one, two = PostgresStore(pg_location), PostgresStore(pg_location)
    await asyncio.gather(one.open(), two.open())
    try:
        order: list[str] = []

        async def detect(store: Store, name: str, inside: asyncio.Event | None = None) -> None:
            async with store.detection():
                order.append(name + " in")
                if inside:
                    inside.set()
                for _ in range(5):  # round trips to the server while holding the lock
                    await store.feed_states()
                order.append(name + " out")

        entered = asyncio.Event()
        first = asyncio.create_task(detect(one, "a", entered))
        await entered.wait()
        second = asyncio.create_task(detect(two, "b"))
        await asyncio.gather(first, second)
        assert order == ["a in", "a out", "b in", "b out"]
    finally:
        await asyncio.gather(one.close(), two.close())


# --- the outbox -----------------------------------------------------------------------------------------------


async def test_due_alerts_follow_detection_order_up_to_the_limit(store: Store) -> None:
    alerts = [alert(story(n), at=T0 + timedelta(seconds=n)) for n in (5, 1, 3)]
    await queue(store, *alerts)
    assert [r.alert for r in await store.due_alerts(T0 + timedelta(minutes=1), 10)] == alerts
    assert [r.alert for r in await store.due_alerts(T0 + timedelta(minutes=1), 2)] == alerts[:2]
    assert [r.alert for r in await store.due_alerts(T0 + timedelta(seconds=2), 10)] == [alerts[1]]
    seqs = [r.seq for r in await store.due_alerts(T0 + timedelta(minutes=1), 10)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    row = (await store.due_alerts(T0 + timedelta(minutes=1), 1))[0]
    assert (row.status, row.attempts, row.last_error, row.next_attempt) == ("pending", 0, None, alerts[0].detected_at)


async def test_retry_holds_later_alerts_of_the_destination(store: Store) -> None:
    stories = [story(n) for n in range(3)]
    alerts = [alert(s, "d") for s in stories] + [alert(stories[0], "other")]
    await store.record_poll(state(), [SeenStory(s, s.key, s.key, ()) for s in stories], alerts)
    await store.mark_retry(alerts[0].id, T0 + timedelta(minutes=5), "HTTP 503")
    due = await store.due_alerts(T0, 10)
    assert [r.alert.destination for r in due] == ["other"]
    later = await store.due_alerts(T0 + timedelta(minutes=5), 10)
    assert [r.alert.id for r in later if r.alert.destination == "d"] == [a.id for a in alerts[:3]]  # in order
    assert later[0].attempts == 1 and later[0].last_error == "HTTP 503"
    await store.mark_delivered(alerts[0].id, T0)
    await store.mark_dead(alerts[1].id, "HTTP 400")
    assert await store.outbox_counts() == {"delivered": 1, "dead": 1, "pending": 2}
    await store.mark_retry("msg_unknown", T0 + timedelta(hours=1), "nothing")  # no such alert: nothing moves
    assert await store.next_attempt(T0) == T0 + timedelta(minutes=5)


async def test_retry_leaves_later_schedules_alone(store: Store) -> None:
    first, second = alert(story(1)), alert(story(2))
    await queue(store, first, second)
    await store.mark_retry(second.id, T0 + timedelta(hours=1), "HTTP 503")
    await store.mark_retry(first.id, T0 + timedelta(minutes=1), "HTTP 503")
    rows = {r.alert.id: r for r in await store.due_alerts(T0 + timedelta(days=1), 10)}
    assert rows[first.id].next_attempt == T0 + timedelta(minutes=1)
    assert rows[second.id].next_attempt == T0 + timedelta(hours=1)


async def test_next_attempt_is_the_earliest_pending_after(store: Store) -> None:
    assert await store.next_attempt(T0) is None
    first, second = alert(story(1), "a"), alert(story(2), "b")
    await queue(store, first, second)
    assert await store.next_attempt(T0) is None  # both due now: nothing later
    await store.mark_retry(first.id, T0 + timedelta(minutes=2), "timeout")
    await store.mark_retry(second.id, T0 + timedelta(minutes=9), "timeout")
    assert await store.next_attempt(T0) == T0 + timedelta(minutes=2)
    assert await store.next_attempt(T0 + timedelta(minutes=2)) == T0 + timedelta(minutes=9)
    await store.mark_dead(second.id, "HTTP 404")
    assert await store.next_attempt(T0 + timedelta(minutes=2)) is None
    found = await store.next_attempt(T0)
    assert found is not None and found.utcoffset() == timedelta(0)


# --- delivery: disabled destinations, notices, held alerts ---------------------------------------------------


async def test_a_disabled_destination_is_kept_and_its_alerts_are_not_due(store: Store) -> None:
    held, other = alert(story(1), "gone"), alert(story(2), "fine")
    await queue(store, held, other)
    assert await store.disabled_destinations() == {}
    off = DisabledDestination("gone", "HTTP 404 no_service", T0, "fp1")
    await store.disable_destination(off)
    await store.disable_destination(off)  # again: one row
    assert await store.disabled_destinations() == {"gone": off}
    again = DisabledDestination("gone", "HTTP 410 channel_is_archived", T0 + timedelta(hours=1), "fp2")
    await store.disable_destination(again)
    assert await store.disabled_destinations() == {"gone": again}
    assert [r.alert.id for r in await store.due_alerts(T0 + timedelta(minutes=1), 10)] == [other.id]
    assert await store.outbox_counts() == {"pending": 2}  # kept, not dropped
    assert await store.enable_destination("gone") is True
    assert await store.enable_destination("gone") is False
    assert [r.alert.id for r in await store.due_alerts(T0 + timedelta(minutes=1), 10)] == [held.id, other.id]


async def test_enqueue_adds_alerts_without_a_poll_once_per_id(store: Store) -> None:
    first, notice = alert(story(1)), alert(story(2), "ops", at=T0 + timedelta(seconds=5))
    await queue(store, first)
    assert await store.enqueue([notice]) == 1
    assert await store.enqueue([notice]) == 0
    assert await store.enqueue([]) == 0
    due = await store.due_alerts(T0 + timedelta(minutes=1), 10)
    assert [r.alert for r in due] == [first, notice] and due[0].seq < due[1].seq


async def test_a_digest_is_marked_delivered_together(store: Store) -> None:
    alerts = [alert(story(n)) for n in range(3)]
    await queue(store, *alerts)
    await store.mark_delivered_together([a.id for a in alerts[:2]], T0 + timedelta(minutes=15))
    rows = {r.alert.id: r for r in await store.list_alerts(["pending", "delivered"], 10)}
    assert [rows[a.id].status for a in alerts] == ["delivered", "delivered", "pending"]
    assert rows[alerts[0].id].attempts == 1
    records = {r.alert.id: r for r in await store.recent_alerts(10)}
    assert records[alerts[1].id].delivered_at == T0 + timedelta(minutes=15)


async def test_postpone_holds_pending_alerts_without_counting_an_attempt(store: Store) -> None:
    early, late, done = alert(story(1)), alert(story(2), "d2"), alert(story(3))
    await queue(store, early, late, done)
    await store.mark_retry(late.id, T0 + timedelta(hours=2), "HTTP 503")
    await store.mark_delivered(done.id, T0)
    await store.postpone([early.id, late.id, done.id], T0 + timedelta(hours=1))
    rows = {r.alert.id: r for r in await store.list_alerts(["pending", "delivered"], 10)}
    assert rows[early.id].next_attempt == T0 + timedelta(hours=1) and rows[early.id].attempts == 0
    assert rows[late.id].next_attempt == T0 + timedelta(hours=2)  # already later: left alone
    assert rows[done.id].status == "delivered"
    assert await store.due_alerts(T0 + timedelta(minutes=59), 10) == []
    assert await store.next_attempt(T0) == T0 + timedelta(hours=1)


# --- operator actions -----------------------------------------------------------------------------------------


async def fill_outbox(store: Store) -> list[Alert]:
    """Five alerts: delivered, dead, failed once (pending), pending, and dropped."""
    alerts = [alert(story(n), at=T0 + timedelta(seconds=n)) for n in range(5)]
    await queue(store, *alerts)
    await store.mark_delivered(alerts[0].id, T0 + timedelta(seconds=30))
    await store.mark_dead(alerts[1].id, "HTTP 410")
    await store.mark_retry(alerts[2].id, T0, "HTTP 503")
    assert await store.drop([alerts[4].id]) == 1
    return alerts


async def test_list_alerts_by_status_newest_first(store: Store) -> None:
    alerts = await fill_outbox(store)

    async def ids(*statuses: str, limit: int = 10) -> list[str]:
        return [r.alert.id for r in await store.list_alerts(statuses, limit)]

    assert await ids("pending") == [alerts[3].id, alerts[2].id]
    assert await ids("failed") == [alerts[2].id]
    assert await ids("failed", "pending") == [alerts[3].id, alerts[2].id]
    assert await ids("dead", "delivered") == [alerts[1].id, alerts[0].id]
    assert await ids("dropped") == [alerts[4].id]
    assert await ids("pending", "delivered", "dead", "dropped", limit=3) == [a.id for a in alerts[:1:-1]]
    assert await ids() == [] and await ids("unknown") == []
    (dead,) = await store.list_alerts(["dead"], 10)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "HTTP 410")


async def test_requeue_makes_alerts_due_now(store: Store) -> None:
    alerts = await fill_outbox(store)
    now = T0 + timedelta(hours=1)
    assert await store.requeue([alerts[0].id, alerts[4].id, "msg_unknown"], now) == 1  # delivered stays
    assert await store.requeue(None, now) == 1  # every dead one
    assert await store.requeue([], now) == 0
    due = await store.due_alerts(now, 10)
    assert [r.alert.id for r in due] == [a.id for a in alerts[1:]]
    assert {r.alert.id for r in due if r.next_attempt == now} == {alerts[1].id, alerts[4].id}
    assert await store.outbox_counts() == {"delivered": 1, "pending": 4}


async def test_drop_gives_up_on_pending_and_dead_only(store: Store) -> None:
    alerts = await fill_outbox(store)
    assert await store.drop([a.id for a in alerts]) == 3  # dead, failed, pending; delivered and dropped stay
    assert await store.drop([]) == 0
    assert await store.due_alerts(T0 + timedelta(days=1), 10) == []
    assert await store.outbox_counts() == {"delivered": 1, "dropped": 4}
    assert await store.next_attempt(T0 - timedelta(days=1)) is None


# --- views for the status server ------------------------------------------------------------------------------


async def status_scene(store: Store) -> tuple[Story, Story, Alert, Alert]:
    """Story 1 alerted to two destinations and copied by another feed; story 2 alerted later; story 3 old."""
    first, copy = story(1), story(7, OTHER_FEED, T0 + timedelta(minutes=5))
    second, old = story(2, at=T0 + timedelta(minutes=9)), story(3, at=T0 - timedelta(days=3))
    a_slack, a_hook = alert(first, "slack"), alert(first, "hook")
    await store.record_poll(state(), [SeenStory(first, "i1", first.key, ("korea",))], [a_slack, a_hook])
    await store.record_poll(state(OTHER_FEED), [SeenStory(copy, "i1", first.key, ("korea",))], [])
    await store.record_poll(
        state(), [SeenStory(second, "i2", second.key, ("korea", "military"))],
        [alert(second, "slack", T0 + timedelta(minutes=9))],
    )  # fmt: skip
    await store.record_poll(state(), [SeenStory(old, "i3", old.key, ("korea",))], [])
    await store.mark_delivered(a_slack.id, T0 + timedelta(seconds=2))
    await store.mark_dead(a_hook.id, "HTTP 410 Gone")
    return first, second, a_slack, a_hook


async def test_recent_alerts_are_every_row_of_the_newest_clusters(store: Store) -> None:
    first, second, a_slack, a_hook = await status_scene(store)
    records = await store.recent_alerts(10)
    assert [(r.alert.cluster, r.alert.destination, r.status) for r in records] == [
        (second.key, "slack", "pending"),
        (first.key, "hook", "dead"),
        (first.key, "slack", "delivered"),
    ]
    assert records[1].alert == a_hook and records[1].last_error == "HTTP 410 Gone" and records[1].attempts == 1
    assert records[2].delivered_at == T0 + timedelta(seconds=2) and records[0].delivered_at is None
    assert records[2].alert == a_slack and records[0].seq > records[1].seq > records[2].seq
    assert [r.alert.cluster for r in await store.recent_alerts(1)] == [second.key]  # the limit counts clusters


async def test_cluster_stories_list_copies_first_seen_first(store: Store) -> None:
    first, second, _, _ = await status_scene(store)
    found = await store.cluster_stories([first.key, second.key, "none"])
    assert [s.source for s in found[first.key]] == ["Wire", "Wire"]
    assert [s.feed_url for s in found[first.key]] == [FEED, OTHER_FEED]
    assert found[first.key][0] == first and found[second.key] == [second]
    assert await store.cluster_stories([]) == {}


async def test_watchlist_hits_count_stories_since(store: Store) -> None:
    await status_scene(store)
    assert await store.watchlist_hits(T0 - timedelta(hours=1)) == {"korea": 3, "military": 1}
    assert await store.watchlist_hits(T0 - timedelta(days=4)) == {"korea": 4, "military": 1}
    assert await store.watchlist_hits(T0 + timedelta(days=1)) == {}


# --- PostgreSQL: several instances on one database ------------------------------------------------------------


async def test_postgres_refuses_an_unknown_role_clearly(pg_database: str) -> None:
    dsn = pg_database.replace("://root@", "://nobody_here:s3cret@", 1)
    if dsn == pg_database:
        pytest.skip("the admin DSN has no root@ user to swap")
    with pytest.raises(StoreError, match="nobody_here@") as caught:
        await PostgresStore(dsn).open()
    assert "s3cret" not in str(caught.value)


async def test_instances_starting_together_migrate_once(pg_location: str) -> None:
    stores = [PostgresStore(pg_location) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        rows = await pg.query(pg_location, "SELECT version, COUNT(*) FROM wiremon_schema GROUP BY version ORDER BY 1")
        assert rows == [(number, 1) for number, _, _ in migrations()]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_two_instances_queue_one_alert_once(pg_location: str) -> None:
    """Instances recording the same alerts at once, in opposite orders: each alert is queued once, no deadlock."""
    one, two = PostgresStore(pg_location), PostgresStore(pg_location)
    await asyncio.gather(one.open(), two.open())
    try:
        stories = [story(n) for n in range(200)]
        forward = [alert(s, dest) for s in stories for dest in ("a", "b")]
        backward = forward[::-1]
        polls = [  # two feeds carrying the same stories: nothing else makes the polls wait for each other
            store.record_poll(state(feed), [seen(s) for s in order], alerts)
            for _ in range(3)
            for store, feed, order, alerts in (
                (one, FEED, stories, forward),
                (two, OTHER_FEED, stories[::-1], backward),
            )
        ]
        assert sum(await asyncio.gather(*polls)) == len(forward)
        assert await one.outbox_counts() == {"pending": len(forward)}
        due = [r.alert for r in await two.due_alerts(T0, 1000)]
        assert due in (forward, backward)  # one poll's alerts stay together, in its order
        rows = await pg.query(pg_location, "SELECT COUNT(*), COUNT(DISTINCT alert_id) FROM outbox")
        assert rows == [(len(forward), len(forward))]
    finally:
        await asyncio.gather(one.close(), two.close())


async def test_the_database_itself_refuses_a_second_row_for_an_alert(pg_location: str) -> None:
    store = PostgresStore(pg_location)
    await store.open()
    await queue(store, alert(story(1)))
    await store.close()
    with pytest.raises(asyncpg.UniqueViolationError):
        await pg.query(pg_location, "INSERT INTO outbox (alert_id, destination, cluster, payload, status,"
                       " next_attempt, created_at) SELECT alert_id, destination, cluster, payload, status,"
                       " next_attempt, created_at FROM outbox")  # fmt: skip


# --- threads: where a cluster's first message went in a threaded destination (Slack with a bot token) ----------


def thread(ts: str, cluster: str = "c1", destination: str = "d", alert_id: str = "msg_1") -> Thread:
    return Thread(cluster, destination, "C0TEST", ts, alert_id, T0 + timedelta(seconds=1))


async def test_a_cluster_keeps_its_first_thread_per_destination(location: str) -> None:
    store = open_store(location)
    await store.open()
    try:
        assert await store.thread("c1", "d") is None
        assert await store.save_thread(thread("1.1")) == thread("1.1")
        assert await store.save_thread(thread("2.2", alert_id="msg_2")) == thread("1.1")  # the first one stays
        assert await store.save_thread(thread("3.3", destination="e")) == thread("3.3", destination="e")
        assert await store.thread("c2", "d") is None
    finally:
        await store.close()
    again = open_store(location)
    await again.open()
    try:
        kept = await again.thread("c1", "d")
        assert kept == thread("1.1") and kept.created_at.utcoffset() == timedelta(0)
    finally:
        await again.close()


async def test_cluster_destinations_lists_every_destination_alerted_whatever_the_state(store: Store) -> None:
    s1, s2 = story(1), story(2)
    await queue(store, alert(s1, "a"), alert(s1, "b"), alert(s2, "a"))
    await store.mark_dead(alert(s1, "b").id, "refused")
    await store.mark_delivered(alert(s1, "a").id, T0)
    found = await store.cluster_destinations([s1.key, s2.key, "never"])
    assert found == {s1.key: {"a", "b"}, s2.key: {"a"}}
    assert await store.cluster_destinations([]) == {}


async def test_instances_saving_one_thread_at_once_agree_on_it(pg_location: str) -> None:
    one, two = PostgresStore(pg_location), PostgresStore(pg_location)
    await asyncio.gather(one.open(), two.open())
    try:
        offers = [thread(f"{n}.0", alert_id=f"msg_{n}") for n in range(20)]
        kept = await asyncio.gather(*((one, two)[n % 2].save_thread(t) for n, t in enumerate(offers)))
        assert len(set(kept)) == 1 and kept[0] in offers
        assert await one.thread("c1", "d") == kept[0]
    finally:
        await asyncio.gather(one.close(), two.close())


# --- WebSub subscriptions ---------------------------------------------------------------------------------


async def test_subscriptions_round_trip_and_are_replaced_per_feed(location: str) -> None:
    from monitor.store import Subscription

    first = Subscription(
        feed_url=FEED, topic="https://wire.test/self", hub="https://hub.test/", callback_id="cb-1", secret="s-1",
        state="pending", next_attempt=T0, requested_at=T0,
    )  # fmt: skip
    other = Subscription(
        feed_url=OTHER_FEED, topic=OTHER_FEED, hub="https://hub.test/", callback_id="cb-2", secret="s-2",
        state="failed", next_attempt=T0 + timedelta(minutes=1), attempts=1, last_error="HTTP 503",
    )  # fmt: skip
    store = open_store(location)
    await store.open()
    try:
        assert await store.subscriptions() == []
        await store.save_subscription(first)
        await store.save_subscription(other)
        active = Subscription(
            feed_url=FEED, topic=first.topic, hub=first.hub, callback_id="cb-1", secret="s-1", state="active",
            next_attempt=T0 + timedelta(days=8), lease_seconds=864000, expires_at=T0 + timedelta(days=10),
            hubs=("https://hub.test/", "https://hub2.test/"),
        )  # fmt: skip
        await store.save_subscription(active)
    finally:
        await store.close()
    store = open_store(location)  # a restart reads them back
    await store.open()
    try:
        assert await store.subscriptions() == [other, active]  # by feed URL
        await store.delete_subscription(OTHER_FEED)
        assert await store.subscriptions() == [active]
    finally:
        await store.close()
