"""message: what is not one alert — a digest of several, or an operator notice — rendered for each sink type.

A `Message` is a title (our text) and lines (feed text, escaped by each destination's own rules); a webhook gets
its `data` as JSON instead. `send_message` posts it the way the sink posts an alert, through the same readers and
the same failure table, so a digest or a notice is delivered, retried, dead-lettered or disables its destination
exactly like an alert.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from monitor.deliver import discord, slack, teams
from monitor.deliver.classify import classify_exception
from monitor.deliver.console import RULE, ConsoleSink
from monitor.deliver.discord import DiscordSink
from monitor.deliver.http import post_json
from monitor.deliver.notice import is_notice, notice_kind
from monitor.deliver.outcome import Dead, Delivered, DeliveryOutcome, Sink
from monitor.deliver.signing import webhook_headers
from monitor.deliver.slack import SlackSink
from monitor.deliver.slack_api import SlackApiSink
from monitor.deliver.teams import TeamsSink
from monitor.deliver.text import clean, clip, utc
from monitor.deliver.webhook import WebhookSink, encode, iso, webhook_body
from monitor.model import Alert

DIGEST_TYPE: Final = "wiremon.digest"
NOTICE_TYPE: Final = "wiremon.notice"
MOST_LINES: Final = 40  # stories listed in one chat message; the rest are counted ("and 12 more")
LINE_LIMIT: Final = 300  # characters of one headline or notice line


@dataclass(frozen=True, slots=True)
class Line:
    text: str  # a headline or a line of a notice
    link: str = ""  # the story URL, if any
    detail: str = ""  # source, time, watchlists


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    destination: str
    title: str
    lines: tuple[Line, ...]
    data: dict[str, Any]  # what a webhook receives


def digest_message(message_id: str, destination: str, alerts: Sequence[Alert], now: datetime) -> Message:
    """Several alerts as one message, in detection order."""
    lines = tuple(
        Line(a.story.title or "(untitled)", a.story.link,
             f"{a.story.source} · {utc(a.story.published)} · {', '.join(a.watchlists)}")
        for a in alerts
    )  # fmt: skip
    title = f"wiremon digest: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    data = {
        "type": DIGEST_TYPE,
        "id": message_id,
        "destination": destination,
        "sent_at": iso(now),
        "alerts": [webhook_body(a) for a in alerts],
    }
    return Message(message_id, destination, title, lines, data)


def notice_message(notice: Alert) -> Message:
    """An operator notice: its title, and one line per line of its details."""
    assert is_notice(notice)
    lines = tuple(Line(text) for text in notice.story.summary.splitlines() if text.strip())
    data = {
        "type": NOTICE_TYPE,
        "id": notice.id,
        "destination": notice.destination,
        "kind": notice_kind(notice),
        "title": notice.story.title,
        "details": [line.text for line in lines],
        "at": iso(notice.detected_at),
    }
    return Message(notice.id, notice.destination, f"wiremon: {notice.story.title}", lines, data)


# --- one renderer per destination type -------------------------------------------------------------------


def _shown(message: Message, most: int = MOST_LINES) -> tuple[list[Line], int]:
    lines = list(message.lines[:most])
    return lines, len(message.lines) - len(lines)


def console_text(message: Message) -> str:
    lines, more = _shown(message)
    out = [RULE, clean(message.title)]
    for line in lines:
        out.append("- " + clip(clean(line.text), LINE_LIMIT))
        out += [f"  {clean(extra)}" for extra in (line.detail, line.link) if clean(extra)]
    if more:
        out.append(f"… and {more} more")
    return "\n".join(out) + "\n"


def slack_message(message: Message) -> dict[str, Any]:
    lines, more = _shown(message)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(message.title, slack.HEADER_LIMIT)}}
    ]
    for line in lines:
        head = slack.story_link(line.link, line.text) if line.link else slack.mrkdwn(line.text, LINE_LIMIT)
        head = head or "(untitled)"  # Slack refuses an empty section
        text = head + (f"\n{slack.mrkdwn(line.detail, 1000)}" if line.detail else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    context = f"wiremon `{message.id}`" + (f" · and {more} more" if more else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": slack.mrkdwn(message.title, slack.FALLBACK_LIMIT), "blocks": blocks}


def discord_message(message: Message) -> dict[str, Any]:
    rows = []
    for line in message.lines:
        text = discord.md(line.text, LINE_LIMIT) or "(untitled)"
        if link := discord.discord_link(line.link):
            text = f"[{text}]({link})"
        rows.append(f"• {text}" + (f"\n  {discord.md(line.detail, 300)}" if line.detail else ""))
    description = _fit(rows, discord.DESCRIPTION_LIMIT, MOST_LINES)
    embed = {"title": clip(message.title, discord.TITLE_LIMIT), "description": description, "color": discord.COLOR}
    return {"content": discord.md(message.title, discord.SHORT_LIMIT), "embeds": [embed],
            "allowed_mentions": {"parse": []}}  # fmt: skip


def teams_payload(message: Message) -> dict[str, Any]:
    """As many lines as keep the message under Teams' size limit, the rest counted."""
    most = MOST_LINES
    while True:
        payload = _teams_wrap(message, _teams_card(message, most))
        if most == 0 or len(teams.encode(payload)) <= teams.MESSAGE_BUDGET:
            return payload
        most //= 2


def _teams_card(message: Message, most: int) -> dict[str, Any]:
    lines, more = _shown(message, most)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": teams.md(message.title, teams.TITLE_LIMIT), "wrap": True, "weight": "Bolder"}
    ]
    for line in lines:
        text = teams.md(line.text, LINE_LIMIT) or "(untitled)"
        if link := teams.teams_link(line.link):
            text = f"[{text}]({link})"
        if line.detail:
            text += f" — {teams.md(line.detail, 300)}"
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    if more:
        body.append({"type": "TextBlock", "text": f"… and {more} more", "wrap": True})
    return {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "fallbackText": clip(message.title, teams.SHORT_LIMIT), "body": body}  # fmt: skip


def _teams_wrap(message: Message, card: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "summary": clip(message.title, teams.SHORT_LIMIT),
            "attachments": [{"contentType": teams.CARD_TYPE, "contentUrl": None, "content": card}]}  # fmt: skip


def _fit(rows: list[str], limit: int, most: int) -> str:
    """Rows joined by newlines: as many whole rows as fit in `limit` characters (at most `most`), then a count of
    the rest."""
    out: list[str] = []
    used = 0
    for i, row in enumerate(rows):
        rest = len(rows) - i
        tail = len(f"\n… and {rest} more")
        if len(out) == most or used + len(row) + 1 + tail > limit:
            out.append(f"… and {rest} more")
            break
        out.append(row)
        used += len(row) + 1
    return "\n".join(out)


# --- sending ---------------------------------------------------------------------------------------------


def _compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def _console(sink: ConsoleSink, message: Message) -> DeliveryOutcome:
    try:
        sink.stream.write(console_text(message))
        sink.stream.flush()
    except (OSError, UnicodeError) as exc:
        return classify_exception(exc)
    return Delivered()


async def _slack(sink: SlackSink, message: Message) -> DeliveryOutcome:
    body = _compact(slack_message(message))
    return await post_json(sink.session, sink.url, body, {}, sink.timeout, sink.clock, slack.read_slack)


async def _slack_api(sink: SlackApiSink, message: Message) -> DeliveryOutcome:
    """With a bot token: a message of its own in the channel, never in a story's thread."""
    posted = await sink.post({"channel": sink.channel, **slack_message(message)})
    return posted.outcome


async def _discord(sink: DiscordSink, message: Message) -> DeliveryOutcome:
    body = _compact(discord_message(message))
    return await post_json(sink.session, sink.url, body, {}, sink.timeout, sink.clock, sink._read)


async def _teams(sink: TeamsSink, message: Message) -> DeliveryOutcome:
    body = teams.encode(teams_payload(message))
    return await post_json(sink.session, sink.url, body, {}, sink.timeout, sink.clock, teams.read_teams)


async def _webhook(sink: WebhookSink, message: Message) -> DeliveryOutcome:
    body = encode(message.data)
    headers = webhook_headers(message.id, int(sink.clock.now().timestamp()), body, sink.secret)
    return await post_json(sink.session, sink.url, body, headers, sink.timeout, sink.clock)


Sender = Callable[[Any, Message], Awaitable[DeliveryOutcome]]
SENDERS: Final[Mapping[type, Sender]] = {
    ConsoleSink: _console,  # a block of lines
    SlackSink: _slack,  # a header and one section per story
    SlackApiSink: _slack_api,  # the same, posted with the bot token (chat.postMessage)
    DiscordSink: _discord,  # one embed listing the stories as links
    TeamsSink: _teams,  # an Adaptive Card with one TextBlock per story
    WebhookSink: _webhook,  # wiremon.digest / wiremon.notice JSON, signed like an alert
}


async def send_message(sink: Sink, message: Message) -> DeliveryOutcome:
    """Send a digest or a notice. A sink may bring its own `send_message`; one that cannot (a custom sink
    without it) dead-letters the message rather than guess a format."""
    own = getattr(sink, "send_message", None)
    if own is not None:
        outcome: DeliveryOutcome = await own(message)
        return outcome
    sender = SENDERS.get(type(sink))
    if sender is None:
        return Dead(f"destination {sink.name!r} cannot show digests or notices")
    return await sender(sink, message)
