"""text: making feed text safe and short for a human-facing sink. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

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
