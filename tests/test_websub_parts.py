"""The pure parts of the WebSub subscriber: discovery, signatures, and when to (re)subscribe."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.parse import parse_feed
from monitor.store import Subscription
from monitor.websub import check_signature, discover, parse_link_header, sign
from monitor.websub.lease import SWITCH_HUB_AFTER, Step, is_active, next_hub, plan, poll_interval, renew_at, retry_delay
from tests.hub import atom

T0 = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
FEED = "https://pub.test/feed"


# --- discovery --------------------------------------------------------------------------------------------


def test_link_header_values_are_split_and_read() -> None:
    header = (
        '<https://hub.test/a>; rel="hub", <https://pub.test/self>; rel=self; type="a, b",'
        ' <https://x.test>; rel="HUB other"'
    )
    assert parse_link_header([header, "<https://hub.test/b>; title=\"x\"; rel=hub"]) == [
        ("https://hub.test/a", frozenset({"hub"})),
        ("https://pub.test/self", frozenset({"self"})),
        ("https://x.test", frozenset({"hub", "other"})),
        ("https://hub.test/b", frozenset({"hub"})),
    ]
    assert parse_link_header(["garbage", ""]) == []


def test_the_header_comes_before_the_document() -> None:
    header = '<https://hub.test/h>; rel="hub", </topic>; rel="self"'
    found = discover([header], ["https://doc-hub.test/"], "https://pub.test/doc-self", base=FEED)
    assert found.hubs == ("https://hub.test/h",) and found.topic == "https://pub.test/topic"
    found = discover([], ["https://doc-hub.test/", "ftp://no.test/", "https://doc-hub.test/"], "/self", base=FEED)
    assert found.hubs == ("https://doc-hub.test/",) and found.topic == "https://pub.test/self"


def test_no_hub_nothing_to_push_and_no_self_falls_back_to_the_feed_url() -> None:
    assert not discover(['<https://pub.test/self>; rel="self"'], [], "https://pub.test/self", base=FEED).pushable
    found = discover([], ["https://hub.test/"], None, base=FEED)
    assert found.pushable and found.topic == FEED


def test_parsed_feeds_expose_hub_and_self() -> None:
    parsed = parse_feed(atom("a", [], hub="https://hub.test/", self_url="/a.atom"), url=FEED)
    assert parsed.hubs == ("https://hub.test/",) and parsed.self_url == "/a.atom"
    rss = (
        b"<?xml version='1.0'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel><title>t</title>"
        b"<atom:link rel='hub' href='https://hub.test/'/><atom:link rel='self' href='https://pub.test/rss'/>"
        b"<item><guid>1</guid><title>x</title></item></channel></rss>"
    )
    parsed = parse_feed(rss, url=FEED)
    assert parsed.hubs == ("https://hub.test/",) and parsed.self_url == "https://pub.test/rss"
    document = {
        "version": "https://jsonfeed.org/version/1.1", "title": "j", "feed_url": "https://pub.test/feed.json",
        "hubs": [{"type": "WebSub", "url": "https://hub.test/"}, {"type": "rssCloud", "url": "https://cloud.test/"}],
        "items": [],
    }  # fmt: skip
    parsed = parse_feed(json.dumps(document).encode(), url=FEED)
    assert parsed.hubs == ("https://hub.test/",) and parsed.self_url == "https://pub.test/feed.json"


# --- signatures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_every_method_of_the_recommendation_verifies(method: str) -> None:
    body = b"<feed>...</feed>"
    expected = hmac.new(b"s3cret", body, getattr(hashlib, method)).hexdigest()
    assert sign("s3cret", body, method) == f"{method}={expected}"
    assert check_signature(f"{method}={expected}", "s3cret", body) is None
    assert check_signature(f"{method.upper()}={expected.upper()}", "s3cret", body) is None
    assert "does not match" in (check_signature(f"{method}={expected}", "s3cret", body + b" ") or "")


@pytest.mark.parametrize("header", [None, "", "sha256", "md5=abc", "sha256=zz", "sha256=ü"])
def test_missing_or_malformed_signatures_are_refused(header: str | None) -> None:
    assert check_signature(header, "s3cret", b"body") is not None


# --- when to act ------------------------------------------------------------------------------------------


def sub(state: str, *, next_in: float = 3600, expires_in: float | None = None, feed: str = FEED) -> Subscription:
    return Subscription(
        feed_url=feed, topic=feed, hub="https://hub.test/", callback_id="cb", secret="s", state=state,
        next_attempt=T0 + timedelta(seconds=next_in),
        expires_at=None if expires_in is None else T0 + timedelta(seconds=expires_in),
    )  # fmt: skip


def steps(subscription: Subscription, wanted: bool = True) -> list[Step]:
    return [a.step for a in plan([subscription], {FEED} if wanted else set(), T0)]


def test_plan_subscribes_renews_lapses_and_leaves() -> None:
    assert steps(sub("pending", next_in=0)) == [Step.SUBSCRIBE]
    assert steps(sub("active", next_in=10, expires_in=100)) == []
    assert steps(sub("active", next_in=-1, expires_in=100)) == [Step.SUBSCRIBE]  # renewal time
    assert steps(sub("active", next_in=-1, expires_in=0)) == [Step.LAPSE, Step.SUBSCRIBE]
    assert steps(sub("denied", next_in=10)) == []
    assert steps(sub("active", expires_in=100), wanted=False) == [Step.UNSUBSCRIBE]
    assert steps(sub("failed"), wanted=False) == [Step.FORGET]  # the hub holds nothing for us
    assert steps(sub("unsubscribing", next_in=10), wanted=False) == []  # waiting for the hub's verification
    assert steps(sub("unsubscribing", next_in=0), wanted=False) == [Step.FORGET]
    assert steps(sub("unsubscribing", next_in=10)) == [Step.SUBSCRIBE]  # back in the config


def test_lease_arithmetic() -> None:
    assert renew_at(T0, 1000) == T0 + timedelta(seconds=850)
    assert renew_at(T0, 10) == T0 + timedelta(seconds=30)  # a tiny lease is not renewed in a tight loop
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240] and retry_delay(50) == 6 * 3600
    assert is_active(sub("active", expires_in=1), T0) and not is_active(sub("active", expires_in=0), T0)
    assert not is_active(sub("pending", expires_in=100), T0)
    assert poll_interval(60, 3600, pushed=True) == 3600 and poll_interval(60, 3600, pushed=False) == 60
    assert poll_interval(7200, 3600, pushed=True) == 7200  # never more often than the feed's own interval


def test_another_hub_is_tried_after_repeated_failures() -> None:
    hubs = ("https://hub.test/", "https://hub2.test/")
    failing = replace(sub("failed"), hubs=hubs, attempts=SWITCH_HUB_AFTER)
    assert next_hub(failing) == "https://hub2.test/"
    assert next_hub(replace(failing, hub="https://hub2.test/")) == "https://hub.test/"  # round and round
    assert next_hub(replace(failing, attempts=SWITCH_HUB_AFTER - 1)) is None
    assert next_hub(replace(failing, hubs=hubs[:1])) is None  # nowhere else to go
    assert next_hub(replace(failing, state="active")) is None  # a renewal keeps its hub while the lease holds


# --- settings ---------------------------------------------------------------------------------------------


def test_websub_settings_are_validated() -> None:
    from pydantic import ValidationError

    from monitor.settings import FeedConfig, ServerConfig

    assert ServerConfig(public_url="https://wiremon.example.org/base/").public_url == "https://wiremon.example.org/base"
    for bad in ("wiremon.example.org", "ftp://x.test", "https://x.test/?a=1", "https://x.test/#top"):
        with pytest.raises(ValidationError, match=r"public_url|http"):
            ServerConfig(public_url=bad)
    feed = FeedConfig(url=FEED, websub_heartbeat="2h")  # type: ignore[arg-type]
    assert feed.websub and feed.websub_heartbeat == 7200
    with pytest.raises(ValidationError):
        FeedConfig(url=FEED, websub_heartbeat="soon")  # type: ignore[arg-type]
