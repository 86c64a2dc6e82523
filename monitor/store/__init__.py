"""store: feeds' schedules, stories seen, and the alert outbox — behind one interface."""

from pathlib import Path

from monitor.store.base import FeedState, OutboxRow, SeenStory, Store
from monitor.store.sqlite import SQLiteStore


def open_store(location: str | Path) -> Store:
    """A store for a config's `store:` value (a SQLite path today)."""
    return SQLiteStore(Path(location))


__all__ = ["FeedState", "OutboxRow", "SQLiteStore", "SeenStory", "Store", "open_store"]
