"""text: making feed text safe and short for a human-facing sink. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

# Control characters (C0, DEL, C1) would let a feed move the cursor, recolour or clear an operator's terminal.
# The whitespace ones (tab, newline, …) are left for str.split to turn into spaces; the rest are dropped, and
# so are the bidi overrides that could make a line read differently from what it holds.
_CONTROLS = (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_DROP_CONTROLS = {c: None for c in _CONTROLS if not chr(c).isspace()}


def clean(text: str) -> str:
    """One line of printable text: whitespace runs become one space, control characters are dropped."""
    return " ".join(text.translate(_DROP_CONTROLS).split())


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return _cut_at(text, limit - 1) + "…"


def clip_escaped(escaped: str, limit: int) -> str:
    """`clip` for text escaped with &…; entities: a cut never splits one (`&am…` would render as garbage)."""
    if len(escaped) <= limit:
        return escaped
    end = limit - 1
    amp = escaped.rfind("&", max(0, end - 4), end)  # the longest entity, "&amp;", is 5 characters
    if amp != -1 and ";" not in escaped[amp:end]:
        end = amp
    return _cut_at(escaped, end) + "…"


def utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cut_at(text: str, end: int) -> str:
    """text[:end], backed off to the last space if that loses under a third (never inside an entity)."""
    cut = text[:end]
    space = cut.rfind(" ")
    if space > end * 2 // 3:
        cut = cut[:space]
    return cut.rstrip()


def clip_backslashed(escaped: str, limit: int) -> str:
    """`clip` for markdown escaped with backslashes: a cut never leaves half a `\\*` (which would escape the …)."""
    if len(escaped) <= limit:
        return escaped
    cut = _cut_at(escaped, limit - 1)
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:  # an odd run ends in a lone escape whose character was cut off
        cut = cut[:-1].rstrip()
    return cut + "…"


def backslash_each(match: re.Match[str]) -> str:
    """A markdown block marker ("##", "-#", "1.") with a backslash before each of its punctuation characters."""
    return "".join("\\" + c if not c.isalnum() else c for c in match.group(0))


def listing(items: Sequence[str], budget: int, show: Callable[[str], str], most: int = 1_000) -> str:
    """Items shown one by one, joined with ", ", as many as fit in `budget` characters (and at most `most`);
    the rest are counted: "A, B, 3 more". Items that show as nothing (blank after cleaning) are skipped."""
    shown: list[str] = []
    used = 0
    for i, item in enumerate(items):
        text = show(item)
        if not text:
            continue
        rest = len(items) - i - 1
        tail = len(f", {len(items)} more") if rest else 0  # room to say what did not fit
        if len(shown) == most or used + len(text) + 2 + tail > budget:
            return ", ".join([*shown, f"{len(items) - i} more"])
        shown.append(text)
        used += len(text) + 2
    return ", ".join(shown)


def is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def http_url(url: str, safe: str, limit: int) -> str:
    """An http(s) URL with every character outside `safe` percent-encoded; "" for another scheme (javascript:,
    data:, …), a malformed URL, or one longer than `limit` once encoded."""
    url = url.strip()
    encoded = quote(url, safe=safe)
    return encoded if is_http(url) and len(encoded) <= limit else ""
