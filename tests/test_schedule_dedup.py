from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor import schedule
from monitor.dedup import canonical_link, identity
from monitor.model import Story

NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
URL = "https://wire.test/rss"


def test_success_waits_the_interval_with_jitter() -> None:
    wait = (schedule.after_success(URL, 300, NOW) - NOW).total_seconds()
    assert 270 <= wait <= 330


def test_max_age_is_never_undercut() -> None:
    wait = (schedule.after_success(URL, 300, NOW, max_age=12 * 3600) - NOW).total_seconds()
    assert wait >= 12 * 3600 * 0.9


@pytest.mark.parametrize(("errors", "low", "high"), [(1, 270, 330), (2, 540, 660), (3, 1080, 1320), (20, 19440, 23760)])
def test_errors_back_off_exponentially_to_a_cap(errors: int, low: float, high: float) -> None:
    wait = (schedule.after_error(URL, 300, errors, NOW) - NOW).total_seconds()
    assert low <= wait <= high


def test_retry_after_is_honoured_and_clamped() -> None:
    assert schedule.after_rate_limit(URL, 300, 7200, NOW) == NOW + timedelta(seconds=7200)
    assert schedule.after_rate_limit(URL, 300, 99_999_999, NOW) == NOW + timedelta(hours=48)
    assert schedule.after_rate_limit(URL, 300, None, NOW) == NOW + timedelta(seconds=600)


def test_first_polls_spread_over_three_ticks() -> None:
    starts = {schedule.first_poll(f"https://wire.test/{n}", NOW, 5.0) for n in range(50)}
    assert len(starts) > 40
    assert all(NOW <= s <= NOW + timedelta(seconds=15) for s in starts)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.wire.test/a/b/", "http://wire.test/a/b"),
        ("https://wire.test/a?id=3&utm_source=rss", "https://wire.test/a?id=3"),
        ("https://wire.test/a#comments", "https://wire.test/a"),
    ],
)
def test_canonical_links(a: str, b: str) -> None:
    assert canonical_link(a) == canonical_link(b)


def test_different_articles_differ() -> None:
    assert canonical_link("https://wire.test/a?id=3") != canonical_link("https://wire.test/a?id=4")


def _story(link: str, title: str, summary: str = "s") -> Story:
    return Story("x", "f", "F", title, summary, "", link, NOW, NOW)


def test_identity_uses_link_else_text() -> None:
    assert identity(_story("https://wire.test/a", "One")) == identity(_story("https://wire.test/a", "Two"))
    assert identity(_story("", "Kim meets  minister")) == identity(_story("", "KIM meets minister"))
    assert identity(_story("", "Kim meets minister")) != identity(_story("", "Kim meets envoy"))
