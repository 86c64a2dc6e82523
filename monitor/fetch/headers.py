"""Pure readers for the response headers that steer polling: Retry-After and Cache-Control."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = 48 * 3600.0  # a server cannot park a feed for longer than two days
_MAX_AGE = re.compile(r'^\s*max-age\s*=\s*"?(\d+)"?\s*$', re.IGNORECASE)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as delay-seconds or an HTTP date, in seconds from `now`, clamped to [0, 48 h].

    None when absent or unreadable (the caller then uses its own back-off).
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def parse_max_age(cache_control: str | None) -> float | None:
    """The max-age directive of a Cache-Control header, in seconds; None when absent or malformed."""
    if not cache_control:
        return None
    for directive in cache_control.split(","):
        match = _MAX_AGE.match(directive)
        if match:
            return float(match.group(1))
    return None
