"""The SQLite store: one connection owned by one writer thread, so the event loop never blocks on disk."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from monitor.errors import StoreError
from monitor.model import Alert, Story
from monitor.store.base import AlertRecord, DisabledDestination, FeedState, OutboxRow, SeenStory, Subscription, Thread
from monitor.store.codec import alert_from_json, alert_to_json, from_iso, iso

T = TypeVar("T")
STORED_CONTENT = 20_000  # characters of a story's content kept: enough to recognise copies after a restart


def migrations() -> list[tuple[int, str]]:
    """The numbered schema migrations shipped with the package, in order."""
    folder = resources.files("monitor.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


IN_CHUNK = 500  # keys per IN (…) list: SQLite caps the number of bound parameters


def _rows_in(db: sqlite3.Connection, sql: str, keys: Sequence[str], *before: object) -> Iterator[Any]:
    """The rows of `sql` (its `{marks}` an IN list of `keys`, after the `before` parameters), a chunk at a time."""
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        yield from db.execute(sql.format(marks=",".join("?" * len(chunk))), (*before, *chunk))


def _opt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _opt_iso(when: datetime | None) -> str | None:
    return iso(when) if when else None


def _subscription(r: tuple[Any, ...]) -> Subscription:
    return Subscription(
        feed_url=r[0], topic=r[1], hub=r[2], callback_id=r[3], secret=r[4], state=r[5], next_attempt=from_iso(r[6]),
        lease_seconds=r[7], expires_at=_opt(r[8]), requested_at=_opt(r[9]), attempts=r[10], last_error=r[11],
        hubs=tuple(json.loads(r[12])),
    )  # fmt: skip


_SUBSCRIPTION_COLUMNS = (
    "feed_url, topic, hub, callback_id, secret, state, next_attempt, lease_seconds, expires_at, requested_at,"
    " attempts, last_error, hubs"
)


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wiremon-sqlite")
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._db is None:
                raise StoreError(f"store {self.path} is not open")
            try:
                return fn(self._db)
            except sqlite3.OperationalError as exc:  # locked, disk full, file gone: the store, not a bug
                raise StoreError(f"store {self.path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    # --- lifecycle -------------------------------------------------------------------------------------

    async def open(self) -> None:
        def connect() -> None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA busy_timeout=5000")
                db.execute("PRAGMA foreign_keys=ON")
                self._migrate(db)
                # One process uses a SQLite store: leases a previous run left behind (killed mid-poll) are void.
                db.execute("UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
                db.execute("DELETE FROM destination_leases")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open store {self.path}: {exc}") from exc
            self._db = db

        await asyncio.get_running_loop().run_in_executor(self._pool, connect)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        with _transaction(db):
            current = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in migrations():
                if number > current:
                    for statement in script.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number:d}")

    async def close(self) -> None:
        def disconnect() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._pool, disconnect)
        self._pool.shutdown(wait=True)

    # --- feeds -----------------------------------------------------------------------------------------

    _FEED_SELECT = (
        "SELECT url, name, interval_s, next_poll, etag, last_modified, body_hash, primed,"
        " consecutive_errors, last_status, last_error, last_polled, last_success, items_seen,"
        " fetch_url, redirect_candidate, redirect_count FROM feeds"
    )

    @classmethod
    def _read_feeds(cls, db: sqlite3.Connection, where: str = "", params: Sequence[object] = ()) -> list[FeedState]:
        rows = db.execute(cls._FEED_SELECT + where, params).fetchall()
        return [
            FeedState(
                url=r[0], name=r[1], interval=r[2], next_poll=from_iso(r[3]), etag=r[4],
                last_modified=r[5], body_hash=r[6], primed=bool(r[7]), consecutive_errors=r[8],
                last_status=r[9], last_error=r[10], last_polled=_opt(r[11]), last_success=_opt(r[12]),
                items_seen=r[13], fetch_url=r[14], redirect_candidate=r[15], redirect_count=r[16],
            )
            for r in rows
        ]

    async def feed_states(self) -> dict[str, FeedState]:
        return {s.url: s for s in await self._run(self._read_feeds)}

    async def feed_state(self, url: str) -> FeedState | None:
        found = await self._run(lambda db: self._read_feeds(db, " WHERE url = ?", (url,)))
        return found[0] if found else None

    @staticmethod
    def _save_feed(db: sqlite3.Connection, s: FeedState) -> None:
        db.execute(
            "INSERT INTO feeds (url, name, interval_s, next_poll, etag, last_modified, body_hash, primed,"
            " consecutive_errors, last_status, last_error, last_polled, last_success, items_seen,"
            " fetch_url, redirect_candidate, redirect_count)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (url) DO UPDATE SET name=excluded.name, interval_s=excluded.interval_s,"
            " next_poll=excluded.next_poll, etag=excluded.etag, last_modified=excluded.last_modified,"
            " body_hash=excluded.body_hash, primed=excluded.primed,"
            " consecutive_errors=excluded.consecutive_errors, last_status=excluded.last_status,"
            " last_error=excluded.last_error, last_polled=excluded.last_polled,"
            " last_success=excluded.last_success, items_seen=excluded.items_seen,"
            " fetch_url=excluded.fetch_url, redirect_candidate=excluded.redirect_candidate,"
            " redirect_count=excluded.redirect_count, lease_owner=NULL, lease_until=NULL",
            (
                s.url, s.name, s.interval, iso(s.next_poll), s.etag, s.last_modified, s.body_hash,
                int(s.primed), s.consecutive_errors, s.last_status, s.last_error,
                iso(s.last_polled) if s.last_polled else None,
                iso(s.last_success) if s.last_success else None, s.items_seen, s.fetch_url,
                s.redirect_candidate, s.redirect_count,
            ),
        )

    async def save_feed_state(self, state: FeedState) -> None:
        await self._run(lambda db: self._save_feed(db, state))

    async def add_feeds(self, states: Sequence[FeedState]) -> None:
        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                for state in states:
                    if not db.execute("SELECT 1 FROM feeds WHERE url = ?", (state.url,)).fetchone():
                        self._save_feed(db, state)

        await self._run(write)

    async def due_feeds(self, now: datetime) -> list[str]:
        def read(db: sqlite3.Connection) -> list[str]:
            rows = db.execute(
                "SELECT url FROM feeds WHERE next_poll <= ? AND (last_status IS NULL OR last_status <> 'gone')"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_poll",
                (iso(now), iso(now)),
            )
            return [r[0] for r in rows]

        return await self._run(read)

    async def claim_due_feeds(
        self, owner: str, urls: Sequence[str], now: datetime, lease: float, limit: int
    ) -> list[FeedState]:
        def claim(db: sqlite3.Connection) -> list[FeedState]:
            with _transaction(db):
                due = [
                    row[0]
                    for row in db.execute(
                        "SELECT url FROM feeds WHERE url IN (SELECT value FROM json_each(?)) AND next_poll <= ?"
                        " AND (last_status IS NULL OR last_status <> 'gone')"
                        " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_poll LIMIT ?",
                        (json.dumps(list(urls)), iso(now), iso(now), limit),
                    )
                ]
                db.execute(
                    "UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE url IN (SELECT value FROM json_each(?))",
                    (owner, iso(now + timedelta(seconds=lease)), json.dumps(due)),
                )
                claimed = self._read_feeds(db, " WHERE url IN (SELECT value FROM json_each(?))", (json.dumps(due),))
            return sorted(claimed, key=lambda s: s.next_poll)

        return await self._run(claim)

    # --- stories ---------------------------------------------------------------------------------------

    async def known_items(self, feed_url: str, item_ids: list[str]) -> set[str]:
        def read(db: sqlite3.Connection) -> set[str]:
            sql = "SELECT item_id FROM stories WHERE feed_url = ? AND item_id IN ({marks})"
            return {r[0] for r in _rows_in(db, sql, item_ids, feed_url)}

        return await self._run(read)

    async def find_identity(self, identities: list[str], since: datetime) -> dict[str, str]:
        def read(db: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for identity in identities:
                row = db.execute(
                    "SELECT cluster FROM stories WHERE identity = ? AND fetched_at >= ?"
                    " ORDER BY fetched_at LIMIT 1",
                    (identity, iso(since)),
                ).fetchone()
                if row:
                    found[identity] = row[0]
            return found

        return await self._run(read)

    async def record_poll(self, state: FeedState, seen: list[SeenStory], alerts: list[Alert]) -> int:
        def write(db: sqlite3.Connection) -> int:
            with _transaction(db):
                self._save_feed(db, state)
                db.executemany(
                    "INSERT OR IGNORE INTO stories (key, feed_url, item_id, identity, cluster, source, title,"
                    " summary, link, published, fetched_at, watchlists, content) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            s.story.key, s.story.feed_url, s.story.id, s.identity, s.cluster, s.story.source,
                            s.story.title, s.story.summary, s.story.link, iso(s.story.published),
                            iso(s.story.fetched_at), json.dumps(list(s.watchlists)), s.story.content[:STORED_CONTENT],
                        )
                        for s in seen
                    ],
                )
                queued = self._insert_alerts(db, alerts)
            return queued

        return await self._run(write)

    @staticmethod
    def _insert_alerts(db: sqlite3.Connection, alerts: Sequence[Alert]) -> int:
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]
        queued = 0
        for alert in alerts:
            seq += 1
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox (alert_id, destination, cluster, payload, status,"
                " next_attempt, created_at, seq) VALUES (?,?,?,?, 'pending', ?, ?, ?)",
                (
                    alert.id, alert.destination, alert.cluster, alert_to_json(alert),
                    iso(alert.detected_at), iso(alert.detected_at), seq,
                ),
            )
            queued += cursor.rowcount
        return queued

    # --- outbox ----------------------------------------------------------------------------------------

    async def cluster_destinations(self, clusters: list[str]) -> dict[str, set[str]]:
        def read(db: sqlite3.Connection) -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            sql = "SELECT DISTINCT cluster, destination FROM outbox WHERE cluster IN ({marks})"
            for cluster, destination in _rows_in(db, sql, clusters):
                found.setdefault(cluster, set()).add(destination)
            return found

        return await self._run(read)

    @staticmethod
    def _thread(db: sqlite3.Connection, cluster: str, destination: str) -> Thread | None:
        row = db.execute(
            "SELECT channel, ts, alert_id, created_at FROM threads WHERE cluster = ? AND destination = ?",
            (cluster, destination),
        ).fetchone()
        return Thread(cluster, destination, row[0], row[1], row[2], from_iso(row[3])) if row else None

    async def thread(self, cluster: str, destination: str) -> Thread | None:
        return await self._run(lambda db: self._thread(db, cluster, destination))

    async def save_thread(self, thread: Thread) -> Thread:
        def write(db: sqlite3.Connection) -> Thread:
            t = thread
            db.execute(
                "INSERT OR IGNORE INTO threads (cluster, destination, channel, ts, alert_id, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (t.cluster, t.destination, t.channel, t.ts, t.alert_id, iso(t.created_at)),
            )
            return self._thread(db, t.cluster, t.destination) or t  # the row is there: never deleted

        return await self._run(write)

    # --- several instances (SQLite: one; same semantics) ---------------------------------------------

    async def release_feeds(self, owner: str) -> None:
        sql = "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?"
        await self._run(lambda db: db.execute(sql, (owner,)))

    @asynccontextmanager
    async def detection(self) -> AsyncIterator[None]:
        yield  # one process: the pipeline's own lock is enough

    async def stories_after(
        self, mark: int, since: datetime, exclude: Sequence[str] = ()
    ) -> tuple[list[tuple[Story, str]], int]:
        def read(db: sqlite3.Connection) -> tuple[list[tuple[Story, str]], int]:
            newest = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM stories").fetchone()[0]
            rows = db.execute(
                "SELECT item_id, feed_url, source, title, summary, content, link, published, fetched_at, cluster"
                " FROM stories WHERE rowid > ? AND rowid <= ? AND fetched_at >= ?"
                " AND key NOT IN (SELECT value FROM json_each(?)) ORDER BY rowid",
                (mark, newest, iso(since), json.dumps(list(exclude))),
            )
            stories = [
                (Story(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_iso(r[7]), from_iso(r[8])), r[9]) for r in rows
            ]
            return stories, max(newest, mark)

        return await self._run(read)

    async def claim_destinations(
        self, owner: str, destinations: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        def claim(db: sqlite3.Connection) -> list[str]:
            with _transaction(db):
                db.executemany(
                    "INSERT INTO destination_leases (destination, owner, lease_until) VALUES (?, ?, ?)"
                    " ON CONFLICT (destination) DO UPDATE SET owner = excluded.owner,"
                    " lease_until = excluded.lease_until"
                    " WHERE destination_leases.owner = excluded.owner OR destination_leases.lease_until <= ?",
                    [(d, owner, iso(now + timedelta(seconds=lease)), iso(now)) for d in destinations],
                )
                rows = db.execute(
                    "SELECT destination FROM destination_leases WHERE owner = ?"
                    " AND destination IN (SELECT value FROM json_each(?))",
                    (owner, json.dumps(list(destinations))),
                )
                held = {r[0] for r in rows}
            return [d for d in destinations if d in held]

        return await self._run(claim)

    async def release_destinations(self, owner: str, until: Mapping[str, datetime]) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE destination_leases SET lease_until = ? WHERE destination = ? AND owner = ?",
                [(iso(when), destination, owner) for destination, when in until.items()],
            )

        await self._run(write)

    # --- outbox ----------------------------------------------------------------------------------------

    async def due_alerts(
        self, now: datetime, limit: int, destinations: Sequence[str] | None = None
    ) -> list[OutboxRow]:
        def read(db: sqlite3.Connection) -> list[OutboxRow]:
            only = "" if destinations is None else " AND destination IN (SELECT value FROM json_each(?))"
            chosen = () if destinations is None else (json.dumps(list(destinations)),)
            rows = db.execute(
                "SELECT payload, status, attempts, next_attempt, last_error, seq FROM outbox"
                f" WHERE status = 'pending' AND next_attempt <= ?{only}"
                " AND destination NOT IN (SELECT name FROM disabled_destinations) ORDER BY seq LIMIT ?",
                (iso(now), *chosen, limit),
            ).fetchall()
            return [OutboxRow(alert_from_json(r[0]), r[1], r[2], from_iso(r[3]), r[4], r[5]) for r in rows]

        return await self._run(read)

    async def mark_delivered(self, alert_id: str, now: datetime) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?,"
                " last_error = NULL WHERE alert_id = ?",
                (iso(now), alert_id),
            )
        )

    async def mark_retry(self, alert_id: str, next_attempt: datetime, error: str) -> None:
        """Reschedule an alert; its destination's later alerts wait behind it, so delivery stays in order."""

        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                row = db.execute("SELECT destination FROM outbox WHERE alert_id = ?", (alert_id,)).fetchone()
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?"
                    " WHERE alert_id = ?",
                    (iso(next_attempt), error, alert_id),
                )
                if row:
                    db.execute(
                        "UPDATE outbox SET next_attempt = ? WHERE destination = ? AND status = 'pending'"
                        " AND next_attempt < ?",
                        (iso(next_attempt), row[0], iso(next_attempt)),
                    )

        await self._run(write)

    async def mark_dead(self, alert_id: str, error: str) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?"
                " WHERE alert_id = ?",
                (error, alert_id),
            )
        )

    async def outbox_counts(self) -> dict[str, int]:
        def read(db: sqlite3.Connection) -> dict[str, int]:
            return dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())

        return await self._run(read)

    async def next_attempt(self, after: datetime) -> datetime | None:
        def read(db: sqlite3.Connection) -> datetime | None:
            row = db.execute(
                "SELECT MIN(next_attempt) FROM outbox WHERE status = 'pending' AND next_attempt > ?", (iso(after),)
            ).fetchone()
            return from_iso(row[0]) if row and row[0] else None

        return await self._run(read)

    async def stories_since(self, since: datetime) -> list[tuple[Story, str]]:
        def read(db: sqlite3.Connection) -> list[tuple[Story, str]]:
            rows = db.execute(
                "SELECT item_id, feed_url, source, title, summary, content, link, published, fetched_at, cluster"
                " FROM stories WHERE fetched_at >= ? ORDER BY fetched_at, rowid",
                (iso(since),),
            )
            return [
                (Story(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_iso(r[7]), from_iso(r[8])), r[9]) for r in rows
            ]

        return await self._run(read)

    async def cluster_watchlists(self, clusters: list[str]) -> dict[str, set[str]]:
        def read(db: sqlite3.Connection) -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            sql = "SELECT cluster, watchlists FROM stories WHERE cluster IN ({marks})"
            for cluster, names in _rows_in(db, sql, clusters):
                found.setdefault(cluster, set()).update(json.loads(names))
            return found

        return await self._run(read)

    # --- operator actions on the outbox (`wiremon alerts`) -------------------------------------------

    async def list_alerts(self, statuses: Sequence[str], limit: int) -> list[OutboxRow]:
        wanted = set(statuses)
        clauses = [f"status = '{name}'" for name in ("pending", "delivered", "dead", "dropped") if name in wanted]
        if "failed" in wanted and "pending" not in wanted:
            clauses.append("(status = 'pending' AND attempts > 0)")
        if not clauses:
            return []

        def read(db: sqlite3.Connection) -> list[OutboxRow]:
            rows = db.execute(
                "SELECT payload, status, attempts, next_attempt, last_error, seq FROM outbox"
                f" WHERE {' OR '.join(clauses)} ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [OutboxRow(alert_from_json(r[0]), r[1], r[2], from_iso(r[3]), r[4], r[5]) for r in rows]

        return await self._run(read)

    async def requeue(self, alert_ids: Sequence[str] | None, now: datetime) -> int:
        def write(db: sqlite3.Connection) -> int:
            if alert_ids is None:
                cursor = db.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt = ? WHERE status = 'dead'", (iso(now),)
                )
                return cursor.rowcount
            changed = 0
            for alert_id in alert_ids:
                cursor = db.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt = ? WHERE alert_id = ?"
                    " AND status IN ('pending', 'dead', 'dropped')",
                    (iso(now), alert_id),
                )
                changed += cursor.rowcount
            return changed

        return await self._run(write)

    async def drop(self, alert_ids: Sequence[str]) -> int:
        def write(db: sqlite3.Connection) -> int:
            return sum(
                db.execute(
                    "UPDATE outbox SET status = 'dropped' WHERE alert_id = ? AND status IN ('pending', 'dead')",
                    (alert_id,),
                ).rowcount
                for alert_id in alert_ids
            )

        return await self._run(write)

    # --- read-only views for the status server ---------------------------------------------------------

    async def recent_alerts(self, limit: int) -> list[AlertRecord]:
        def read(db: sqlite3.Connection) -> list[AlertRecord]:
            rows = db.execute(
                "SELECT payload, status, attempts, last_error, delivered_at, seq FROM outbox WHERE cluster IN"
                " (SELECT cluster FROM outbox GROUP BY cluster ORDER BY MAX(seq) DESC LIMIT ?) ORDER BY seq DESC",
                (limit,),
            ).fetchall()
            return [AlertRecord(alert_from_json(r[0]), r[1], r[2], r[3], _opt(r[4]), r[5]) for r in rows]

        return await self._run(read)

    async def cluster_stories(self, clusters: list[str]) -> dict[str, list[Story]]:
        def read(db: sqlite3.Connection) -> dict[str, list[Story]]:
            found: dict[str, list[Story]] = {}
            sql = (
                "SELECT cluster, item_id, feed_url, source, title, summary, link, published, fetched_at"
                " FROM stories WHERE cluster IN ({marks}) ORDER BY fetched_at, rowid"
            )
            for cluster, item_id, feed_url, source, title, summary, link, published, fetched_at in _rows_in(
                db, sql, clusters
            ):
                story = Story(
                    id=item_id, feed_url=feed_url, source=source, title=title, summary=summary, content="",
                    link=link, published=from_iso(published), fetched_at=from_iso(fetched_at),
                )  # fmt: skip
                found.setdefault(cluster, []).append(story)
            return found

        return await self._run(read)

    async def watchlist_hits(self, since: datetime) -> dict[str, int]:
        def read(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute(
                "SELECT hit.value, COUNT(*) FROM stories, json_each(stories.watchlists) AS hit"
                " WHERE stories.fetched_at >= ? GROUP BY hit.value",
                (iso(since),),
            ).fetchall()
            return {str(name): count for name, count in rows}

        return await self._run(read)

    # --- WebSub subscriptions ----------------------------------------------------------------------------

    async def subscriptions(self) -> list[Subscription]:
        def read(db: sqlite3.Connection) -> list[Subscription]:
            rows = db.execute(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM websub_subscriptions ORDER BY feed_url")
            return [_subscription(r) for r in rows]

        return await self._run(read)

    async def save_subscription(self, subscription: Subscription) -> None:
        s = subscription
        values = (
            s.feed_url, s.topic, s.hub, s.callback_id, s.secret, s.state, iso(s.next_attempt), s.lease_seconds,
            _opt_iso(s.expires_at), _opt_iso(s.requested_at), s.attempts, s.last_error, json.dumps(list(s.hubs)),
        )  # fmt: skip
        await self._run(
            lambda db: db.execute(
                f"INSERT OR REPLACE INTO websub_subscriptions ({_SUBSCRIPTION_COLUMNS})"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                values,
            )
        )

    async def delete_subscription(self, feed_url: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM websub_subscriptions WHERE feed_url = ?", (feed_url,)))

    # --- delivery: disabled destinations, operator notices, held alerts ----------------------------------

    async def disable_destination(self, disabled: DisabledDestination) -> None:
        d = disabled
        await self._run(
            lambda db: db.execute(
                "INSERT INTO disabled_destinations (name, reason, since, fingerprint) VALUES (?,?,?,?)"
                " ON CONFLICT (name) DO UPDATE SET reason = excluded.reason, since = excluded.since,"
                " fingerprint = excluded.fingerprint",
                (d.name, d.reason, iso(d.since), d.fingerprint),
            )
        )

    async def enable_destination(self, name: str) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            return db.execute("DELETE FROM disabled_destinations WHERE name = ?", (name,)).rowcount > 0

        return await self._run(write)

    async def disabled_destinations(self) -> dict[str, DisabledDestination]:
        def read(db: sqlite3.Connection) -> dict[str, DisabledDestination]:
            rows = db.execute("SELECT name, reason, since, fingerprint FROM disabled_destinations").fetchall()
            return {r[0]: DisabledDestination(r[0], r[1], from_iso(r[2]), r[3]) for r in rows}

        return await self._run(read)

    async def enqueue(self, alerts: Sequence[Alert]) -> int:
        def write(db: sqlite3.Connection) -> int:
            with _transaction(db):
                return self._insert_alerts(db, alerts)

        return await self._run(write)

    async def mark_delivered_together(self, alert_ids: Sequence[str], now: datetime) -> None:
        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.executemany(
                    "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?,"
                    " last_error = NULL WHERE alert_id = ?",
                    [(iso(now), alert_id) for alert_id in alert_ids],
                )

        await self._run(write)

    async def postpone(self, alert_ids: Sequence[str], until: datetime) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE outbox SET next_attempt = ? WHERE alert_id = ? AND status = 'pending' AND next_attempt < ?",
                [(iso(until), alert_id, iso(until)) for alert_id in alert_ids],
            )

        await self._run(write)
