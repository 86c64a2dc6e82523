"""Frozen values that flow through the pipeline: feed items, stories, watchlist hits, alerts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


def digest(*parts: str, size: int = 24) -> str:
    """A short, stable hex digest of text parts (used for identities, never for security)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:size]


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One feed item as the parser read it: strings as published, nothing cleaned yet."""

    guid: str | None
    link: str | None
    title: str | None
    summary: str | None  # may hold HTML
    content: str | None  # may hold HTML; the longest content block
    published: datetime | None  # aware UTC when the feed gave a date
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[RawEntry, ...]
    bozo: str | None = None  # the parser's complaint, if it recovered from malformed input
    ttl: float | None = None  # seconds: the feed's own <ttl> (RSS 2.0), a hint not to poll sooner
    hubs: tuple[str, ...] = ()  # WebSub hubs the document names (rel="hub"), as written
    self_url: str | None = None  # the document's rel="self" URL (the WebSub topic), as written


@dataclass(frozen=True, slots=True)
class Story:
    """A normalized news item. `key` is its global identity: the feed plus the item's stable id."""

    id: str  # guid, else link, else "sha256:<content hash>"
    feed_url: str
    source: str  # the feed's name
    title: str  # plain text
    summary: str  # plain text: HTML stripped, entities decoded
    content: str  # plain text, may be empty
    link: str
    published: datetime  # aware, UTC
    fetched_at: datetime  # aware, UTC

    @property
    def key(self) -> str:
        return digest(self.feed_url, self.id)

    def field_text(self, name: str) -> str:
        if name == "title":
            return self.title
        if name == "summary":
            return self.summary
        if name == "content":
            return self.content
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Hit:
    """One watchlist that matched a story, and the terms (as written in the story) that made it match."""

    watchlist: str
    terms: tuple[str, ...]
    destinations: tuple[str, ...] | None = None  # None: every destination


@dataclass(frozen=True, slots=True)
class Alert:
    """What goes into the outbox: one story for one destination. `id` is stable across retries and restarts."""

    id: str
    destination: str
    story: Story
    watchlists: tuple[str, ...]
    terms: tuple[str, ...]
    detected_at: datetime
    cluster: str = ""  # key of the first story of its cluster
    also_carried_by: tuple[str, ...] = field(default=())

    @staticmethod
    def make_id(cluster: str, destination: str) -> str:
        return "msg_" + digest(cluster, destination, size=32)
