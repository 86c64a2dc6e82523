"""JSON Feed 1 and 1.1 (https://www.jsonfeed.org/version/1.1/), which feedparser does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

from monitor.errors import FeedError
from monitor.model import ParsedFeed, RawEntry
from monitor.parse.fields import absolute_url, as_html, text_or_none

VERSION_PREFIX: Final = "https://jsonfeed.org/version/"


def parse_json_feed(body: bytes, *, url: str) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise FeedError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise FeedError("not a feed: JSON but not an object")
    version = document.get("version")
    if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
        raise FeedError(f"not a feed: JSON without a JSON Feed version (got {version!r})")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("not a feed: JSON Feed without an items list")
    home = absolute_url(document.get("home_page_url"), url)
    base = home or url
    feed_author = _author(document)
    return ParsedFeed(
        title=text_or_none(document.get("title")),
        link=home,
        entries=tuple(_entry(item, base, feed_author) for item in items if isinstance(item, dict)),
        hubs=_hubs(document.get("hubs")),
        self_url=text_or_none(document.get("feed_url")),
    )


def _hubs(value: object) -> tuple[str, ...]:
    """`hubs`: objects with a `type` and a `url`; only WebSub (or its predecessor PubSubHubbub) is used."""
    if not isinstance(value, list):
        return ()
    found = []
    for hub in value:
        kind = hub.get("type") if isinstance(hub, dict) else None
        url = text_or_none(hub.get("url")) if isinstance(hub, dict) else None
        if url and isinstance(kind, str) and kind.lower().replace(" ", "") in {"websub", "pubsubhubbub"}:
            found.append(url.strip())
    return tuple(found)


def _entry(item: dict[str, Any], base: str, feed_author: str | None) -> RawEntry:
    item_id = item.get("id")
    if isinstance(item_id, int | float) and not isinstance(item_id, bool):
        item_id = str(item_id)  # version 1 allowed numeric ids
    html_content = text_or_none(item.get("content_html"))
    return RawEntry(
        guid=text_or_none(item_id),
        link=absolute_url(item.get("url"), base) or absolute_url(item.get("external_url"), base),
        title=as_html(item.get("title"), "text/plain"),
        summary=as_html(item.get("summary"), "text/plain"),
        content=html_content or as_html(item.get("content_text"), "text/plain"),
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        author=as_html(_author(item) or feed_author, "text/plain"),
    )


def _author(obj: dict[str, Any]) -> str | None:
    """The first author's name: `authors` (1.1) or `author` (1)."""
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    for author in candidates:
        if isinstance(author, dict) and (name := text_or_none(author.get("name"))):
            return name
    return None


def _date(value: object) -> datetime | None:
    """RFC 3339 (or RFC 822) to aware UTC; a date without an offset is taken as UTC; None when unreadable."""
    text = text_or_none(value)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        try:  # some publishers put RSS-style dates in JSON Feeds
            when = parsedate_to_datetime(text.strip())
        except (TypeError, ValueError, IndexError):
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
