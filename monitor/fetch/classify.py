"""The one place where an HTTP response becomes a FetchOutcome. Pure: no session, `now` passed in.

The fetcher asks `disposition(status)` what to do with a response, follows redirects itself, reads the body
only for BODY, and lets `head_outcome` / `fetched` build the outcome from the response head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum, auto
from typing import Final

from yarl import URL

from monitor.fetch.headers import parse_max_age, parse_retry_after
from monitor.fetch.outcomes import (
    Failed,
    Fetched,
    FetchOutcome,
    Gone,
    NotModified,
    RateLimited,
    Validators,
)


class Disposition(Enum):
    BODY = auto()  # read the body and hand it to the parser
    REDIRECT = auto()  # follow the Location header
    NOT_MODIFIED = auto()
    RATE_LIMITED = auto()
    GONE = auto()
    FAILED = auto()


_D = Disposition
# Exact status codes first; the table below it covers whole classes.
_BY_STATUS: Final[Mapping[int, Disposition]] = {
    301: _D.REDIRECT,  # moved permanently: follow, and tell the caller the feed's new URL
    302: _D.REDIRECT,  # found: follow this time, keep polling the old URL
    303: _D.REDIRECT,  # see other: follow with GET
    307: _D.REDIRECT,  # temporary redirect
    308: _D.REDIRECT,  # permanent redirect (like 301)
    304: _D.NOT_MODIFIED,  # the validators we sent still match
    410: _D.GONE,  # removed for good: stop polling
    429: _D.RATE_LIMITED,  # too many requests: wait for Retry-After
    503: _D.RATE_LIMITED,  # overloaded or in maintenance: wait for Retry-After
}
_BY_CLASS: Final[Mapping[int, Disposition]] = {
    2: _D.BODY,  # any success carries the feed (an empty 204 fails later, in the parser)
    3: _D.FAILED,  # 300, 305 and other redirects we cannot act on
    4: _D.FAILED,  # client errors: 401, 403, 404 …
    5: _D.FAILED,  # server errors
}
PERMANENT_REDIRECTS: Final = frozenset({301, 308})
_FOLLOWABLE_SCHEMES: Final = frozenset({"http", "https"})


def disposition(status: int) -> Disposition:
    return _BY_STATUS.get(status) or _BY_CLASS.get(status // 100, Disposition.FAILED)


@dataclass(frozen=True, slots=True)
class Head:
    """The last response of a redirect chain, before its body is read."""

    status: int
    reason: str
    headers: Mapping[str, str]
    sent: Validators
    now: datetime
    links: tuple[str, ...] = ()  # every Link header value (a Mapping keeps only one of repeated headers)

    @property
    def validators(self) -> Validators:
        """The response's validators; on a 304 that omits them, the ones we sent still hold."""
        etag = self.headers.get("ETag")
        last_modified = self.headers.get("Last-Modified")
        if self.status == 304 and etag is None and last_modified is None:
            return self.sent
        return Validators(etag=etag, last_modified=last_modified)

    @property
    def max_age(self) -> float | None:
        return parse_max_age(self.headers.get("Cache-Control"))


def _failed(head: Head) -> FetchOutcome:
    return Failed(f"HTTP {head.status} {head.reason}".strip(), head.status)


_HEAD_OUTCOMES: Final[Mapping[Disposition, Callable[[Head], FetchOutcome]]] = {
    _D.NOT_MODIFIED: lambda h: NotModified(h.validators, h.max_age),
    _D.RATE_LIMITED: lambda h: RateLimited(parse_retry_after(h.headers.get("Retry-After"), h.now), h.status),
    _D.GONE: lambda h: Gone(h.status),
    _D.FAILED: _failed,
}


def head_outcome(head: Head, *, final_url: str = "", hops: tuple[int, ...] = ()) -> FetchOutcome:
    """The outcome of a response whose body we do not need."""
    builder = _HEAD_OUTCOMES.get(disposition(head.status), _failed)
    outcome = builder(head)
    if isinstance(outcome, NotModified) and _all_permanent(hops):
        outcome = replace(outcome, permanent_redirect=final_url)
    return outcome


def _all_permanent(hops: tuple[int, ...]) -> bool:
    return bool(hops) and all(status in PERMANENT_REDIRECTS for status in hops)


def fetched(head: Head, body: bytes, *, final_url: str, hops: tuple[int, ...]) -> Fetched:
    permanent = _all_permanent(hops)
    return Fetched(
        body=body,
        validators=head.validators,
        status=head.status,
        final_url=final_url,
        content_type=head.headers.get("Content-Type"),
        max_age=head.max_age,
        permanent_redirect=final_url if permanent else None,
        body_hash=hashlib.sha256(body).hexdigest(),
        links=head.links,
    )


def redirect_target(current: str, location: str | None, *, status: int) -> str | Failed:
    """The absolute URL a redirect points to, or why we will not follow it."""
    if not location:
        return Failed(f"HTTP {status} redirect without a Location header", status)
    try:
        target = URL(current).join(URL(location.strip()))
    except ValueError as exc:
        return Failed(f"HTTP {status} redirect to an invalid URL {location!r}: {exc}", status)
    if target.scheme not in _FOLLOWABLE_SCHEMES or not target.host:
        return Failed(f"HTTP {status} redirect to an unsupported URL {location!r}", status)
    return str(target.with_fragment(None))
