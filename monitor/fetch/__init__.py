"""fetch: a feed URL becomes bytes plus a typed outcome. The parser never sees a URL."""

from monitor.fetch.fetcher import Fetcher
from monitor.fetch.headers import MAX_RETRY_AFTER, parse_max_age, parse_retry_after
from monitor.fetch.outcomes import Failed, Fetched, FetchOutcome, Gone, NotModified, RateLimited, Validators
from monitor.fetch.session import ACCEPT, SESSION_TIMEOUT, make_session

__all__ = [
    "ACCEPT",
    "MAX_RETRY_AFTER",
    "SESSION_TIMEOUT",
    "Failed",
    "FetchOutcome",
    "Fetched",
    "Fetcher",
    "Gone",
    "NotModified",
    "RateLimited",
    "Validators",
    "make_session",
    "parse_max_age",
    "parse_retry_after",
]
