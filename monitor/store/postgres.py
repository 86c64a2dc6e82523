"""The PostgreSQL store: the SQLite store's interface and behaviour, for several instances sharing one database.

asyncpg is asynchronous, so nothing here leaves the event loop. Times are timestamptz: aware UTC in and out.
Writes that touch many rows take one advisory lock, as SQLite's single writer would: two instances recording
polls at once neither deadlock nor interleave one poll's alerts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from monitor.errors import StoreError
from monitor.model import Alert, Story
from monitor.store.base import AlertRecord, DisabledDestination, FeedState, OutboxRow, SeenStory, Subscription, Thread
from monitor.store.codec import alert_from_json, alert_to_json
from monitor.store.sqlite import STORED_CONTENT

Connection = Any  # asyncpg.Connection: asyncpg ships no type hints

SCHEMES = ("postgresql://", "postgres://")
# pg_advisory_xact_lock keys: "wiremon" in ASCII, then which lock.
MIGRATION_LOCK = 0x776972656D6F6E01  # held while the schema is brought up to date
WRITE_LOCK = 0x776972656D6F6E02  # held by writes that touch many rows
DETECT_LOCK = 0x776972656D6F6E03  # held around catch up + detect + record: one instance decides at a time
POOL_MIN, POOL_MAX = 1, 5
CONNECT_TIMEOUT = 10.0  # seconds to reach the server
COMMAND_TIMEOUT = 60.0  # seconds a statement may take before the store counts as unwell

# The database unreachable or unwell, not a bug of ours: callers see StoreError, as with a locked SQLite file.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, timed out
    asyncpg.PostgresConnectionError,  # class 08, and the connection dropped mid-statement
    asyncpg.InsufficientResourcesError,  # class 53: disk full, out of memory, too many connections
    asyncpg.OperatorInterventionError,  # class 57: shutting down, starting up, statement cancelled
    asyncpg.TransactionRollbackError,  # class 40: deadlock or serialization failure
    asyncpg.ReadOnlySQLTransactionError,  # a failover left us talking to a standby
)
# Opening also fails for a wrong password, role or database name, or a DSN asyncpg cannot read.
_CANNOT_OPEN: tuple[type[BaseException], ...] = (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)

_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS wiremon_schema (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def migrations() -> list[tuple[int, str, str]]:
    """The numbered PostgreSQL migrations shipped with the package, in order: (number, file name, script)."""
    folder = resources.files("monitor.store") / "pg_migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(conn: Connection) -> list[int]:
    """Apply the migrations this database lacks, in one transaction; returns the numbers applied.

    The advisory lock makes instances that start together take turns: the first migrates, the others then
    find every version recorded and apply nothing.
    """
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(_SCHEMA_TABLE)
        done = {row["version"] for row in await conn.fetch("SELECT version FROM wiremon_schema")}
        for number, name, script in migrations():
            if number not in done:
                await conn.execute(script)
                await conn.execute("INSERT INTO wiremon_schema (version, name) VALUES ($1, $2)", number, name)
                applied.append(number)
    return applied


def describe(dsn: str) -> str:
    """The DSN as messages show it: user, host, port and database, never the password."""
    parts = urlsplit(dsn)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = userinfo.partition(":")[0] + at + hosts
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _password(dsn: str) -> str | None:
    userinfo, _, _ = urlsplit(dsn).netloc.rpartition("@")
    password = userinfo.partition(":")[2] or dict(parse_qsl(urlsplit(dsn).query)).get("password")
    return password or None


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL (SQLite can): it becomes U+FFFD rather than failing the whole poll."""
    return value.replace("\x00", "\ufffd")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def _payload(alert: Alert) -> str:
    text = alert_to_json(alert)
    if "\\u0000" in text:  # jsonb refuses the escape too
        text = json.dumps(_scrub(json.loads(text)), ensure_ascii=False)
    return text


def _count(status: str) -> int:
    """Rows touched, from a command tag such as "UPDATE 3"."""
    return int(status.rsplit(" ", 1)[-1])


# FeedState field → feeds column; "interval" is an SQL keyword, hence the one rename.
_FEED_COLUMNS = {f.name: "interval_s" if f.name == "interval" else f.name for f in fields(FeedState)}
_FEED_FIELDS = ", ".join(f'{c} AS "{f}"' for f, c in _FEED_COLUMNS.items())
_SELECT_FEEDS = f"SELECT {_FEED_FIELDS} FROM feeds"
_INSERT_FEED = (
    f"INSERT INTO feeds ({', '.join(_FEED_COLUMNS.values())})"
    f" VALUES ({', '.join(f'${n}' for n in range(1, len(_FEED_COLUMNS) + 1))})"
)
_UPSERT_FEED = (  # saving a poll's outcome also frees the feed's lease
    _INSERT_FEED + " ON CONFLICT (url) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _FEED_COLUMNS.values() if c != "url")
    + ", lease_owner = NULL, lease_until = NULL"
)
# SKIP LOCKED: a feed another instance is claiming right now is not waited for; it is simply not ours. A row
# claimed and committed meanwhile is checked again against the lease condition (READ COMMITTED re-check).
_CLAIM_FEEDS = f"""
UPDATE feeds SET lease_owner = $1, lease_until = $2
WHERE url IN (
    SELECT url FROM feeds
    WHERE url = ANY($3::text[]) AND next_poll <= $4 AND last_status IS DISTINCT FROM 'gone'
        AND (lease_until IS NULL OR lease_until <= $4)
    ORDER BY next_poll LIMIT $5
    FOR UPDATE SKIP LOCKED)
RETURNING {_FEED_FIELDS}"""
# A row locked by a concurrent claim is re-read after it commits: the WHERE then sees the other owner's lease.
_CLAIM_DESTINATIONS = """
INSERT INTO destination_leases (destination, owner, lease_until)
SELECT d, $2, $3 FROM unnest($1::text[]) AS d
ON CONFLICT (destination) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
WHERE destination_leases.owner = EXCLUDED.owner OR destination_leases.lease_until <= $4
RETURNING destination"""
_INSERT_STORY = (
    "INSERT INTO stories (key, feed_url, item_id, identity, cluster, source, title, summary, link, published,"
    " fetched_at, watchlists, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT DO NOTHING"
)
# One statement for a poll's alerts, in detection order (seq follows it); an id already queued is left alone.
_INSERT_ALERTS = """
INSERT INTO outbox (alert_id, destination, cluster, payload, status, next_attempt, created_at)
SELECT a.alert_id, a.destination, a.cluster, a.payload::jsonb, 'pending', a.detected_at, a.detected_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY
    AS a (alert_id, destination, cluster, payload, detected_at, n)
ORDER BY a.n
ON CONFLICT (alert_id) DO NOTHING
RETURNING alert_id"""
_SUBSCRIPTION_FIELDS = tuple(f.name for f in fields(Subscription))
_SELECT_SUBSCRIPTIONS = f"SELECT {', '.join(_SUBSCRIPTION_FIELDS)} FROM websub_subscriptions ORDER BY feed_url"
_UPSERT_SUBSCRIPTION = (
    f"INSERT INTO websub_subscriptions ({', '.join(_SUBSCRIPTION_FIELDS)})"
    f" VALUES ({', '.join(f'${n}' for n in range(1, len(_SUBSCRIPTION_FIELDS) + 1))})"
    " ON CONFLICT (feed_url) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _SUBSCRIPTION_FIELDS if c != "feed_url")
)

# The newest arrival number comes with the rows (one row of NULLs when there are none after the mark).
_STORIES_AFTER = """
WITH top AS (SELECT COALESCE(MAX(arrival), 0) AS newest FROM stories)
SELECT top.newest, s.item_id, s.feed_url, s.source, s.title, s.summary, s.content, s.link, s.published,
    s.fetched_at, s.cluster
FROM top LEFT JOIN stories s ON s.arrival > $1 AND s.arrival <= top.newest AND s.fetched_at >= $2
    AND NOT (s.key = ANY($3::text[]))
ORDER BY s.arrival"""
_OUTBOX_ROW = "SELECT payload, status, attempts, next_attempt, last_error, seq FROM outbox"


def _alert_columns(alerts: Sequence[Alert]) -> tuple[list[Any], ...]:
    """_INSERT_ALERTS' arrays, one per column."""
    return (
        [a.id for a in alerts],
        [_text(a.destination) for a in alerts],
        [a.cluster for a in alerts],
        [_payload(a) for a in alerts],
        [a.detected_at for a in alerts],
    )


def _outbox_row(r: Any) -> OutboxRow:
    return OutboxRow(alert_from_json(r[0]), r[1], r[2], r[3], r[4], r[5])


def _story(r: Any, content: str) -> Story:
    return Story(
        id=r["item_id"], feed_url=r["feed_url"], source=r["source"], title=r["title"], summary=r["summary"],
        content=content, link=r["link"], published=r["published"], fetched_at=r["fetched_at"],
    )  # fmt: skip


class PostgresStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.where = describe(dsn)
        self._pool: Any = None  # asyncpg.Pool once open

    def _clean(self, exc: BaseException) -> str:
        message = str(exc) or type(exc).__name__
        password = _password(self.dsn)
        return message.replace(password, "***") if password else message

    # --- lifecycle -------------------------------------------------------------------------------------

    async def open(self) -> None:
        pool = None
        try:
            pool = await asyncpg.create_pool(
                self.dsn, min_size=POOL_MIN, max_size=POOL_MAX, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT
            )
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException as exc:
            if pool is not None:
                pool.terminate()
            if isinstance(exc, _CANNOT_OPEN):
                raise StoreError(f"cannot open store {self.where}: {self._clean(exc)}") from exc
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            raise StoreError(f"store {self.where} is not open")
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except _UNAVAILABLE as exc:
            raise StoreError(f"store {self.where}: {self._clean(exc)}") from exc

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[Connection]:
        """A transaction holding the write lock: multi-row writes go one at a time across every instance."""
        async with self._connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield conn

    # --- feeds -----------------------------------------------------------------------------------------

    async def feed_states(self) -> dict[str, FeedState]:
        async with self._connection() as conn:
            rows = await conn.fetch(_SELECT_FEEDS)
        return {r["url"]: FeedState(**dict(r)) for r in rows}

    async def feed_state(self, url: str) -> FeedState | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(_SELECT_FEEDS + " WHERE url = $1", _text(url))
        return FeedState(**dict(row)) if row else None

    @staticmethod
    async def _save_feed(conn: Connection, state: FeedState) -> None:
        values = [getattr(state, name) for name in _FEED_COLUMNS]
        await conn.execute(_UPSERT_FEED, *(_text(v) if isinstance(v, str) else v for v in values))

    async def save_feed_state(self, state: FeedState) -> None:
        async with self._connection() as conn:
            await self._save_feed(conn, state)

    async def add_feeds(self, states: Sequence[FeedState]) -> None:
        rows = [[_text(v) if isinstance(v, str) else v for v in (getattr(s, n) for n in _FEED_COLUMNS)] for s in states]
        async with self._connection() as conn:
            await conn.executemany(_INSERT_FEED + " ON CONFLICT (url) DO NOTHING", rows)

    async def due_feeds(self, now: datetime) -> list[str]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT url FROM feeds WHERE next_poll <= $1 AND last_status IS DISTINCT FROM 'gone'"
                " AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_poll",
                now,
            )
        return [r[0] for r in rows]

    async def claim_due_feeds(
        self, owner: str, urls: Sequence[str], now: datetime, lease: float, limit: int
    ) -> list[FeedState]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                _CLAIM_FEEDS, owner, now + timedelta(seconds=lease), [_text(u) for u in urls], now, limit
            )
        return sorted((FeedState(**dict(r)) for r in rows), key=lambda s: s.next_poll)

    # --- stories ---------------------------------------------------------------------------------------

    async def known_items(self, feed_url: str, item_ids: list[str]) -> set[str]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT item_id FROM stories WHERE feed_url = $1 AND item_id = ANY($2::text[])",
                _text(feed_url), [_text(i) for i in item_ids],
            )  # fmt: skip
        return {r[0] for r in rows}

    async def find_identity(self, identities: list[str], since: datetime) -> dict[str, str]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT ON (identity) identity, cluster FROM stories"
                " WHERE identity = ANY($1::text[]) AND fetched_at >= $2 ORDER BY identity, fetched_at, arrival",
                identities, since,
            )  # fmt: skip
        return {r[0]: r[1] for r in rows}

    async def stories_since(self, since: datetime) -> list[tuple[Story, str]]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT item_id, feed_url, source, title, summary, content, link, published, fetched_at, cluster"
                " FROM stories WHERE fetched_at >= $1 ORDER BY fetched_at, arrival",
                since,
            )
        return [(_story(r, r["content"]), r["cluster"]) for r in rows]

    async def cluster_watchlists(self, clusters: list[str]) -> dict[str, set[str]]:
        async with self._connection() as conn:
            rows = await conn.fetch("SELECT cluster, watchlists FROM stories WHERE cluster = ANY($1::text[])", clusters)
        found: dict[str, set[str]] = {}
        for cluster, names in rows:
            found.setdefault(cluster, set()).update(json.loads(names))
        return found

    async def record_poll(self, state: FeedState, seen: list[SeenStory], alerts: list[Alert]) -> int:
        stories = [
            (
                s.story.key, _text(s.story.feed_url), _text(s.story.id), s.identity, s.cluster, _text(s.story.source),
                _text(s.story.title), _text(s.story.summary), _text(s.story.link), s.story.published,
                s.story.fetched_at, json.dumps([_text(w) for w in s.watchlists]),
                _text(s.story.content[:STORED_CONTENT]),
            )
            for s in seen
        ]  # fmt: skip
        async with self._writer() as conn:
            await self._save_feed(conn, state)
            if stories:
                await conn.executemany(_INSERT_STORY, stories)
            queued = await conn.fetch(_INSERT_ALERTS, *_alert_columns(alerts)) if alerts else []
        return len(queued)

    # --- several instances: feed leases, the detection lock, catching up, destination leases --------------

    async def cluster_destinations(self, clusters: list[str]) -> dict[str, set[str]]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT cluster, destination FROM outbox WHERE cluster = ANY($1::text[])", clusters
            )
        found: dict[str, set[str]] = {}
        for cluster, destination in rows:
            found.setdefault(cluster, set()).add(destination)
        return found

    async def thread(self, cluster: str, destination: str) -> Thread | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(
                "SELECT channel, ts, alert_id, created_at FROM threads WHERE cluster = $1 AND destination = $2",
                cluster, _text(destination),
            )  # fmt: skip
        return Thread(cluster, destination, row[0], row[1], row[2], row[3]) if row else None

    async def save_thread(self, thread: Thread) -> Thread:
        t = thread
        async with self._connection() as conn:
            # one statement: a concurrent save of the same cluster's thread makes this one keep the other's
            row = await conn.fetchrow(
                "WITH added AS (INSERT INTO threads (cluster, destination, channel, ts, alert_id, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING channel, ts, alert_id, created_at)"
                " SELECT * FROM added UNION ALL SELECT channel, ts, alert_id, created_at FROM threads"
                " WHERE cluster = $1 AND destination = $2 LIMIT 1",
                t.cluster, _text(t.destination), _text(t.channel), _text(t.ts), t.alert_id, t.created_at,
            )  # fmt: skip
        if row is None:  # another instance saved it while this statement ran: its row is now committed
            return await self.thread(t.cluster, t.destination) or t
        return Thread(t.cluster, t.destination, row[0], row[1], row[2], row[3])

    async def release_feeds(self, owner: str) -> None:
        async with self._connection() as conn:
            await conn.execute("UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1", owner)

    @asynccontextmanager
    async def detection(self) -> AsyncIterator[None]:
        """A transaction holding the detection lock on a connection of its own; the store calls inside use
        others. The lock goes with the transaction, also when the process dies (the server drops its session)."""
        async with self._connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", DETECT_LOCK)
            yield

    async def stories_after(
        self, mark: int, since: datetime, exclude: Sequence[str] = ()
    ) -> tuple[list[tuple[Story, str]], int]:
        async with self._connection() as conn:  # one statement, so the mark and the rows are one snapshot
            rows = await conn.fetch(_STORIES_AFTER, mark, since, list(exclude))
        newest: int = rows[0]["newest"]
        found = [(_story(r, r["content"]), r["cluster"]) for r in rows if r["item_id"] is not None]
        return found, max(newest, mark)

    async def claim_destinations(
        self, owner: str, destinations: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                _CLAIM_DESTINATIONS, [_text(d) for d in destinations], owner, now + timedelta(seconds=lease), now
            )
        held = {r[0] for r in rows}
        return [d for d in destinations if _text(d) in held]

    async def release_destinations(self, owner: str, until: Mapping[str, datetime]) -> None:
        async with self._connection() as conn:
            await conn.executemany(
                "UPDATE destination_leases SET lease_until = $1 WHERE destination = $2 AND owner = $3",
                [(when, _text(destination), owner) for destination, when in until.items()],
            )

    # --- outbox ----------------------------------------------------------------------------------------

    async def due_alerts(
        self, now: datetime, limit: int, destinations: Sequence[str] | None = None
    ) -> list[OutboxRow]:
        chosen = None if destinations is None else [_text(d) for d in destinations]
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"{_OUTBOX_ROW} WHERE status = 'pending' AND next_attempt <= $1"
                " AND ($3::text[] IS NULL OR destination = ANY($3::text[]))"
                " AND destination NOT IN (SELECT name FROM disabled_destinations) ORDER BY seq LIMIT $2",
                now, limit, chosen,
            )  # fmt: skip
        return [_outbox_row(r) for r in rows]

    async def mark_delivered(self, alert_id: str, now: datetime) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = $1,"
                " last_error = NULL WHERE alert_id = $2",
                now, alert_id,
            )  # fmt: skip

    async def mark_retry(self, alert_id: str, next_attempt: datetime, error: str) -> None:
        """Reschedule an alert; its destination's later alerts wait behind it, so delivery stays in order."""
        async with self._writer() as conn:
            destination = await conn.fetchval(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = $2, last_error = $3"
                " WHERE alert_id = $1 RETURNING destination",
                alert_id, next_attempt, _text(error),
            )  # fmt: skip
            if destination is not None:
                await conn.execute(
                    "UPDATE outbox SET next_attempt = $1 WHERE destination = $2 AND status = 'pending'"
                    " AND next_attempt < $1",
                    next_attempt, destination,
                )  # fmt: skip

    async def mark_dead(self, alert_id: str, error: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1 WHERE alert_id = $2",
                _text(error), alert_id,
            )  # fmt: skip

    async def outbox_counts(self) -> dict[str, int]:
        async with self._connection() as conn:
            rows = await conn.fetch("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in rows}

    async def next_attempt(self, after: datetime) -> datetime | None:
        async with self._connection() as conn:
            earliest: datetime | None = await conn.fetchval(
                "SELECT MIN(next_attempt) FROM outbox WHERE status = 'pending' AND next_attempt > $1", after
            )
        return earliest

    # --- operator actions on the outbox (`wiremon alerts`) -------------------------------------------

    async def list_alerts(self, statuses: Sequence[str], limit: int) -> list[OutboxRow]:
        wanted = set(statuses)
        plain = [name for name in ("pending", "delivered", "dead", "dropped") if name in wanted]
        failed = "failed" in wanted and "pending" not in wanted  # pending after at least one failed attempt
        if not plain and not failed:
            return []
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"{_OUTBOX_ROW} WHERE status = ANY($1::text[]) OR ($2 AND status = 'pending' AND attempts > 0)"
                " ORDER BY seq DESC LIMIT $3",
                plain, failed, limit,
            )  # fmt: skip
        return [_outbox_row(r) for r in rows]

    async def requeue(self, alert_ids: Sequence[str] | None, now: datetime) -> int:
        async with self._writer() as conn:
            if alert_ids is None:
                status = await conn.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt = $1 WHERE status = 'dead'", now
                )
            else:
                status = await conn.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt = $1 WHERE alert_id = ANY($2::text[])"
                    " AND status IN ('pending', 'dead', 'dropped')",
                    now, list(alert_ids),
                )  # fmt: skip
        return _count(status)

    async def drop(self, alert_ids: Sequence[str]) -> int:
        async with self._writer() as conn:
            status = await conn.execute(
                "UPDATE outbox SET status = 'dropped' WHERE alert_id = ANY($1::text[])"
                " AND status IN ('pending', 'dead')",
                list(alert_ids),
            )
        return _count(status)

    # --- read-only views for the status server ---------------------------------------------------------

    async def recent_alerts(self, limit: int) -> list[AlertRecord]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT payload, status, attempts, last_error, delivered_at, seq FROM outbox WHERE cluster IN"
                " (SELECT cluster FROM outbox GROUP BY cluster ORDER BY MAX(seq) DESC LIMIT $1) ORDER BY seq DESC",
                limit,
            )
        return [AlertRecord(alert_from_json(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def cluster_stories(self, clusters: list[str]) -> dict[str, list[Story]]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT cluster, item_id, feed_url, source, title, summary, link, published, fetched_at"
                " FROM stories WHERE cluster = ANY($1::text[]) ORDER BY fetched_at, arrival",
                clusters,
            )
        found: dict[str, list[Story]] = {}
        for r in rows:
            found.setdefault(r["cluster"], []).append(_story(r, ""))  # the text is not shown: not read
        return found

    async def watchlist_hits(self, since: datetime) -> dict[str, int]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                "SELECT hit, COUNT(*) FROM stories, jsonb_array_elements_text(stories.watchlists) AS hit"
                " WHERE stories.fetched_at >= $1 GROUP BY hit",
                since,
            )
        return {r[0]: r[1] for r in rows}

    # --- WebSub subscriptions ----------------------------------------------------------------------------

    async def subscriptions(self) -> list[Subscription]:
        async with self._connection() as conn:
            rows = await conn.fetch(_SELECT_SUBSCRIPTIONS)
        return [Subscription(**{**dict(r), "hubs": tuple(json.loads(r["hubs"]))}) for r in rows]

    async def save_subscription(self, subscription: Subscription) -> None:
        values = [getattr(subscription, name) for name in _SUBSCRIPTION_FIELDS]
        values[_SUBSCRIPTION_FIELDS.index("hubs")] = json.dumps(list(subscription.hubs))
        async with self._connection() as conn:
            await conn.execute(_UPSERT_SUBSCRIPTION, *(_text(v) if isinstance(v, str) else v for v in values))

    async def delete_subscription(self, feed_url: str) -> None:
        async with self._connection() as conn:
            await conn.execute("DELETE FROM websub_subscriptions WHERE feed_url = $1", _text(feed_url))

    # --- delivery: disabled destinations, operator notices, held alerts ----------------------------------

    async def disable_destination(self, disabled: DisabledDestination) -> None:
        d = disabled
        async with self._connection() as conn:
            await conn.execute(
                "INSERT INTO disabled_destinations (name, reason, since, fingerprint) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (name) DO UPDATE SET reason = EXCLUDED.reason, since = EXCLUDED.since,"
                " fingerprint = EXCLUDED.fingerprint",
                _text(d.name), _text(d.reason), d.since, d.fingerprint,
            )  # fmt: skip

    async def enable_destination(self, name: str) -> bool:
        async with self._connection() as conn:
            status = await conn.execute("DELETE FROM disabled_destinations WHERE name = $1", _text(name))
        return _count(status) > 0

    async def disabled_destinations(self) -> dict[str, DisabledDestination]:
        async with self._connection() as conn:
            rows = await conn.fetch("SELECT name, reason, since, fingerprint FROM disabled_destinations")
        return {r[0]: DisabledDestination(r[0], r[1], r[2], r[3]) for r in rows}

    async def enqueue(self, alerts: Sequence[Alert]) -> int:
        if not alerts:
            return 0
        async with self._writer() as conn:
            queued = await conn.fetch(_INSERT_ALERTS, *_alert_columns(alerts))
        return len(queued)

    async def mark_delivered_together(self, alert_ids: Sequence[str], now: datetime) -> None:
        async with self._connection() as conn:  # one statement: one transaction
            await conn.execute(
                "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = $1,"
                " last_error = NULL WHERE alert_id = ANY($2::text[])",
                now, list(alert_ids),
            )  # fmt: skip

    async def postpone(self, alert_ids: Sequence[str], until: datetime) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "UPDATE outbox SET next_attempt = $2 WHERE alert_id = ANY($1::text[]) AND status = 'pending'"
                " AND next_attempt < $2",
                list(alert_ids), until,
            )  # fmt: skip
