"""teams: alerts as Adaptive Cards to a Microsoft Teams incoming webhook or a Workflows (Power Automate) url.

Teams reads a little markdown in TextBlocks and FactSet values: emphasis, lists, `[text](url)` links. Feed text
gets a backslash before emphasis markers, and an invisible word joiner after every `]` and `<`, which no
markdown reader joins back: a headline holding `[x](https://evil)` or `<at>Someone</at>` stays text on every
Teams client, even one that ignores backslash escapes. The only link is the card's Action.OpenUrl to the story.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import aiohttp

from monitor.clock import Clock
from monitor.deliver.classify import classify_response
from monitor.deliver.http import Reply, post_json
from monitor.deliver.outcome import DeliveryOutcome
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.template import Markup, Template
from monitor.deliver.text import backslash_each, clean, clip, clip_backslashed, http_url, listing, utc
from monitor.model import Alert

MESSAGE_BUDGET = 27_000  # bytes of the JSON sent; Teams refuses a message over 28 KB, headers and all
SUMMARY_LIMITS = (4000, 2000, 1000, 500, 0)  # characters of summary tried, longest first, until the card fits
TITLE_LIMIT = 500  # the headline TextBlock
SHORT_LIMIT = 300  # the templated `summary`: a notification line
FACT_LIMIT = 1000  # one FactSet value
ITEM_LIMIT = 100  # one term, watchlist or source name in a list
CARRIED_MOST = 5  # names shown before "N more"
URL_LIMIT = 2000  # longer story URLs get no button
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
_URL_SAFE = "!#$%&'+,-./:;=?@"  # URL characters kept; markdown markers and spaces are percent-encoded
_JOIN = "\u2060"  # WORD JOINER: invisible, and splits "](" and "<at" for every markdown reader
_TRANSLATE = str.maketrans({c: "\\" + c for c in "\\*_~`"} | {"]": "]" + _JOIN, "<": "<" + _JOIN})
_LEADING = re.compile(r"^(#{1,6}|-|\+|\d+\.)(?=\s)")  # would start a heading or a list item
_WRAPPED = re.compile(rb"returned HTTP error (\d{3})")  # a connector's failure, reported inside a 200


def escape(text: str) -> str:
    """Feed text shown literally in a TextBlock or fact value."""
    return _LEADING.sub(backslash_each, text.translate(_TRANSLATE))


def md(text: str, limit: int) -> str:
    """Feed text for a card: one line, escaped, at most `limit` characters, no escape cut in half."""
    return clip_backslashed(escape(clip(clean(text), limit)), limit)


def teams_link(url: str) -> str:
    return http_url(url, _URL_SAFE, URL_LIMIT)


MARKUP: Final = Markup(text=escape, link=teams_link, clip=clip_backslashed)
DEFAULT_TEMPLATE: Final = Template.parse("ALERT {watchlists}: {title}")


def teams_message(alert: Alert, template: Template = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The webhook JSON for one alert, with as much summary as keeps it under MESSAGE_BUDGET bytes."""
    short = template.line(alert, MARKUP, SHORT_LIMIT) or "wiremon alert"
    message: dict[str, Any] = {}
    for limit in SUMMARY_LIMITS:
        message = {
            "type": "message",
            "summary": short,  # what a notification or a client that cannot show cards says
            "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card(alert, short, limit)}],
        }
        if len(encode(message)) <= MESSAGE_BUDGET:
            break
    return message


def card(alert: Alert, short: str, summary_limit: int) -> dict[str, Any]:
    """An Adaptive Card 1.4: headline, facts, summary, and a button to the story."""
    story = alert.story
    facts = [
        ("Source", md(story.source, FACT_LIMIT)),
        ("Published", utc(story.published)),
        ("Watchlists", listing(alert.watchlists, FACT_LIMIT, _item)),
        ("Matched", listing(alert.terms, FACT_LIMIT, _bold)),
        ("Also carried by", listing(alert.also_carried_by, FACT_LIMIT, _item, CARRIED_MOST)),
    ]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": md(story.title, TITLE_LIMIT) or "(untitled)", "wrap": True,
         "weight": "Bolder", "size": "Medium"},
        {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in facts if value]},
    ]  # fmt: skip
    summary = md(story.summary, summary_limit) if summary_limit else ""
    if summary:
        body.append({"type": "TextBlock", "text": summary, "wrap": True})
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "fallbackText": short,
        "body": body,
    }
    if link := teams_link(story.link):
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Read the story", "url": link}]
    return content


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def _bold(term: str) -> str:
    text = md(term, ITEM_LIMIT)
    return f"**{text}**" if text else ""


def _item(name: str) -> str:
    return md(name, ITEM_LIMIT)


def read_teams(reply: Reply, now: datetime) -> DeliveryOutcome:
    """Workflows answer with a plain status (202); connectors may wrap their failure in a 200 body."""
    if 200 <= reply.status < 300 and (wrapped := _WRAPPED.search(reply.body)):
        inner = int(wrapped.group(1))
        return classify_response(reply.status, reply.headers, now, f"teams:{inner}", counts_as=inner)
    return classify_response(reply.status, reply.headers, now)


@dataclass(slots=True)
class TeamsSink:
    name: str
    url: str
    session: aiohttp.ClientSession
    clock: Clock
    timeout: aiohttp.ClientTimeout
    template: Template = DEFAULT_TEMPLATE
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        body = encode(teams_message(alert, self.template))
        return await post_json(self.session, self.url, body, {}, self.timeout, self.clock, read_teams)
