"""parse: feed bytes become a ParsedFeed. Pure and synchronous; the daemon runs it in a worker pool.

It never sees a URL to fetch: `url` only resolves relative links.
"""

from __future__ import annotations

import re
from typing import Final

from monitor.errors import FeedError
from monitor.model import ParsedFeed
from monitor.parse.jsonfeed import parse_json_feed
from monitor.parse.xmlfeed import parse_xml_feed

__all__ = ["parse_feed"]

_LEADING: Final = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(\S)")


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """RSS, RDF, Atom or JSON Feed bytes → ParsedFeed; FeedError when not a feed or dangerous XML."""
    first = _LEADING.match(body)
    if first is None:
        raise FeedError("not a feed: empty body")
    if first.group(1) == b"{" or (_is_json(content_type) and first.group(1) != b"<"):
        return parse_json_feed(body, url=url)
    return parse_xml_feed(body, url=url, content_type=content_type)


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
