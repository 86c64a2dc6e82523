"""Digests and notices as each destination shows them: readable, in order, and as safe as a single alert — feed
text can neither ping anyone nor smuggle in a link. Sent over real HTTP to a local receiver."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import FakeClock
from monitor.deliver import Dead, Delivered, build_sinks
from monitor.deliver.message import (
    console_text,
    digest_message,
    discord_message,
    notice_message,
    send_message,
    slack_message,
    teams_payload,
)
from monitor.deliver.notice import is_notice, make_notice
from monitor.deliver.outcome import DeliveryOutcome
from monitor.deliver.webhook import encode
from monitor.model import Alert
from monitor.server.destinations import destination_rows, destinations_section
from monitor.settings.models import DestinationConfig, Settings
from monitor.store import DisabledDestination
from tests.deliver_scene import Receiver, alert
from tests.test_deliver_format import _ANNOTATIONS, _CHECKED, keywords, schema_errors

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
HOSTILE = "Port strike <!channel> @everyone [click](https://evil.example) <at>Boss</at> *bold*\x1b[2J"


def hostile_digest() -> list[Alert]:
    first, second = alert(1, "desk", START), alert(2, "desk", START + timedelta(minutes=1))
    nasty = replace(second, story=replace(second.story, title=HOSTILE, link="javascript:alert(1)"))
    return [first, nasty]


def test_slack_digest_escapes_feed_text_and_links_only_http() -> None:
    payload = slack_message(digest_message("msg_d", "desk", hostile_digest(), START))
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("<https://wire.example/a/1|Story number 1>")
    assert "<!channel>" not in sections[1] and "&lt;!channel&gt;" in sections[1]
    assert "javascript" not in sections[1] and not sections[1].startswith("<")
    assert payload["text"] == "wiremon digest: 2 alerts"


def test_discord_digest_cannot_ping_or_link_from_feed_text() -> None:
    payload = discord_message(digest_message("msg_d", "desk", hostile_digest(), START))
    description = payload["embeds"][0]["description"]
    assert payload["allowed_mentions"] == {"parse": []}
    assert "[Story number 1](https://wire.example/a/1)" in description
    assert "@everyone" not in description and "\\[click\\]\\(https://evil.example\\)" in description
    assert "javascript" not in description


def test_teams_digest_cannot_form_a_link_or_mention_from_feed_text() -> None:
    card = teams_payload(digest_message("msg_d", "desk", hostile_digest(), START))["attachments"][0]["content"]
    texts = [b["text"] for b in card["body"]]
    assert texts[0] == "wiremon digest: 2 alerts"
    assert texts[1].startswith("[Story number 1](https://wire.example/a/1)")
    assert "](https://evil" not in texts[2] and "<at>" not in texts[2] and "javascript" not in texts[2]


def test_console_digest_drops_control_characters() -> None:
    text = console_text(digest_message("msg_d", "desk", hostile_digest(), START))
    assert "\x1b" not in text and "- Story number 1\n" in text and "https://wire.example/a/1" in text


def test_a_notice_reads_as_a_warning_not_as_a_news_alert() -> None:
    notice = make_notice("destination.disabled", ("desk",), "ops", "destination 'desk' disabled",
                         "Reason: HTTP 404 no_service\nIts alerts stay queued.", START)  # fmt: skip
    assert is_notice(notice) and not is_notice(alert(1, "ops", START))
    message = notice_message(notice)
    assert message.title == "wiremon: destination 'desk' disabled"
    assert [line.text for line in message.lines] == ["Reason: HTTP 404 no_service", "Its alerts stay queued."]
    assert message.data["kind"] == "destination.disabled" and message.data["id"] == notice.id
    slack = slack_message(message)
    assert slack["blocks"][0]["text"]["text"] == "wiremon: destination 'desk' disabled"
    assert "ALERT" not in console_text(message)
    same = make_notice("destination.disabled", ("desk",), "ops", "other words", "", START + timedelta(days=1))
    assert same.id == notice.id  # what it is about decides its id, not when or how it is worded


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = await Receiver().start()
    yield receiver
    await receiver.close()


@pytest.mark.parametrize("kind", ["slack", "discord", "teams", "webhook"])
async def test_each_sink_posts_a_digest_through_its_own_failure_table(kind: str, receiver: Receiver) -> None:
    dest = DestinationConfig(name="desk", type=kind, url=receiver.url(kind))  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as session:
        (sink,) = build_sinks([dest], session, FakeClock(START), io.StringIO()).values()
        message = digest_message("msg_d", "desk", hostile_digest(), START)
        assert await send_message(sink, message) == Delivered()
        receiver.answer(kind, 400, "invalid_payload")
        outcome = await send_message(sink, message)
    assert isinstance(outcome, Dead)
    body: dict[str, Any] = receiver.to(kind)[0].json()
    assert body  # a JSON document went out
    if kind == "webhook":
        assert body["type"] == "wiremon.digest" and len(body["alerts"]) == 2
        assert receiver.to(kind)[0].headers["webhook-id"] == "msg_d"


async def test_a_custom_sink_without_messages_dead_letters_a_digest_instead_of_guessing() -> None:
    class Pager:
        name = "pager"

        async def send(self, alert: Alert) -> DeliveryOutcome:
            return Delivered()

    outcome = await send_message(Pager(), digest_message("msg_d", "pager", [alert(1, "pager", START)], START))
    assert isinstance(outcome, Dead) and "cannot show digests" in outcome.reason


SCHEMAS = Path(__file__).resolve().parent.parent / "monitor" / "schemas"


def load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    assert keywords(loaded) <= _CHECKED | _ANNOTATIONS
    return loaded


def test_webhook_digest_and_notice_bodies_fit_their_schemas() -> None:
    digest_schema, alert_schema = load_schema("digest.schema.json"), load_schema("alert.schema.json")
    digest = json.loads(encode(digest_message("msg_0a", "desk", hostile_digest(), START).data))
    assert schema_errors(digest_schema, digest) == [] and set(digest) == set(digest_schema["properties"])
    assert all(schema_errors(alert_schema, item) == [] for item in digest["alerts"])
    notice_schema = load_schema("notice.schema.json")
    for kind in ("destination.disabled", "config.reload_failed", "feed.gone"):
        notice = make_notice(kind, ("x",), "ops", "something happened", "line one\nline two", START)
        body = json.loads(encode(notice_message(notice).data))
        assert schema_errors(notice_schema, body) == [] and set(body) == set(notice_schema["properties"])
    assert schema_errors(notice_schema, {**body, "kind": "made.up"})  # the checker can fail


def test_long_digests_stay_within_discord_and_teams_limits_and_count_the_rest() -> None:
    long_title = "Grain " * 60
    alerts = [replace(a, story=replace(a.story, title=long_title)) for a in (alert(n, "d", START) for n in range(60))]
    message = digest_message("msg_d", "d", alerts, START)
    description = discord_message(message)["embeds"][0]["description"]
    assert len(description) <= 4096 and description.endswith("more")
    shown = description.count("• ")
    assert description.endswith(f"… and {60 - shown} more") and shown > 3
    payload = teams_payload(message)
    assert len(encode(payload)) <= 27_000
    blocks = payload["attachments"][0]["content"]["body"]
    assert blocks[-1]["text"] == f"… and {60 - (len(blocks) - 2)} more"


def test_the_status_page_section_escapes_a_reason_a_receiver_wrote() -> None:
    settings = Settings(destinations=[DestinationConfig(name="desk", type="console", digest=900)], ops="desk")
    gone = DisabledDestination("desk", 'HTTP 302: redirect (to <script>alert(1)</script>")', START, "fp")
    html = destinations_section(destination_rows(settings, {"desk": gone}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "DISABLED" in html and "digest every 15 min" in html and "ops notices" in html
    assert "all sending" in destinations_section(destination_rows(settings, {}))
