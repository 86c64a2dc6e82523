"""discord: alerts as Discord webhook messages, a short `content` line and one embed.

Feed text is escaped for Discord markdown (a backslash before each marker), `@` is followed by a zero-width
space, and every message says `allowed_mentions: {"parse": []}`: a headline holding `@everyone`, `<@123>`,
`<@&456>` or `[x](https://evil)` shows literally, pings nobody, and links nowhere. The only link is the embed's
`url`, the story's own http(s) URL, percent-encoded.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp

from monitor.clock import Clock
from monitor.deliver.classify import MAX_RETRY_AFTER, classify_response, retry_after
from monitor.deliver.http import Reply, post_json
from monitor.deliver.outcome import DeliveryOutcome
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.template import Markup, Template
from monitor.deliver.text import backslash_each, clean, clip, clip_backslashed, http_url, listing
from monitor.model import Alert

# Discord's limits (developer docs: resources/message, "Embed Limits"), in characters
CONTENT_LIMIT = 2000  # message content
TITLE_LIMIT = 256  # embed title
DESCRIPTION_LIMIT = 4096  # embed description
FIELD_VALUE_LIMIT = 1024  # one embed field's value (names are ours and short)
EMBED_LIMIT = 6000  # title + description + field names and values + footer text, all together
# Our own, shorter choices
SHORT_LIMIT = 500  # the templated content line: a notification, not an article
SOURCE_LIMIT = 200  # the footer: a feed's name
ITEM_LIMIT = 100  # one term, watchlist or source name in a list
CARRIED_MOST = 5  # names shown before "N more"
URL_LIMIT = 2000  # longer story URLs are not linked
COLOR = 0xB03A2E  # the embed's side bar
# URL characters kept as they are; Discord markdown markers (* _ ~ ` | ( ) [ ] < >) and spaces are encoded
_URL_SAFE = "!#$%&'+,-./:;=?@"
# Inline markers anywhere: emphasis, code, spoilers, quotes, masked links, and < > around mentions, channels,
# custom emoji and timestamps. "@" gets a zero-width space after it: "@everyone" then names nobody.
_ESCAPES = {c: "\\" + c for c in "\\*_~`|<>[]()"} | {"@": "@\u200b"}
_TRANSLATE = str.maketrans(_ESCAPES)
# Block markers count only at the start of a line: a heading, subtext, or a list item
_LEADING = re.compile(r"^(#{1,3}|-#|-|\+|\d+\.)(?=\s)")


def escape(text: str) -> str:
    """Feed text shown literally by Discord: markdown markers backslashed, mentions and emoji broken."""
    return _LEADING.sub(backslash_each, text.translate(_TRANSLATE))


def md(text: str, limit: int) -> str:
    """Feed text for a markdown field: one line, escaped, at most `limit` characters, no escape cut in half."""
    return clip_backslashed(escape(clip(clean(text), limit)), limit)


def discord_link(url: str) -> str:
    return http_url(url, _URL_SAFE, URL_LIMIT)


MARKUP: Final = Markup(text=escape, link=discord_link, clip=clip_backslashed)
DEFAULT_TEMPLATE: Final = Template.parse("ALERT {watchlists}: {title}")


def discord_payload(alert: Alert, template: Template = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The execute-webhook JSON for one alert: a content line, and an embed with the story."""
    story = alert.story
    fields = [
        {"name": "Matched", "value": listing(alert.terms, FIELD_VALUE_LIMIT, _bold), "inline": False},
        {"name": "Watchlists", "value": listing(alert.watchlists, FIELD_VALUE_LIMIT, _item), "inline": True},
        {
            "name": "Also carried by",
            "value": listing(alert.also_carried_by, FIELD_VALUE_LIMIT, _item, CARRIED_MOST),
            "inline": True,
        },
    ]
    embed: dict[str, Any] = {
        "title": md(story.title, TITLE_LIMIT) or "(untitled)",
        "color": COLOR,
        "fields": [f for f in fields if f["value"]],  # Discord refuses an empty field
        "footer": {"text": clip(clean(story.source), SOURCE_LIMIT) or "wiremon"},  # footers are never markdown
        "timestamp": story.published.astimezone(UTC).isoformat(),  # shown in each reader's own time zone
    }
    if link := discord_link(story.link):
        embed["url"] = link
    room = min(DESCRIPTION_LIMIT, EMBED_LIMIT - embed_size(embed))
    if summary := md(story.summary, room):
        embed["description"] = summary
    content = template.line(alert, MARKUP, SHORT_LIMIT)
    return {"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}}


def embed_size(embed: dict[str, Any]) -> int:
    """Characters that count towards EMBED_LIMIT."""
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    footer = len(embed.get("footer", {}).get("text", ""))
    return len(embed.get("title", "")) + len(embed.get("description", "")) + fields + footer


def _bold(term: str) -> str:
    text = md(term, ITEM_LIMIT)
    return f"**{text}**" if text else ""


def _item(name: str) -> str:
    return md(name, ITEM_LIMIT)


def read_discord(reply: Reply, now: datetime) -> tuple[DeliveryOutcome, float | None]:
    """The outcome, and for how many seconds Discord has no room for another message (None: it has room).

    A 429 says how long in its JSON `retry_after` (float seconds) and `Retry-After`; any answer with
    `X-RateLimit-Remaining: 0` says when the bucket refills in `X-RateLimit-Reset-After`. The longest counts.
    """
    data = _json_object(reply.body) if not 200 <= reply.status < 300 else {}
    code = data.get("code")
    error = f"discord:{code}" if type(code) is int and code else None
    reset = None
    if reply.headers.get("X-RateLimit-Remaining", "").strip() == "0":
        reset = _seconds(reply.headers.get("X-RateLimit-Reset-After"))
    waits = [_seconds(data.get("retry_after")), retry_after(reply.headers.get("Retry-After"), now), reset]
    after = max((w for w in waits if w is not None), default=None)
    outcome = classify_response(reply.status, reply.headers, now, error, after=after)
    return outcome, after if reply.status == 429 else reset


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:  # a proxy's HTML page, a truncated body
        return {}
    return data if isinstance(data, dict) else {}


def _seconds(value: object) -> float | None:
    """A finite, non-negative number of seconds from JSON or a header, capped; None for anything else."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        return None
    return min(number, MAX_RETRY_AFTER) if math.isfinite(number) and number >= 0 else None


@dataclass(slots=True)
class DiscordSink:
    name: str
    url: str
    session: aiohttp.ClientSession
    clock: Clock
    timeout: aiohttp.ClientTimeout
    template: Template = DEFAULT_TEMPLATE
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        body = json.dumps(discord_payload(alert, self.template), ensure_ascii=False, separators=(",", ":")).encode()
        return await post_json(self.session, self.url, body, {}, self.timeout, self.clock, self._read)

    def _read(self, reply: Reply, now: datetime) -> DeliveryOutcome:
        outcome, full_for = read_discord(reply, now)
        if full_for is not None and self.limiter is not None:
            self.limiter.hold(now, full_for)  # the deliverer then waits instead of collecting 429s
        return outcome
