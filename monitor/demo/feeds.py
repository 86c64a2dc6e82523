"""feeds: what a demo feed has released so far, as RSS 2.0 or Atom bytes. Pure: times are passed in.

Built with xml.etree, so every text is escaped by the serializer. Namespace prefixes are written as plain
attributes on the root (``xmlns:content``) rather than registered globally with ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.demo.items import DemoFeed, DemoItem

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
GENERATOR = "wiremon demo"

CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}


def published_at(epoch: datetime, item: DemoItem) -> datetime:
    """An item's publication date: when the demo released it."""
    return epoch + timedelta(seconds=item.offset)


def released(items: Iterable[DemoItem], elapsed: float) -> list[DemoItem]:
    """The items whose offset has passed, newest first (as feeds list them)."""
    return sorted((i for i in items if i.offset <= elapsed), key=lambda i: i.offset, reverse=True)


def last_modified(epoch: datetime, items: Sequence[DemoItem]) -> datetime:
    """When the feed last changed: its newest item, else the start."""
    return max((published_at(epoch, i) for i in items), default=epoch)


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _serialize(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def render_rss(feed: DemoFeed, items: Sequence[DemoItem], epoch: datetime, self_url: str) -> bytes:
    namespaces = {"xmlns:atom": ATOM_NS, "xmlns:content": CONTENT_NS, "xmlns:dc": DC_NS}
    root = ET.Element("rss", {"version": "2.0", **namespaces})
    channel = ET.SubElement(root, "channel")
    _text(channel, "title", feed.title)
    _text(channel, "link", feed.link)
    ET.SubElement(channel, "atom:link", {"rel": "self", "href": self_url, "type": CONTENT_TYPES["rss"]})
    _text(channel, "description", f"{feed.name}: stories released by the wiremon demo")
    _text(channel, "language", "en")
    _text(channel, "generator", GENERATOR)
    _text(channel, "lastBuildDate", rfc822(last_modified(epoch, items)))
    for item in items:
        entry = ET.SubElement(channel, "item")
        _text(entry, "title", item.title)
        _text(entry, "link", item.link)
        _text(entry, "guid", item.guid, isPermaLink="false")
        _text(entry, "pubDate", rfc822(published_at(epoch, item)))
        _text(entry, "description", item.summary)
        if item.content:
            _text(entry, "content:encoded", item.content)
        if item.author:
            _text(entry, "dc:creator", item.author)
    return _serialize(root)


def render_atom(feed: DemoFeed, items: Sequence[DemoItem], epoch: datetime, self_url: str) -> bytes:
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    _text(root, "id", f"tag:demo.wiremon.invalid,2024:feed/{feed.slug}")
    _text(root, "title", feed.title)
    _text(root, "updated", rfc3339(last_modified(epoch, items)))
    _text(root, "generator", GENERATOR)
    ET.SubElement(root, "link", {"rel": "self", "href": self_url, "type": CONTENT_TYPES["atom"]})
    ET.SubElement(root, "link", {"rel": "alternate", "href": feed.link})
    author = ET.SubElement(root, "author")
    _text(author, "name", feed.name)
    for item in items:
        entry = ET.SubElement(root, "entry")
        when = rfc3339(published_at(epoch, item))
        _text(entry, "id", item.guid)
        _text(entry, "title", item.title)
        _text(entry, "published", when)
        _text(entry, "updated", when)
        ET.SubElement(entry, "link", {"rel": "alternate", "href": item.link})
        if item.author:
            _text(ET.SubElement(entry, "author"), "name", item.author)
        _text(entry, "summary", item.summary, type="html")
        if item.content:
            _text(entry, "content", item.content, type="html")
    return _serialize(root)


Renderer = Callable[[DemoFeed, Sequence[DemoItem], datetime, str], bytes]
RENDERERS: dict[str, Renderer] = {
    "rss": render_rss,
    "atom": render_atom,
}


def render_feed(feed: DemoFeed, items: Sequence[DemoItem], epoch: datetime, self_url: str) -> bytes:
    """The feed document holding `items` (already filtered and ordered); `epoch` is the demo's start."""
    return RENDERERS[feed.format](feed, items, epoch, self_url)
