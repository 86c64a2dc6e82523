"""normalize: a parsed feed item becomes a frozen Story — plain text, a stable id, a sane UTC date.

Pure: no I/O; `now` is passed in.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

from monitor.model import RawEntry, Story, digest

# Tags whose text is never shown to a reader.
_DROPPED = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Tags that separate words; every other tag (b, i, em, a, span, …) joins what is on either side.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p",
        "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "iframe", "video",
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")

# Field caps: a hostile feed cannot make a story of unbounded size.
MAX_TITLE = 1_000
MAX_SUMMARY = 20_000
MAX_CONTENT = 200_000
MAX_LINK = 2_000
# Published dates outside [now - PAST, now + FUTURE] are treated as absent.
PAST = timedelta(days=30)
FUTURE = timedelta(days=1)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Strip tags, comments, scripts and styles; decode entities once; fold white space."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return _SPACES.sub(" ", markup).strip()
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return _SPACES.sub(" ", "".join(parser.parts)).strip()


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def stable_id(entry: RawEntry, title: str, summary: str) -> str:
    """guid, else link, else a hash of the text (the same item always gets the same id)."""
    for candidate in (entry.guid, entry.link):
        if candidate and candidate.strip():
            return candidate.strip()[:MAX_LINK]
    return "sha256:" + digest(title, summary, size=40)


def sane_published(published: datetime | None, now: datetime) -> datetime:
    if published is None or published.tzinfo is None:
        return now
    if not (now - PAST <= published <= now + FUTURE):
        return now
    return published


def normalize_entry(entry: RawEntry, *, feed_url: str, source: str, now: datetime) -> Story:
    title = _cap(html_to_text(entry.title), MAX_TITLE)
    summary = _cap(html_to_text(entry.summary), MAX_SUMMARY)
    content = _cap(html_to_text(entry.content), MAX_CONTENT)
    if content == summary:
        content = ""
    return Story(
        id=stable_id(entry, title, summary),
        feed_url=feed_url,
        source=source,
        title=title,
        summary=summary,
        content=content,
        link=(entry.link or "").strip()[:MAX_LINK],
        published=sane_published(entry.published, now),
        fetched_at=now,
    )
