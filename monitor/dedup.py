"""dedup: which stories are the same story. Pure.

Today: exact identity — the same item seen twice in a feed, or the same article (same canonical link, or
the same title and summary) carried by several feeds. Near-duplicate copies build on this.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor.model import Story, digest

# Query parameters that only track where a reader came from; they never change the article.
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_", "ocid", "cmpid")


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
