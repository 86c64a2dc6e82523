"""The pure half of fetch: status table, Retry-After, Cache-Control, redirect targets, validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from multidict import CIMultiDict

from monitor.fetch import (
    MAX_RETRY_AFTER,
    Failed,
    Gone,
    NotModified,
    RateLimited,
    Validators,
    parse_max_age,
    parse_retry_after,
)
from monitor.fetch.classify import Disposition, Head, disposition, head_outcome, redirect_target

NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Disposition.BODY), (203, Disposition.BODY), (204, Disposition.BODY),
        (301, Disposition.REDIRECT), (302, Disposition.REDIRECT), (303, Disposition.REDIRECT),
        (307, Disposition.REDIRECT), (308, Disposition.REDIRECT), (300, Disposition.FAILED),
        (304, Disposition.NOT_MODIFIED), (410, Disposition.GONE), (429, Disposition.RATE_LIMITED),
        (503, Disposition.RATE_LIMITED), (404, Disposition.FAILED), (500, Disposition.FAILED),
        (999, Disposition.FAILED),
    ],
)  # fmt: skip
def test_disposition_table(status: int, expected: Disposition) -> None:
    assert disposition(status) is expected


def _head(status: int, reason: str = "", sent: Validators | None = None, **headers: str) -> Head:
    fields = CIMultiDict((name.replace("_", "-"), value) for name, value in headers.items())
    return Head(status, reason, fields, sent or Validators(), NOW)


def test_head_outcomes() -> None:
    assert head_outcome(_head(410, "Gone")) == Gone(410)
    assert head_outcome(_head(404, "Not Found")) == Failed("HTTP 404 Not Found", 404)
    assert head_outcome(_head(429, Retry_After="120")) == RateLimited(120.0, 429)
    assert head_outcome(_head(503)) == RateLimited(None, 503)


def test_not_modified_keeps_sent_validators_unless_the_server_sends_new_ones() -> None:
    sent = Validators('"v1"', "Tue, 19 Nov 2024 00:00:00 GMT")
    assert head_outcome(_head(304, sent=sent, Cache_Control="max-age=60")) == NotModified(sent, 60.0)
    assert head_outcome(_head(304, sent=sent, ETag='"v2"')) == NotModified(Validators('"v2"', None), None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7200", 7200.0),
        ("0", 0.0),
        ("99999999", MAX_RETRY_AFTER),
        (format_datetime(NOW + timedelta(hours=1), usegmt=True), 3600.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # already past: retry now
        (format_datetime(NOW + timedelta(days=30), usegmt=True), MAX_RETRY_AFTER),
        ("Tue, 19 Nov 2024 01:00:30 -0000", 30.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300.0),
        ("public, MAX-AGE=60, must-revalidate", 60.0),
        ('private, max-age="90"', 90.0),
        ("s-maxage=600", None),
        ("no-cache", None),
        ("max-age=soon", None),
        (None, None),
    ],
)
def test_parse_max_age(value: str | None, expected: float | None) -> None:
    assert parse_max_age(value) == expected


def test_redirect_target() -> None:
    assert redirect_target("https://a.test/x/feed", "../rss?x=1#frag", status=301) == "https://a.test/rss?x=1"
    assert redirect_target("https://a.test/feed", "//b.test/feed", status=302) == "https://b.test/feed"
    assert isinstance(redirect_target("https://a.test/feed", None, status=302), Failed)
    assert isinstance(redirect_target("https://a.test/feed", "ftp://a.test/feed", status=301), Failed)
    assert isinstance(redirect_target("https://a.test/feed", "file:///etc/passwd", status=301), Failed)


def test_validators_go_back_verbatim_and_none_is_never_invented() -> None:
    odd = Validators('W/"a,b; c=d"', "yesterday, roughly")
    assert odd.request_headers() == {"If-None-Match": 'W/"a,b; c=d"', "If-Modified-Since": "yesterday, roughly"}
    assert Validators().request_headers() == {}
    assert Validators(etag='"x"').request_headers() == {"If-None-Match": '"x"'}
