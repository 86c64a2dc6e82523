"""Slack with a bot token: chat.postMessage to a real server on 127.0.0.1 playing the Web API, threads kept in a
real SQLite store, the deliverer draining the real outbox; every Web API error row."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from monitor.clock import FakeClock
from monitor.copies import copy_alerts, copy_id
from monitor.deliver import Dead, Delivered, Disabled, Retry, build_sinks
from monitor.deliver.classify import RULES
from monitor.deliver.slack_api import SlackApiSink, reply_payload
from monitor.errors import ConfigError, StoreError
from monitor.model import Alert, Hit, Story
from monitor.outbox import Deliverer, build_alerts
from monitor.settings.models import DestinationConfig
from monitor.store import FeedState, SeenStory, SQLiteStore, Store, Thread
from tests.slackweb import CHANNEL_ID, Answer, SlackWeb, formatted_logs

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
TOKEN = "xoxb-1234567890-0987654321-SeCrEtToKeNvAlUe"
DEST = "desk"


def story(n: int, source: str = "Yonhap", title: str = "N. Korea's Kim calls for broader ties with Russia") -> Story:
    return Story(
        id=f"item-{n}", feed_url=f"https://{source.lower().replace(' ', '')}.test/rss", source=source, title=title,
        summary="Kim Jong-un met Russia's natural resources minister.", content="",
        link=f"https://wire.test/{n}", published=START, fetched_at=START,
    )  # fmt: skip


ORIGINAL = story(1)
CLUSTER = ORIGINAL.key
HIT = Hit("dprk-russia", ("Kim Jong-un", "Russia"))


def first_alert(s: Story = ORIGINAL, destination: str = DEST) -> Alert:
    [alert] = build_alerts(s, CLUSTER, [HIT], [destination], START)
    return alert


def copy_alert(s: Story, destination: str = DEST) -> Alert:
    [alert] = copy_alerts(s, CLUSTER, [destination], ["dprk-russia"], START, also_carried_by=("Yonhap",))
    return alert


def destination(slack: SlackWeb, name: str = DEST, **extra: Any) -> DestinationConfig:
    return DestinationConfig(name=name, type="slack", token=TOKEN, channel=CHANNEL_ID, api_url=slack.api_url, **extra)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SQLiteStore(tmp_path / "w.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    with formatted_logs() as lines:
        yield lines


def sink_for(slack: SlackWeb, session: aiohttp.ClientSession, clock: FakeClock, threads: Store | None) -> SlackApiSink:
    sink = build_sinks([destination(slack)], session, clock, io.StringIO(), threads)[DEST]
    assert isinstance(sink, SlackApiSink)
    return sink


async def queue(store: Store, *alerts: Alert) -> None:
    """Record each alert with its story, one poll per alert, as the pipeline would."""
    for alert in alerts:
        state = FeedState(url=alert.story.feed_url, name=alert.story.source, interval=60, next_poll=START)
        await store.record_poll(state, [SeenStory(alert.story, alert.story.key, CLUSTER, ())], [alert])


async def drain(store: Store, slack: SlackWeb, session: aiohttp.ClientSession, clock: FakeClock) -> Deliverer:
    """A fresh deliverer (as after a restart) sending everything due."""
    deliverer = Deliverer(store, {DEST: sink_for(slack, session, clock, store)}, clock)
    await deliverer.drain()
    return deliverer


def mrkdwn_texts(message: dict[str, Any]) -> Iterator[str]:
    """Every string Slack parses for mentions and links: the fallback and each mrkdwn text object."""
    yield message["text"]
    for block in message["blocks"]:
        if block.get("text", {}).get("type") == "mrkdwn":
            yield block["text"]["text"]
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                yield element["text"]


# --- threads ------------------------------------------------------------------------------------------------


async def test_first_alert_is_top_level_and_copies_reply_in_its_thread_across_a_restart(
    slack: SlackWeb, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    await queue(store, first_alert(), copy_alert(story(2, "Wire Service", "UPDATE 1-Kim urges wider Russia ties")))
    await drain(store, slack, session, clock)
    [top] = slack.top_level()
    assert top["channel"] == CHANNEL_ID and top["blocks"][0]["text"]["text"] == ORIGINAL.title
    [reply] = slack.replies()
    assert reply["thread_ts"] == top["ts"] and reply["channel"] == CHANNEL_ID
    assert reply["text"] == "Also carried by Wire Service: UPDATE 1-Kim urges wider Russia ties"
    assert reply["blocks"][0]["text"]["text"] == (
        "Also carried by *Wire Service*: <https://wire.test/2|UPDATE 1-Kim urges wider Russia ties>"
    )
    await store.close()  # a restart: the thread's ts comes back from the store
    reopened = SQLiteStore(tmp_path / "w.db")
    await reopened.open()
    try:
        third = story(3, "Pyongyang Watch", "Kim hails 'new strategic level' of ties")
        follow_up = build_alerts(third, CLUSTER, [Hit("treaty-watch", ("new strategic level",))], [DEST], START,
                                 follow_up=True)  # fmt: skip
        await queue(reopened, copy_alert(third), *follow_up)
        await drain(reopened, slack, session, clock)
        assert await reopened.outbox_counts() == {"delivered": 4}
    finally:
        await reopened.close()
    assert len(slack.top_level()) == 1
    later = slack.replies()[1:]
    assert [m["thread_ts"] for m in later] == [top["ts"], top["ts"]]
    assert later[1]["blocks"][1]["text"]["text"] == "Matched: *new strategic level* · Watchlists: treaty-watch"
    assert [b["type"] for b in later[0]["blocks"]] == ["section", "context"]  # a copy says who else carried it


async def test_copy_ids_are_stable_and_never_queue_twice(store: Store) -> None:
    copy = story(2, "Wire Service")
    assert copy_alert(copy).id == copy_id(CLUSTER, DEST, copy) != copy_id(CLUSTER, "other", copy)
    assert copy_alert(copy).id not in {first_alert().id, copy_id(CLUSTER, DEST, story(3))}
    await queue(store, first_alert(), copy_alert(copy))
    await queue(store, copy_alert(copy))  # the same copy seen again (a second poll, a restart)
    assert await store.outbox_counts() == {"pending": 2}


async def test_a_reply_whose_first_alert_was_dead_lettered_goes_top_level_and_threads_the_next(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store, log_lines: list[str]
) -> None:
    clock = FakeClock(START)
    slack.fail("invalid_blocks")  # the first alert is refused for good
    copies = [copy_alert(story(2, "Wire Service")), copy_alert(story(3, "Pyongyang Watch"))]
    await queue(store, first_alert(), *copies)
    await drain(store, slack, session, clock)
    assert await store.outbox_counts() == {"dead": 1, "delivered": 2}
    [top] = slack.top_level()
    assert top["blocks"][0]["text"]["text"] == "N. Korea's Kim calls for broader ties with Russia"
    assert "Watchlists: dprk-russia" in str(top["blocks"])  # a copy on its own still says why it came
    [reply] = slack.replies()
    assert reply["thread_ts"] == top["ts"] and "Pyongyang Watch" in reply["text"]
    assert any("alert.unthreaded" in line and copies[0].id in line for line in log_lines)


async def test_a_copy_waits_behind_its_first_alert_while_that_is_retried(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    clock = FakeClock(START)
    slack.fail("internal_error", status=503)
    await queue(store, first_alert(), copy_alert(story(2, "Wire Service")))
    await drain(store, slack, session, clock)
    assert slack.posted == [] and len(slack.requests) == 1  # the copy was not sent ahead of its thread
    clock.advance(10)
    await drain(store, slack, session, clock)
    [top] = slack.top_level()
    assert [m["thread_ts"] for m in slack.replies()] == [top["ts"]]


async def test_a_first_alert_posted_before_a_crash_is_not_posted_again(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    clock = FakeClock(START)
    await queue(store, first_alert())
    # the send went through and its thread was saved, then wiremon died before recording the delivery
    assert await sink_for(slack, session, clock, store).send(first_alert()) == Delivered()
    assert await store.outbox_counts() == {"pending": 1}
    await drain(store, slack, session, clock)
    assert await store.outbox_counts() == {"delivered": 1}
    assert len(slack.requests) == 1


async def test_without_a_store_every_alert_is_top_level(
    slack: SlackWeb, session: aiohttp.ClientSession
) -> None:
    sink = sink_for(slack, session, FakeClock(START), None)
    assert await sink.send(first_alert()) == Delivered()
    assert await sink.send(copy_alert(story(2, "Wire Service"))) == Delivered()
    assert len(slack.top_level()) == 2


async def test_the_request_is_chat_post_message_with_the_bearer_token(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    await sink_for(slack, session, FakeClock(START), store).send(first_alert())
    [request] = slack.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.json()["channel"] == CHANNEL_ID


async def test_after_a_move_to_another_channel_no_reply_goes_to_the_old_one(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    await store.save_thread(Thread(CLUSTER, DEST, "C0OLDCHANNEL", "1.1", first_alert().id, START))
    assert await sink_for(slack, session, FakeClock(START), store).send(copy_alert(story(2, "Wire"))) == Delivered()
    assert [m["channel"] for m in slack.top_level()] == [CHANNEL_ID] and slack.replies() == []


class UnwellThreads:
    """A ThreadStore whose database is unreachable for reading, or for writing (a fake of our own protocol)."""

    def __init__(self, *, reads: bool) -> None:
        self.reads = reads

    async def thread(self, cluster: str, destination: str) -> Thread | None:
        if not self.reads:
            raise StoreError("store w.db: disk I/O error")
        return None

    async def save_thread(self, thread: Thread) -> Thread:
        raise StoreError("store w.db: database is locked")


async def test_an_unreadable_thread_is_retried_before_anything_is_posted(
    slack: SlackWeb, session: aiohttp.ClientSession
) -> None:
    sink = sink_for(slack, session, FakeClock(START), None)
    sink.threads = UnwellThreads(reads=False)
    outcome = await sink.send(copy_alert(story(2, "Wire Service")))
    assert isinstance(outcome, Retry) and "disk I/O error" in outcome.reason
    assert slack.requests == []


async def test_a_thread_that_cannot_be_saved_still_counts_the_post_as_delivered(
    slack: SlackWeb, session: aiohttp.ClientSession, log_lines: list[str]
) -> None:
    sink = sink_for(slack, session, FakeClock(START), None)
    sink.threads = UnwellThreads(reads=True)
    assert await sink.send(first_alert()) == Delivered()  # posted: sending it again would repeat it
    assert len(slack.posted) == 1
    assert any("slack.thread_unsaved" in line and "database is locked" in line for line in log_lines)


# --- feed text stays inert ------------------------------------------------------------------------------------


async def test_mentions_and_links_in_feed_text_are_shown_literally(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    clock = FakeClock(START)
    hostile = story(2, "Evil <@U024BE7LH> Wire", "Alert <!channel> <!here> <@U123> <https://evil.test|click> *bold*")
    hostile_first = story(1, "Wire <!here>", "Port closed <!channel> <https://evil.test|x>")
    [first] = build_alerts(hostile_first, CLUSTER, [HIT], [DEST], START)
    await queue(store, first, copy_alert(hostile))
    await drain(store, slack, session, clock)
    assert len(slack.top_level()) == 1 and len(slack.replies()) == 1
    for message in slack.posted:
        for text in mrkdwn_texts(message):
            links = re.findall(r"<([^>]*)>", text)
            assert all(link.startswith("https://wire.test/") for link in links), text  # only the story link
    reply = slack.replies()[0]["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.test|click&gt;" in reply
    assert "*Evil &lt;@U024BE7LH&gt; Wire*" in reply
    assert slack.top_level()[0]["blocks"][0]["text"] == {
        "type": "plain_text", "text": "Port closed <!channel> <https://evil.test|x>", "emoji": False,
    }  # fmt: skip  # plain_text: Slack never parses it


def test_a_reply_of_huge_parts_keeps_within_slack_limits_and_its_link_whole() -> None:
    huge = Story(
        id="x", feed_url="https://x.test/rss", source="S" * 5000, title="T <b> " * 2000, summary="", content="",
        link="https://wire.test/" + "a/" * 990, published=START, fetched_at=START,
    )  # fmt: skip
    [alert] = build_alerts(huge, CLUSTER, [Hit("w" * 3000, tuple(f"term {n} " * 20 for n in range(400)))], [DEST],
                           START, follow_up=True)  # fmt: skip
    message = reply_payload(alert, Thread(CLUSTER, DEST, CHANNEL_ID, "1.1", "msg_1", START))
    assert len(message["text"]) <= 300
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 2 and all(len(text) <= 3000 for text in sections)
    link = re.search(r"<(https://[^|>]*)\|[^>]*>", sections[0])
    assert link and link.group(1) == huge.link
    assert sections[1].startswith("Matched: *term 0 ") and " more · Watchlists: www" in sections[1]


# --- every Web API answer -------------------------------------------------------------------------------------

# (table key, HTTP status, body, expected outcome); Slack's Web API answers errors with 200 and {"ok": false}
API_CASES: list[tuple[str | int, int, str, type]] = [
    ("2xx", 200, '{"ok": true, "channel": "C0TESTCHAN", "ts": "1.2"}', Delivered),
    ("slack:channel_not_found", 200, '{"ok": false, "error": "channel_not_found"}', Disabled),
    ("slack:channel_is_archived", 200, '{"ok": false, "error": "channel_is_archived"}', Disabled),
    ("slack:is_archived", 200, '{"ok": false, "error": "is_archived"}', Disabled),
    ("slack:not_in_channel", 200, '{"ok": false, "error": "not_in_channel"}', Disabled),
    ("slack:invalid_auth", 200, '{"ok": false, "error": "invalid_auth"}', Disabled),
    ("slack:not_authed", 200, '{"ok": false, "error": "not_authed"}', Disabled),
    ("slack:token_revoked", 200, '{"ok": false, "error": "token_revoked"}', Disabled),
    ("slack:token_expired", 200, '{"ok": false, "error": "token_expired"}', Disabled),
    ("slack:account_inactive", 200, '{"ok": false, "error": "account_inactive"}', Disabled),
    ("slack:missing_scope", 200, '{"ok": false, "error": "missing_scope", "needed": "chat:write"}', Disabled),
    ("slack:not_allowed_token_type", 200, '{"ok": false, "error": "not_allowed_token_type"}', Disabled),
    ("slack:restricted_action", 200, '{"ok": false, "error": "restricted_action"}', Disabled),
    ("slack:invalid_blocks", 200, '{"ok": false, "error": "invalid_blocks"}', Dead),
    ("slack:invalid_payload", 200, '{"ok": false, "error": "invalid_payload"}', Dead),
    ("slack:msg_too_long", 200, '{"ok": false, "error": "msg_too_long"}', Dead),
    ("slack:invalid_arguments", 200, '{"ok": false, "error": "invalid_arguments"}', Dead),
    ("slack:no_text", 200, '{"ok": false, "error": "no_text"}', Dead),
    ("slack:ratelimited", 429, '{"ok": false, "error": "ratelimited"}', Retry),
    ("slack:message_limit_exceeded", 200, '{"ok": false, "error": "message_limit_exceeded"}', Retry),
    ("slack:internal_error", 200, '{"ok": false, "error": "internal_error"}', Retry),
    ("slack:fatal_error", 500, '{"ok": false, "error": "fatal_error"}', Retry),
    ("slack:service_unavailable", 503, '{"ok": false, "error": "service_unavailable"}', Retry),
    ("slack:request_timeout", 200, '{"ok": false, "error": "request_timeout"}', Retry),
    ("slack-api:unknown_error", 200, '{"ok": false, "error": "some_new_error"}', Dead),
    ("slack-api:unreadable", 200, "<html>sign in to the proxy</html>", Retry),
    ("slack-api:unreadable", 200, '{"ok": false, "error": "<script>"}', Retry),  # not an error name
    ("5xx", 502, "<html>bad gateway</html>", Retry),
    ("5xx", 500, '{"ok": false, "error": "a new kind of failure"}', Retry),
    (429, 429, "", Retry),
    (404, 404, "not found", Disabled),  # a wrong api_url
]
API_KEYS = {case[0] for case in API_CASES if isinstance(case[0], str) and case[0].startswith("slack")}


def test_every_web_api_row_has_a_case() -> None:
    rows = {k for k in RULES if isinstance(k, str) and k.startswith("slack-api:")}
    assert rows <= API_KEYS
    assert set(RULES) >= API_KEYS


@pytest.mark.parametrize(
    ("key", "status", "body", "expected"), API_CASES, ids=[f"{c[1]}-{c[2][:40]}" for c in API_CASES]
)
async def test_web_api_answers_are_classified(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store, log_lines: list[str],
    key: str | int, status: int, body: str, expected: type,
) -> None:  # fmt: skip
    slack.answers.append(Answer(status, body, {"Content-Type": "application/json"}))
    outcome = await sink_for(slack, session, FakeClock(START), store).send(first_alert())
    assert type(outcome) is expected, outcome
    if not isinstance(outcome, Delivered):
        assert outcome.reason.startswith(f"HTTP {status}") and RULES[key].reason in outcome.reason
        if key == "slack-api:unknown_error":
            assert outcome.reason.endswith(": some_new_error")
        elif isinstance(key, str) and key.startswith("slack:"):
            assert key.partition(":")[2] in outcome.reason
        assert TOKEN not in outcome.reason
    # only a post Slack accepted starts a thread
    assert (await store.thread(CLUSTER, DEST) is not None) == (expected is Delivered)


async def test_ratelimited_waits_for_retry_after(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    clock = FakeClock(START)
    slack.fail("ratelimited", status=429, **{"Retry-After": "30"})
    await queue(store, first_alert())
    await drain(store, slack, session, clock)
    [row] = await store.list_alerts(["pending"], 10)
    assert row.next_attempt == START + timedelta(seconds=30) and "ratelimited" in (row.last_error or "")
    clock.advance(29)
    await drain(store, slack, session, clock)
    assert len(slack.requests) == 1
    clock.advance(1)
    await drain(store, slack, session, clock)
    assert len(slack.posted) == 1


async def test_a_revoked_token_disables_the_destination_and_keeps_its_alerts(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store
) -> None:
    clock = FakeClock(START)
    slack.fail("token_revoked")
    await queue(store, first_alert(), copy_alert(story(2, "Wire Service")))
    deliverer = await drain(store, slack, session, clock)
    assert DEST in deliverer.disabled and "revoked" in deliverer.disabled[DEST]
    assert await store.outbox_counts() == {"pending": 2} and len(slack.requests) == 1


# --- the token is a secret ------------------------------------------------------------------------------------


async def test_the_token_appears_in_no_log_line_and_no_repr(
    slack: SlackWeb, session: aiohttp.ClientSession, store: Store, log_lines: list[str]
) -> None:
    clock = FakeClock(START)
    for error in ("invalid_auth", "invalid_blocks", "internal_error"):
        slack.fail(error)
    copies = [copy_alert(story(n, f"Wire {n}")) for n in range(2, 6)]
    await queue(store, first_alert(), *copies)
    for _ in range(4):
        deliverer = await drain(store, slack, session, clock)
        await store.enable_destination(DEST)  # as `wiremon alerts --enable` does once the token is fixed
        clock.advance(3600)
    assert slack.posted and not deliverer.disabled  # it went through in the end
    with socket.socket() as s:  # nobody listening: a connection error is logged with its reason
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    gone = DestinationConfig(name=DEST, type="slack", token=TOKEN, channel=CHANNEL_ID,
                             api_url=f"http://127.0.0.1:{dead_port}/api/")  # fmt: skip
    sinks = build_sinks([gone], session, clock, io.StringIO(), store)
    await queue(store, copy_alert(story(9, "Late Wire")))
    await Deliverer(store, sinks, clock).drain()
    text = "\n".join(log_lines)
    assert "destination.disabled" in text and "alert.dead" in text and "alert.retry" in text
    assert "could not connect" in text
    assert TOKEN not in text and "SeCrEt" not in text
    assert TOKEN not in repr(gone) and TOKEN not in repr(sinks[DEST]) and TOKEN not in str(gone)


def test_a_bad_token_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValidationError) as caught:
        DestinationConfig(name="d", type="slack", token="xoxb-abc SeCrEt", channel="C1")
    assert "SeCrEt" not in str(caught.value.errors()[0]["msg"])


# --- settings -------------------------------------------------------------------------------------------------

BAD_SETTINGS = [
    ({"url": "https://hooks.slack.test/x", "token": TOKEN, "channel": "C1"}, "not both"),
    ({"token": TOKEN}, "a bot token and a channel"),
    ({"channel": "C1"}, "a bot token and a channel"),
    ({}, "a webhook url, or a bot token and a channel"),
    ({"token": TOKEN, "channel": "C1", "api_url": "ftp://slack.test/api/"}, "http(s) URL"),
    ({"token": TOKEN, "channel": "general chat"}, "channel id"),
    ({"url": "https://hooks.slack.test/x", "api_url": "https://slack.test/api/"}, "not both"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_SETTINGS)
def test_slack_settings_are_checked(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        DestinationConfig(name="d", type="slack", **fields)  # type: ignore[arg-type]


def test_only_slack_takes_a_token_or_channel() -> None:
    with pytest.raises(ValidationError, match="only slack destinations take token, channel"):
        DestinationConfig(name="d", type="webhook", url="https://x.test/", token=TOKEN, channel="C1")
    bot = DestinationConfig(name="d", type="slack", token=TOKEN, channel="C1")
    hook = DestinationConfig(name="d", type="slack", url="https://hooks.slack.test/x")
    assert bot.threaded and not hook.threaded


def test_a_hand_built_token_without_channel_is_a_config_error() -> None:
    lone = DestinationConfig.model_construct(name="d", type="slack", token=TOKEN)
    with pytest.raises(ConfigError, match="needs a channel"):
        build_sinks([lone], None, FakeClock(), io.StringIO())  # type: ignore[arg-type]
