"""replay: run stories from a JSON-lines file through normalize and match, one JSON result line each.

Input lines: ``{"id", "title", "summary", "content"?, "link", "source", "published"}`` (title, summary and
content may hold HTML). Output lines: ``{"id", "matches", "cluster", "duplicate_of"}`` where ``cluster``
is the id of the first story with the same exact identity (same non-empty link, or same normalized
title + summary) and ``duplicate_of`` is that id, or null for the first story of its cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TextIO

from monitor.errors import WiremonError
from monitor.match import Matcher
from monitor.match.text import normalize
from monitor.model import RawEntry, Story
from monitor.normalize import normalize_entry

_TEXT_KEYS = ("title", "summary", "content", "link", "source", "published")


class ReplayInputError(WiremonError):
    """A replay input line is not a story; says which line and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"input line {line}: {message}")
        self.line = line


def parse_date(text: str | None) -> datetime | None:
    """RFC 822 (feeds) or ISO 8601 dates, as aware UTC; None when absent or unreadable."""
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value.astimezone(UTC) if value.tzinfo else None


def read_entry(text: str, line: int) -> tuple[str, str, RawEntry]:
    """(input id, source, RawEntry) from one input line; ReplayInputError when it is not a story."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReplayInputError(line, f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ReplayInputError(line, "expected a JSON object")
    story_id = data.get("id")
    if not isinstance(story_id, str) or not story_id:
        raise ReplayInputError(line, "'id' must be a non-empty string")
    for key in _TEXT_KEYS:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ReplayInputError(line, f"'{key}' must be a string")
    entry = RawEntry(
        guid=story_id,
        link=data.get("link"),
        title=data.get("title"),
        summary=data.get("summary"),
        content=data.get("content"),
        published=parse_date(data.get("published")),
    )
    return story_id, data.get("source") or "", entry


@dataclass
class ExactIdentity:
    """Clusters stories by exact identity: the same non-empty link, or the same folded title + summary."""

    first: dict[str, str] = field(default_factory=dict)  # identity key -> cluster id
    rank: dict[str, int] = field(default_factory=dict)  # cluster id -> order of first appearance

    def cluster(self, story_id: str, story: Story) -> str:
        keys = []
        if story.link:
            keys.append("link:" + story.link)
        text = normalize(story.title) + "\x1f" + normalize(story.summary)
        if text != "\x1f":
            keys.append("text:" + text)
        known = {self.first[k] for k in keys if k in self.first}
        # When a link and a text lead to two earlier clusters, the older cluster wins.
        cluster = min(known, key=self.rank.__getitem__) if known else story_id
        self.rank.setdefault(cluster, len(self.rank))
        for key in keys:
            self.first.setdefault(key, cluster)
        return cluster


def replay(matcher: Matcher, lines: Iterable[str], out: TextIO, now: datetime) -> None:
    """Normalize, match and cluster each input story; write one JSON result line per story, in order."""
    identity = ExactIdentity()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        story_id, source, entry = read_entry(text, number)
        story = normalize_entry(entry, feed_url=source, source=source, now=now)
        cluster = identity.cluster(story_id, story)
        result = {
            "id": story_id,
            "matches": sorted(hit.watchlist for hit in matcher.match(story)),
            "cluster": cluster,
            "duplicate_of": None if cluster == story_id else cluster,
        }
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
