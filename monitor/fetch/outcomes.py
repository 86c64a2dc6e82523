"""The typed results of one fetch. The rest of wiremon switches on these; nothing else leaves the fetcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators, kept exactly as the server sent them and sent back verbatim."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for the next request; never a date we made up."""
        headers: dict[str, str] = {}
        if self.etag is not None:
            headers["If-None-Match"] = self.etag
        if self.last_modified is not None:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 2xx with its whole (decompressed, size-capped) body."""

    body: bytes
    validators: Validators
    status: int
    final_url: str
    content_type: str | None
    max_age: float | None  # Cache-Control max-age, seconds
    permanent_redirect: str | None  # where the feed now lives, when every hop was 301/308
    body_hash: str  # sha256 hex of body: lets the caller skip parsing an unchanged feed
    links: tuple[str, ...] = ()  # the response's Link header values, as sent (WebSub discovery reads them)


@dataclass(frozen=True, slots=True)
class NotModified:
    """304: our validators still match."""

    validators: Validators
    max_age: float | None
    permanent_redirect: str | None = None  # as for Fetched: the 304 came from where the feed now lives


@dataclass(frozen=True, slots=True)
class RateLimited:
    """429 or 503: come back later; retry_after in seconds (clamped), None when the server gave none."""

    retry_after: float | None
    status: int


@dataclass(frozen=True, slots=True)
class Gone:
    """410: the publisher removed the feed for good."""

    status: int


@dataclass(frozen=True, slots=True)
class Failed:
    """Everything else: network trouble, timeouts, oversized bodies, redirect trouble, other 4xx/5xx."""

    reason: str
    status: int | None  # None when no HTTP response was received


FetchOutcome: TypeAlias = Fetched | NotModified | RateLimited | Gone | Failed
