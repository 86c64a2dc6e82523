"""Small, shared coercions from a parser's loose values to RawEntry's typed fields."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urljoin, urlsplit

# Media types whose value is plain text: escaped, so every RawEntry text field holds HTML and
# normalize can always run html_to_text on it (a title reading "<!channel>" stays text).
PLAIN_TEXT: Final = "text/plain"
WEB_SCHEMES: Final = frozenset({"http", "https"})


def text_or_none(value: object) -> str | None:
    """A non-blank string, else None."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def as_html(value: object, media_type: str | None) -> str | None:
    """The value as HTML: plain text is escaped, HTML is kept as published."""
    text = text_or_none(value)
    if text is None:
        return None
    if (media_type or "").lower() == PLAIN_TEXT:
        return html.escape(text, quote=False)
    return text


def utc_from_struct(parsed: object) -> datetime | None:
    """An aware UTC datetime from a UTC time tuple (feedparser's *_parsed); None when unusable."""
    if not isinstance(parsed, tuple) or len(parsed) < 6:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def absolute_url(value: object, base: str) -> str | None:
    """A web link resolved against the feed's URL; None for ids posing as links (urn:, tag:) and junk."""
    text = text_or_none(value)
    if text is None:
        return None
    try:
        url = urljoin(base, text.strip())
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if urlsplit(url).scheme.lower() in WEB_SCHEMES else None
