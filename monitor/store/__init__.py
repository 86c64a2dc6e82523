"""store: feeds' schedules, stories seen, and the alert outbox — behind one interface."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from monitor.store.base import DisabledDestination, FeedState, OutboxRow, SeenStory, Store, Subscription, Thread
from monitor.store.postgres import SCHEMES, PostgresStore, describe
from monitor.store.sqlite import SQLiteStore


def open_store(location: str | Path) -> Store:
    """A store for a config's `store:` value: a postgresql:// (or postgres://) URL, else a SQLite path."""
    if isinstance(location, str) and location.startswith(SCHEMES):
        return PostgresStore(location)
    return SQLiteStore(Path(location))


def describe_location(location: str | Path) -> str:
    """The location as logs show it: a PostgreSQL URL without its password, else the path."""
    return describe(location) if isinstance(location, str) and location.startswith(SCHEMES) else str(location)


@asynccontextmanager
async def opened_store(location: str | Path) -> AsyncIterator[Store]:
    """The store, open for the length of a command (`wiremon feeds`, `wiremon alerts`)."""
    store = open_store(location)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


__all__ = [
    "DisabledDestination", "FeedState", "OutboxRow", "SQLiteStore", "SeenStory", "Store", "Subscription", "Thread",
    "describe_location", "open_store", "opened_store",
]
