"""Sinks against real HTTP servers on 127.0.0.1 playing Slack and a webhook receiver; every table row."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import io
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import FakeClock
from monitor.deliver import Dead, Delivered, Disabled, Retry, Sink, build_sinks, limiter_of
from monitor.deliver.classify import RULES, UNEXPECTED, classify_exception, classify_response, retry_after
from monitor.deliver.console import ConsoleSink
from monitor.deliver.discord import DiscordSink
from monitor.deliver.signing import SignatureError, verify
from monitor.deliver.slack import SlackSink
from monitor.deliver.teams import TeamsSink
from monitor.deliver.webhook import WebhookSink
from monitor.errors import ConfigError
from monitor.model import Alert, Story
from monitor.settings.models import DestinationConfig

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)


def make_alert(destination: str = "ops") -> Alert:
    story = Story(
        id="urn:wire:2024:1187",
        feed_url="https://wire.example/feed.xml",
        source="Example Wire",
        title="Port strike halts grain exports <!channel>",
        summary="Dockworkers walked out on Tuesday.",
        content="",
        link="https://wire.example/a/1187",
        published=datetime(2024, 11, 19, 0, 45, tzinfo=UTC),
        fetched_at=datetime(2024, 11, 19, 0, 59, tzinfo=UTC),
    )
    return Alert(
        id=Alert.make_id(story.key, destination),
        destination=destination,
        story=story,
        watchlists=("grain",),
        terms=("port strike",),
        detected_at=START,
        cluster=story.key,
    )


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Plays Slack or a webhook endpoint: records each request and answers with `reply`."""

    url: str = ""
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    requests: list[Seen] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def reply(self, status: int, body: str = "", **headers: str) -> None:
        self.status, self.body, self.headers = (
            status,
            body,
            {k.replace("_", "-"): v for k, v in headers.items()},
        )

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Seen(request.path, dict(request.headers), await request.read()))
        self.arrived.set()
        if self.hang:
            await self.release.wait()
        return web.Response(status=self.status, text=self.body or None, headers=self.headers)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    receiver.url = str(server.make_url("/hook"))
    yield receiver
    receiver.release.set()
    await server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def sinks_for(
    url: str, session: aiohttp.ClientSession, clock: FakeClock, timeout: float = 5.0
) -> dict[str, Sink]:
    destinations = [
        DestinationConfig(name="slack", type="slack", url=url, timeout=timeout),
        DestinationConfig(name="hook", type="webhook", url=url, secret=SECRET, timeout=timeout),
        DestinationConfig(name="plain", type="webhook", url=url, timeout=timeout),
        DestinationConfig(name="discord", type="discord", url=url, timeout=timeout),
        DestinationConfig(name="teams", type="teams", url=url, timeout=timeout),
    ]
    return build_sinks(destinations, session, clock, io.StringIO())


# --- the classification table, row by row, over real HTTP ---------------------------------------------------

TEAMS_WRAPPED = (
    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error {} with "
    "ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0.."
)
# (table key, sink, status, body, expected outcome)
HTTP_CASES: list[tuple[Any, str, int, str, type]] = [
    ("slack:invalid_payload", "slack", 400, "invalid_payload", Dead),
    ("slack:no_text", "slack", 400, "no_text", Dead),
    (
        "slack:missing_text_or_fallback_or_attachments",
        "slack",
        400,
        "missing_text_or_fallback_or_attachments",
        Dead,
    ),
    ("slack:invalid_blocks", "slack", 400, "invalid_blocks", Dead),
    ("slack:invalid_blocks_format", "slack", 400, "invalid_blocks_format", Dead),
    ("slack:too_many_attachments", "slack", 400, "too_many_attachments", Dead),
    ("slack:user_not_found", "slack", 400, "user_not_found", Dead),
    ("slack:no_service", "slack", 404, "no_service", Disabled),
    ("slack:no_service_id", "slack", 400, "no_service_id", Disabled),
    ("slack:no_team", "slack", 404, "no_team", Disabled),
    ("slack:team_disabled", "slack", 404, "team_disabled", Disabled),
    ("slack:invalid_token", "slack", 403, "invalid_token", Disabled),
    ("slack:channel_not_found", "slack", 404, "channel_not_found", Disabled),
    ("slack:channel_is_archived", "slack", 410, "channel_is_archived", Disabled),
    ("slack:action_prohibited", "slack", 403, "action_prohibited", Disabled),
    ("slack:posting_to_general_channel_denied", "slack", 403, "posting_to_general_channel_denied", Disabled),
    ("slack:rollup_error", "slack", 500, "rollup_error", Retry),
    (400, "hook", 400, "", Dead),
    (413, "hook", 413, "", Dead),
    (422, "hook", 422, "", Dead),
    (401, "hook", 401, "", Retry),
    (403, "hook", 403, "", Retry),
    (404, "hook", 404, "", Disabled),
    (405, "hook", 405, "", Disabled),
    (410, "hook", 410, "", Disabled),
    (408, "hook", 408, "", Retry),
    (425, "hook", 425, "", Retry),
    (429, "hook", 429, "", Retry),
    (503, "hook", 503, "", Retry),
    ("2xx", "slack", 200, "ok", Delivered),
    ("2xx", "hook", 200, "", Delivered),
    ("2xx", "hook", 202, "queued", Delivered),
    ("2xx", "plain", 204, "", Delivered),
    ("3xx", "hook", 301, "", Disabled),
    ("3xx", "hook", 302, "", Disabled),
    ("3xx", "slack", 307, "", Disabled),
    ("3xx", "hook", 308, "", Disabled),
    ("4xx", "hook", 409, "", Dead),
    ("4xx", "hook", 418, "", Dead),
    ("5xx", "hook", 500, "", Retry),
    ("5xx", "hook", 502, "internal", Retry),
    ("5xx", "hook", 504, "", Retry),
    # a Slack error string Slack never documented falls back to its status; so does a webhook body that
    # happens to look like a Slack error (only the Slack sink reads bodies)
    (404, "slack", 404, "some_new_error", Disabled),
    (400, "hook", 400, "channel_is_archived", Dead),
    # Discord: the JSON error code decides when it has a row, else the status
    ("discord:10015", "discord", 404, '{"message": "Unknown Webhook", "code": 10015}', Disabled),
    ("discord:10003", "discord", 404, '{"message": "Unknown Channel", "code": 10003}', Disabled),
    ("discord:50027", "discord", 401, '{"message": "Invalid Webhook Token", "code": 50027}', Disabled),
    ("discord:50035", "discord", 400, '{"message": "Invalid Form Body", "code": 50035, "errors": {}}', Dead),
    ("discord:50006", "discord", 400, '{"message": "Cannot send an empty message", "code": 50006}', Dead),
    ("discord:40005", "discord", 413, '{"message": "Request entity too large", "code": 40005}', Dead),
    (400, "discord", 400, '{"message": "Invalid JSON", "code": 50109}', Dead),  # a code without a row
    (404, "discord", 404, "<html>Not Found</html>", Disabled),  # a proxy's page, not Discord's JSON
    (401, "discord", 401, '{"code": true}', Retry),  # not a code: the generic 401 row
    (429, "discord", 429, '{"message": "You are being rate limited.", "retry_after": 0.5, "global": false}', Retry),
    ("2xx", "discord", 204, "", Delivered),  # Discord's answer without ?wait=true
    ("2xx", "discord", 200, '{"code": 10015}', Delivered),  # a 2xx body is never read for errors
    # Teams: Workflows answer 202; connectors answer 200 "1", or 200 with the failure inside the body
    ("teams:400", "teams", 200, TEAMS_WRAPPED.format(400), Dead),
    ("teams:413", "teams", 200, TEAMS_WRAPPED.format(413), Dead),
    ("teams:429", "teams", 200, TEAMS_WRAPPED.format(429), Retry),
    (404, "teams", 200, TEAMS_WRAPPED.format(404), Disabled),  # wrapped, no teams row: the status's row
    ("5xx", "teams", 200, TEAMS_WRAPPED.format(502), Retry),
    ("2xx", "teams", 200, "1", Delivered),
    ("2xx", "teams", 202, "", Delivered),
    (400, "teams", 400, '{"error": {"code": "InvalidRequestContent"}}', Dead),
    (404, "teams", 404, "", Disabled),
    (410, "teams", 410, "", Disabled),
    (429, "teams", 429, "", Retry),
    (413, "teams", 413, "", Dead),
]
# rows exercised by the named tests further down
OTHER_KEYS = {
    TimeoutError, aiohttp.ServerTimeoutError, aiohttp.InvalidURL, aiohttp.ClientConnectionError,
    aiohttp.ClientError, UnicodeError, OSError,
}  # fmt: skip


def test_every_table_row_has_a_case() -> None:
    from tests.test_deliver_slack_api import API_KEYS  # the Slack Web API rows (bot token)

    assert {case[0] for case in HTTP_CASES} | OTHER_KEYS | API_KEYS == set(RULES)


@pytest.mark.parametrize(
    ("key", "sink", "status", "body", "expected"),
    HTTP_CASES,
    ids=[f"{c[1]}-{c[2]}-{c[3][:24]}" for c in HTTP_CASES],
)
async def test_http_results_are_classified(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock,
    key: Any, sink: str, status: int, body: str, expected: type,
) -> None:  # fmt: skip
    receiver.reply(status, body, **({"Location": "/moved"} if 300 <= status < 400 else {}))
    outcome = await sinks_for(receiver.url, session, clock)[sink].send(make_alert())
    assert type(outcome) is expected, outcome
    assert len(receiver.requests) == 1  # one request, never a followed redirect
    if not isinstance(outcome, Delivered):
        assert outcome.reason.startswith(f"HTTP {status}") and RULES[key].reason in outcome.reason
        if isinstance(key, str) and ":" in key:
            assert key.partition(":")[2] in outcome.reason


async def test_redirects_are_not_followed(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    receiver.reply(302, "", Location=receiver.url.replace("/hook", "/elsewhere"))
    outcome = await sinks_for(receiver.url, session, clock)["hook"].send(make_alert())
    assert isinstance(outcome, Disabled) and "/elsewhere" in outcome.reason
    assert [r.path for r in receiver.requests] == ["/hook"]


@pytest.mark.parametrize(
    ("status", "header", "after"),
    [
        (429, "120", 120.0),
        (503, format_datetime(START + timedelta(seconds=90), usegmt=True), 90.0),
        (503, format_datetime(START - timedelta(hours=1), usegmt=True), 0.0),
        (429, "soon", None),
        (429, None, None),
        (500, "30", 30.0),
    ],
)
async def test_retry_after_is_passed_on(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock,
    status: int, header: str | None, after: float | None,
) -> None:  # fmt: skip
    receiver.reply(status, "", **({"Retry_After": header} if header else {}))
    outcome = await sinks_for(receiver.url, session, clock)["hook"].send(make_alert())
    assert isinstance(outcome, Retry) and outcome.after == after, outcome


def test_retry_after_parsing() -> None:
    assert retry_after(" 7 ", START) == 7.0
    assert retry_after("Tue, 19 Nov 2024 01:02:00 -0000", START) == 120.0
    assert retry_after("²", START) is None
    assert retry_after("", START) is None
    # a day at most: a longer wait is asked again then, and 10**400 seconds would overflow the outbox's datetime
    assert retry_after("9" * 400, START) == 86_400.0
    assert retry_after("Fri, 31 Dec 9999 23:59:59 GMT", START) == 86_400.0


# Discord's rate-limit answers: (status, body, headers, expected Retry.after or None for Delivered, limiter hold)
DISCORD_LIMITS: list[tuple[int, str, dict[str, str], float | None, float]] = [
    (429, '{"message": "You are being rate limited.", "retry_after": 2.5, "global": false}', {}, 2.5, 2.5),
    (429, '{"retry_after": 0.25}', {"Retry-After": "1"}, 1.0, 1.0),  # the longer of body and header
    (429, '{"retry_after": 0.25, "global": true}', {"X-RateLimit-Remaining": "0",
                                                    "X-RateLimit-Reset-After": "3.75"}, 3.75, 3.75),
    (429, "error code: 1015", {"Retry-After": "60"}, 60.0, 60.0),  # Cloudflare's ban page, not JSON
    (429, '{"retry_after": 1e300}', {}, 86_400.0, 86_400.0),  # capped
    (429, '{"retry_after": "soon"}', {"X-RateLimit-Reset-After": "9"}, None, 0.0),  # nothing usable
    (429, '{"retry_after": -3}', {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "nan"}, None, 0.0),
    (204, "", {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.5"}, None, 1.5),  # sent, now full
    (204, "", {"X-RateLimit-Remaining": "4", "X-RateLimit-Reset-After": "1.5"}, None, 0.0),  # sent, room left
]


@pytest.mark.parametrize(("status", "body", "headers", "after", "hold"), DISCORD_LIMITS)
async def test_discord_rate_limits_become_waits(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock,
    status: int, body: str, headers: dict[str, str], after: float | None, hold: float,
) -> None:  # fmt: skip
    receiver.reply(status, body, **headers)
    sink = sinks_for(receiver.url, session, clock)["discord"]
    limiter = limiter_of(sink)
    assert limiter is not None
    outcome = await sink.send(make_alert())
    if status == 429:
        assert isinstance(outcome, Retry) and outcome.after == after, outcome
        assert outcome.reason.startswith("HTTP 429: rate limited")
    else:
        assert outcome == Delivered()
    assert limiter.delay(clock.now()) == hold  # the deliverer waits out Discord's own bucket


def test_statuses_nothing_else_matches_are_retried() -> None:
    assert classify_response(199, {}, START) == Retry(f"HTTP 199: {UNEXPECTED.reason}", None)
    assert classify_response(600, {}, START).__class__ is Retry


async def test_a_timeout_is_retried(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    receiver.hang = True
    outcome = await sinks_for(receiver.url, session, clock, timeout=0.05)["hook"].send(make_alert())
    assert isinstance(outcome, Retry) and outcome.reason.startswith("timed out")


def test_a_socket_timeout_reads_as_a_timeout() -> None:
    # aiohttp's read/connect timeouts are connection errors too; the table must name them as timeouts
    outcome = classify_exception(aiohttp.SocketTimeoutError("Timeout on reading data from socket"))
    assert isinstance(outcome, Retry) and outcome.reason.startswith("timed out")


async def test_a_refused_connection_is_retried(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    with socket.socket() as s:  # a port that was just free and has nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outcome = await sinks_for(f"http://127.0.0.1:{port}/hook", session, clock)["hook"].send(make_alert())
    assert isinstance(outcome, Retry) and outcome.reason.startswith("could not connect")


async def test_an_unusable_url_disables_the_destination(
    session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    outcome = await sinks_for("http://127.0.0.1:99999/hook", session, clock)["slack"].send(make_alert())
    assert isinstance(outcome, Disabled) and outcome.reason.startswith("the url is invalid")


async def test_a_garbled_response_is_retried(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 two hundred\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        outcome = await sinks_for(f"http://127.0.0.1:{port}/", session, clock)["hook"].send(make_alert())
    assert isinstance(outcome, Retry) and outcome.reason.startswith("HTTP error")


async def test_cancellation_propagates(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    receiver.hang = True
    sending = asyncio.create_task(sinks_for(receiver.url, session, clock)["slack"].send(make_alert()))
    await receiver.arrived.wait()
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending


# --- what arrives at the receiver ---------------------------------------------------------------------------


async def test_slack_receives_block_kit_json(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await sinks_for(receiver.url, session, clock)["slack"].send(make_alert())
    [seen] = receiver.requests
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"].startswith("wiremon/")
    payload = json.loads(seen.body)
    assert payload["blocks"][0]["type"] == "header"
    assert "&lt;!channel&gt;" in payload["text"] and "<!channel>" not in payload["text"]


async def test_discord_receives_an_embed_that_pings_nobody(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    assert await sinks_for(receiver.url, session, clock)["discord"].send(make_alert()) == Delivered()
    [seen] = receiver.requests
    assert seen.headers["Content-Type"] == "application/json"
    payload = json.loads(seen.body)
    assert payload["allowed_mentions"] == {"parse": []}
    [embed] = payload["embeds"]
    assert embed["url"] == "https://wire.example/a/1187" and embed["footer"] == {"text": "Example Wire"}
    assert embed["title"] == "Port strike halts grain exports \\<!channel\\>"


async def test_teams_receives_an_adaptive_card(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    receiver.reply(202)
    assert await sinks_for(receiver.url, session, clock)["teams"].send(make_alert()) == Delivered()
    [seen] = receiver.requests
    assert seen.headers["Content-Type"] == "application/json"
    message = json.loads(seen.body)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard" and attachment["content"]["version"] == "1.4"


async def test_signed_webhook_verifies(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    alert = make_alert()
    assert await sinks_for(receiver.url, session, clock)["hook"].send(alert) == Delivered()
    [seen] = receiver.requests
    assert seen.headers["webhook-id"] == alert.id
    assert seen.headers["webhook-timestamp"] == str(int(START.timestamp()))
    assert verify(SECRET, seen.headers, seen.body, clock.now()) == alert.id
    example = load_receiver_example()
    received = example.verify_webhook(SECRET, seen.headers, seen.body, now=clock.now().timestamp())
    assert received["id"] == alert.id and received["story"]["title"] == alert.story.title


async def test_retries_keep_the_id_and_sign_a_new_timestamp(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sink = sinks_for(receiver.url, session, clock)["hook"]
    receiver.reply(503)
    assert isinstance(await sink.send(make_alert()), Retry)
    clock.advance(600)
    receiver.reply(200)
    assert await sink.send(make_alert()) == Delivered()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 600
    assert first.body == second.body
    verify(SECRET, second.headers, second.body, clock.now())
    with pytest.raises(SignatureError, match="tolerance"):  # the first attempt is now a replay
        verify(SECRET, first.headers, first.body, clock.now())


async def test_unsigned_webhook_still_carries_id_and_timestamp(
    receiver: Receiver, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await sinks_for(receiver.url, session, clock)["plain"].send(make_alert())
    [seen] = receiver.requests
    assert seen.headers["webhook-id"] == make_alert().id
    assert seen.headers["webhook-timestamp"].isdigit()
    assert "webhook-signature" not in seen.headers
    assert json.loads(seen.body)["type"] == "wiremon.alert"


def load_receiver_example() -> Any:
    spec = importlib.util.spec_from_file_location("receiver_example", ROOT / "docs" / "receiver_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- console and the registry -------------------------------------------------------------------------------


async def test_console_writes_a_block(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    stream = io.StringIO()
    sinks = build_sinks([DestinationConfig(name="console", type="console")], session, clock, stream)
    assert await sinks["console"].send(make_alert()) == Delivered()
    assert stream.getvalue().splitlines()[1:3] == [
        "ALERT grain",
        "Port strike halts grain exports <!channel>",
    ]


class BrokenPipe(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


async def test_console_write_failure_is_retried() -> None:
    outcome = await ConsoleSink("console", BrokenPipe()).send(make_alert())
    assert isinstance(outcome, Retry) and outcome.reason.startswith("writing failed")


async def test_console_that_cannot_encode_dead_letters() -> None:
    ascii_stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    outcome = await ConsoleSink("console", ascii_stream).send(make_alert())
    assert isinstance(outcome, Dead) and "encode" in outcome.reason


async def test_build_sinks_makes_one_sink_per_destination(
    session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sinks = sinks_for("https://hooks.example/x", session, clock, timeout=7)
    assert {name: type(sink) for name, sink in sinks.items()} == {
        "slack": SlackSink, "hook": WebhookSink, "plain": WebhookSink, "discord": DiscordSink, "teams": TeamsSink,
    }  # fmt: skip
    hook = sinks["hook"]
    assert isinstance(hook, WebhookSink) and hook.secret == (SECRET,) and hook.timeout.total == 7
    assert all(sink.name == name for name, sink in sinks.items())


def test_build_sinks_rejects_an_unknown_type() -> None:
    pager = DestinationConfig.model_construct(name="pager", type="pager", url=None, secret=None, timeout=1.0)
    with pytest.raises(ConfigError, match="unknown type 'pager'"):
        build_sinks([pager], None, FakeClock(), io.StringIO())  # type: ignore[arg-type]


def test_build_sinks_rejects_a_missing_url() -> None:
    nourl = DestinationConfig.model_construct(name="s", type="slack", url=None, secret=None, timeout=1.0)
    with pytest.raises(ConfigError, match="needs a url"):
        build_sinks([nourl], None, FakeClock(), io.StringIO())  # type: ignore[arg-type]


def test_outcomes_are_frozen_values() -> None:
    assert Retry("x") == Retry("x", None) and replace(Dead("a"), reason="b") == Dead("b")
    with pytest.raises(AttributeError):
        Dead("a").reason = "b"  # type: ignore[misc]
