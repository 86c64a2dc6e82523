"""parse_feed: golden files for each format, text/plain escaping, and what is not a feed."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import FeedError
from monitor.model import ParsedFeed
from monitor.normalize import html_to_text
from monitor.parse import parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
GOLDEN = sorted(p for p in FEEDS.iterdir() if not p.name.endswith(".expected.json"))


def _as_json(feed: ParsedFeed) -> dict[str, Any]:
    entries = []
    for entry in feed.entries:
        row = asdict(entry)
        row["published"] = entry.published.isoformat() if entry.published else None
        entries.append(row)
    return {"title": feed.title, "link": feed.link, "bozo": feed.bozo, "entries": entries}


def test_every_format_has_a_golden_file() -> None:
    assert {p.name for p in GOLDEN} == {"rss2.xml", "atom.xml", "rdf.xml", "jsonfeed.json"}


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_feed(path: Path) -> None:
    expected = json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json").read_text())
    url = expected.pop("url")
    assert _as_json(parse_feed(path.read_bytes(), url=url)) == expected


def test_dates_are_aware_utc() -> None:
    feed = parse_feed((FEEDS / "rss2.xml").read_bytes(), url="https://feeds.example/rss2.xml")
    assert feed.entries[0].published == datetime(2024, 11, 18, 12, 5, tzinfo=UTC)  # +0200 converted
    assert feed.entries[2].published is None


RSS_ITEM = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>
<item><title>{title}</title><guid>g1</guid><description>d</description></item></channel></rss>"""
ATOM_ENTRY = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><id>e1</id><title type="text">{title}</title><summary type="text">{title}</summary></entry></feed>"""


@pytest.mark.parametrize("template", [RSS_ITEM, ATOM_ENTRY], ids=["rss", "atom"])
def test_plain_text_title_is_escaped_so_it_survives_as_text(template: str) -> None:
    body = template.format(title="&lt;!channel&gt; Ports &amp; Docks").encode()
    entry = parse_feed(body, url="https://t.example/feed").entries[0]
    assert entry.title == "&lt;!channel&gt; Ports &amp; Docks"
    assert html_to_text(entry.title) == "<!channel> Ports & Docks"


def test_guid_is_not_resolved_against_the_feed_url() -> None:
    # A guid is an identity: if it became absolute, moving the feed would change every item's id.
    entry = parse_feed(RSS_ITEM.format(title="x").encode(), url="https://t.example/feed").entries[0]
    assert entry.guid == "g1"


def test_non_web_links_are_dropped() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><id>urn:uuid:1</id><title>x</title><link href="javascript:alert(1)"/></entry></feed>"""
    assert parse_feed(body, url="https://t.example/feed").entries[0].link is None


def test_recovered_malformed_feed_keeps_entries_and_records_the_complaint() -> None:
    body = b"""<rss version="2.0"><channel><title>Broken & proud</title>
    <item><title>First & only</title><guid>a</guid></item></channel>"""
    feed = parse_feed(body, url="https://t.example/feed")
    assert [e.guid for e in feed.entries] == ["a"]
    assert feed.bozo and "SAXParseException" in feed.bozo


def test_encoding_from_declaration() -> None:
    body = '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>Zürich</title>'
    body += "<item><title>Brücke</title><guid>b</guid></item></channel></rss>"
    feed = parse_feed(body.encode("iso-8859-1"), url="https://t.example/feed")
    assert (feed.title, feed.entries[0].title) == ("Zürich", "Brücke")


def test_utf16_feed() -> None:
    body = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Ω</title>'
    body += "<item><title>Δ</title><guid>d</guid></item></channel></rss>"
    assert parse_feed(body.encode("utf-16"), url="https://t.example/feed").entries[0].title == "Δ"


def test_empty_but_valid_feed_has_no_entries() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title><link>https://q.example/</link></channel></rss>'
    assert parse_feed(body, url="https://q.example/feed") == ParsedFeed("Quiet", "https://q.example/", ())


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", None, "empty body"),
        (b" \r\n\t ", None, "empty body"),
        (b"<!DOCTYPE html><html><head><title>Login</title></head><body>x</body></html>", "text/html", "HTML"),
        (b"<html><body><h1>Moved</h1></body></html>", None, "HTML"),
        (b"\x00\x01\x02garbage\xff\xfe\x00", None, "not a feed"),
        (b"just some words", "text/plain", "not a feed"),
        (b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', "application/xml", "not a feed"),
        (b'{"hello": "world"}', "application/json", "JSON Feed version"),
        (b"{not json", None, "invalid JSON"),
        (b"[" * 200_000, "application/feed+json", "invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', None, "items"),
    ],
    ids=["empty", "blank", "html5", "html", "garbage", "text", "other-xml", "json", "bad-json", "deep-json",
         "items"],
)  # fmt: skip
def test_not_a_feed(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, url="https://t.example/feed", content_type=content_type)


def test_xml_served_as_json_is_still_parsed_as_xml() -> None:
    feed = parse_feed(RSS_ITEM.format(title="x").encode(), url="https://t.example/f", content_type="application/json")
    assert feed.entries[0].guid == "g1"


def test_json_feed_version_1_with_numeric_id_and_single_author() -> None:
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1", "title": "Old", "author": {"name": "Solo"},
        "items": [{"id": 42, "url": "https://old.example/42", "title": "Answer", "content_text": "a < b",
                   "date_published": "Fri, 31 May 2019 12:17:58 -0700"}],
    }).encode()  # fmt: skip
    entry = parse_feed(body, url="https://old.example/feed.json").entries[0]
    assert (entry.guid, entry.author, entry.content) == ("42", "Solo", "a &lt; b")
    assert entry.published == datetime(2019, 5, 31, 19, 17, 58, tzinfo=UTC)
