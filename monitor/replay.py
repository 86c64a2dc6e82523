"""replay: run stories from a JSON-lines file through normalize and match, one JSON result line each.

Input lines: ``{"id", "title", "summary", "content"?, "link", "source", "published"}`` (title, summary and
content may hold HTML). Output lines: ``{"id", "matches", "cluster", "duplicate_of"}`` where ``cluster``
is the id of the first story of the story's cluster — the daemon's dedup stage: the same article, or a
near-identical copy of it — and ``duplicate_of`` is that id, or null for the first story of its cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TextIO

from monitor.dedup import Clusterer, DedupConfig
from monitor.errors import WiremonError
from monitor.match import Matcher
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


def arrivals(lines: Iterable[str], now: datetime) -> Iterator[tuple[str, Story]]:
    """(input id, Story) for each input line, normalized as the daemon would when the story arrived.

    Stories arrive in file order at their publication time (kept from going backwards); one without a date
    arrives with the one before it, or at `now`.
    """
    arrival: datetime | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        story_id, source, entry = read_entry(text, number)
        if entry.published is not None:
            arrival = entry.published if arrival is None else max(arrival, entry.published)
        yield story_id, normalize_entry(entry, feed_url=source, source=source, now=arrival or now)


def replay(
    matcher: Matcher, lines: Iterable[str], out: TextIO, now: datetime, dedup: DedupConfig | None = None
) -> None:
    """Normalize, match and cluster each input story; write one JSON result line per story, in order."""
    clusterer = Clusterer(dedup or DedupConfig())
    first_id: dict[str, str] = {}  # story key → input id, for the first story of each cluster
    for story_id, story in arrivals(lines, now):
        assignment = clusterer.add(story)
        first_id.setdefault(story.key, story_id)
        cluster = first_id[assignment.cluster]
        result = {
            "id": story_id,
            "matches": sorted(hit.watchlist for hit in matcher.match(story)),
            "cluster": cluster,
            "duplicate_of": None if assignment.duplicate_of is None else cluster,
        }
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
