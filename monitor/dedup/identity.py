"""Exact identity: the same item seen twice in a feed, or the same article (same canonical link, or the same
title and summary) carried by several feeds. Pure.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.model import Story, digest

# Query parameters that only track where a reader came from; they never change the article.
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_", "ocid", "cmpid", "at_medium", "at_campaign")


def canonical_link(link: str) -> str:
    """The same article's URL however a feed decorated it: scheme, www., tracking params, fragment, slash."""
    parts = urlsplit(link.strip())
    if not parts.hostname:
        return ""
    host = parts.hostname.lower().removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(_TRACKING_PREFIXES)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def identity(story: Story) -> str:
    """Stories with equal identities are copies of one article."""
    link = canonical_link(story.link) if story.link else ""
    if link:
        return "link:" + digest(link)
    return "text:" + digest(_fold(story.title), _fold(story.summary))


def exact_identities(story: Story) -> tuple[int, int]:
    """A story's article link and its folded title + summary as 64-bit numbers; 0 where it has none.

    A feed that links every item to its front page gives no identity by link, and a headline without a
    summary ("Business briefs") gives none by text: such items are compared like any others.
    """
    link = canonical_link(story.link) if story.link else ""
    by_link = _number(digest(link)) if link and not link.endswith("/") else 0  # only a front page ends in "/"
    by_text = _number(digest(_fold(story.title), _fold(story.summary))) if story.summary.strip() else 0
    return by_link, by_text


def _number(hex_digest: str) -> int:
    return int(hex_digest[:16], 16) or 1
