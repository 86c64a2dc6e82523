"""RSS 0.9x/1.0/2.0 and Atom, through feedparser, on bytes only (it never fetches anything here)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any, Final

import feedparser
from feedparser.encodings import convert_to_utf8

from monitor.errors import FeedError
from monitor.model import ParsedFeed, RawEntry
from monitor.normalize import html_to_text
from monitor.parse.fields import absolute_url, as_html, text_or_none, utc_from_struct
from monitor.parse.guard import check_entities

_HTML_PAGE: Final = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
# A server labelling a feed text/html is not a problem with the document; it is no bozo reason.
_IGNORED_COMPLAINTS: Final = frozenset({"NonXMLContentType"})


def parse_xml_feed(body: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    """Parse an XML feed; FeedError when it is not a feed or is dangerous to expand."""
    data, encoding_complaint = _to_utf8(body, content_type)
    check_entities(data)  # on the very bytes feedparser's parsers will read
    # No content-location: feedparser would resolve RSS guids against it, and a feed that moves
    # would change every item's identity. Links are resolved below instead.
    headers = {"content-type": "application/xml; charset=utf-8"}
    result = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        sanitize_html=False,  # normalize reduces every field to plain text anyway
        resolve_relative_uris=False,  # ditto for links inside HTML; entry links are still resolved
    )
    entries = tuple(_entry(item, url) for item in result.entries)
    feed = result.feed
    title = text_or_none(feed.get("title"))
    complaint = _complaint(result) or encoding_complaint
    if not entries and (not result.get("version") or (complaint and not title)):
        raise FeedError(_not_a_feed(body, complaint))
    return ParsedFeed(
        title=_plain(title, feed.get("title_detail")),
        link=absolute_url(feed.get("link"), url),
        entries=entries,
        bozo=complaint,
        ttl=_ttl(feed.get("ttl")),
        hubs=tuple(_links(feed, "hub")),
        self_url=next(iter(_links(feed, "self")), None),
    )


def _links(feed: Any, rel: str) -> list[str]:
    """The feed-level links with this rel: Atom <link>, and <atom:link> inside RSS."""
    links = feed.get("links")
    if not isinstance(links, list):
        return []
    found = (link.get("href") for link in links if isinstance(link, dict) and link.get("rel") == rel)
    return [href.strip() for href in found if isinstance(href, str) and href.strip()]


MAX_TTL = 7 * 24 * 3600.0  # a <ttl> beyond a week is a typo, not a wish


def _ttl(value: object) -> float | None:
    """RSS 2.0 <ttl>: minutes a feed may be cached. Anything unreadable is ignored."""
    try:
        minutes = float(str(value).strip())
    except ValueError:
        return None
    return min(minutes * 60.0, MAX_TTL) if minutes > 0 else None


def _to_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """feedparser's own encoding detection, run once here so the entity guard sees the parsed bytes."""
    probe: dict[str, Any] = {}
    data: bytes = convert_to_utf8({"content-type": content_type} if content_type else {}, body, probe)
    return data, _describe(probe.get("bozo_exception"))


def _complaint(result: Any) -> str | None:
    return _describe(result.get("bozo_exception")) if result.get("bozo") else None


def _describe(exc: object) -> str | None:
    if not isinstance(exc, Exception) or type(exc).__name__ in _IGNORED_COMPLAINTS:
        return None
    return f"{type(exc).__name__}: {exc}"


def _not_a_feed(body: bytes, complaint: str | None) -> str:
    if _HTML_PAGE.search(body, 0, 4096):
        return "not a feed: an HTML page"
    return f"not a feed: {complaint}" if complaint else "not a feed: no RSS, RDF or Atom document"


def _plain(title: str | None, detail: Any) -> str | None:
    """The feed's title as plain text (it names the source in alerts)."""
    if title is None or _media_type(detail) in {"text/plain", None}:
        return title
    return html_to_text(title) or None


def _media_type(detail: Any) -> str | None:
    value = detail.get("type") if isinstance(detail, dict) else None
    return value if isinstance(value, str) else None


def _entry(item: Any, base: str) -> RawEntry:
    return RawEntry(
        guid=text_or_none(item.get("id")),
        link=absolute_url(item.get("link"), base),
        title=as_html(item.get("title"), _media_type(item.get("title_detail"))),
        summary=as_html(item.get("summary"), _media_type(item.get("summary_detail"))),
        content=_longest_content(item.get("content")),
        published=_published(item),
        author=as_html(item.get("author"), "text/plain"),
    )


def _published(item: Any) -> datetime | None:
    # dict.get, not item.get: FeedParserDict maps a missing updated_parsed to published_parsed, with a warning.
    for key in ("published_parsed", "updated_parsed"):
        if (when := utc_from_struct(dict.get(item, key))) is not None:
            return when
    return None


def _longest_content(blocks: object) -> str | None:
    if not isinstance(blocks, list):
        return None
    candidates = [
        as_html(block.get("value"), _media_type(block)) for block in blocks if isinstance(block, dict)
    ]
    return max((text for text in candidates if text), key=len, default=None)
