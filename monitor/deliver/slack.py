"""slack: alerts as Block Kit messages to a Slack incoming webhook.

Every piece of feed text reaching a mrkdwn field is escaped (& < >), so a headline holding `<!channel>`,
`<@U123>` or `<https://x|y>` shows literally and can neither ping anyone nor smuggle in a link. The only
`<…>` in a message is the story link, built from a percent-encoded URL and an escaped title.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from monitor.clock import Clock
from monitor.deliver.classify import classify_response
from monitor.deliver.http import Reply, post_json
from monitor.deliver.outcome import DeliveryOutcome
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.template import Markup, Template
from monitor.deliver.text import clean, clip, clip_escaped, is_http, listing, utc
from monitor.model import Alert

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
HEADER_LIMIT = 150  # header block: plain_text characters
SECTION_LIMIT = 3000  # section block / mrkdwn text object: characters
FALLBACK_LIMIT = 300  # the `text` fallback: notifications show a line or two, so keep it short
LINK_TITLE_LIMIT = 300  # the title inside the story link
TERM_LIMIT = 100  # characters of one matched term
TERMS_BUDGET = 1800  # characters of matched terms in their section, which also holds ≤ 1,000 of watchlists
URL_LIMIT = 2000  # longer encoded URLs are not linked: the story section must stay under SECTION_LIMIT
CARRIED_BUDGET = 1000  # characters of "also carried by" names in the context element
CARRIED_MOST = 5  # names shown before "N more"
# Characters a URL keeps as they are; everything else (space, < > | " and non-ASCII) is percent-encoded, so
# the URL can neither close Slack's <url|label> nor start its label early.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]~_"


def escape(text: str) -> str:
    """Slack's three control characters as entities; & first, so `&lt;` in a story stays literal text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> str:
    """Feed text for a mrkdwn field: one line, escaped, clipped without breaking an entity."""
    return clip_escaped(escape(clean(text)), limit)


def story_link(url: str, title: str) -> str:
    """`<url|title>` for an http(s) URL; only the escaped title for anything else (javascript:, …)."""
    label = mrkdwn(title, LINK_TITLE_LIMIT) or "(untitled)"
    target = escape(quote(url.strip(), safe=_URL_SAFE))
    if not is_http(url.strip()) or len(target) > URL_LIMIT:
        return label
    return f"<{target}|{label}>"


def bold_list(items: tuple[str, ...], budget: int = TERMS_BUDGET) -> str:
    """Items in bold, as many as fit in `budget` characters, then "N more".

    `*` inside an item becomes `∗`, so feed text can never close or open our bold markers.
    """
    return listing(items, budget, _bold)


def _bold(item: str) -> str:
    text = mrkdwn(item.replace("*", "∗"), TERM_LIMIT)
    return f"*{text}*" if text else ""


def slack_link(url: str) -> str:
    """A bare story URL for text (Slack links it): percent-encoded and escaped; "" unless http(s)."""
    target = escape(quote(url.strip(), safe=_URL_SAFE))
    return target if is_http(url.strip()) and len(target) <= URL_LIMIT else ""


MARKUP: Final = Markup(text=escape, link=slack_link, clip=clip_escaped)
DEFAULT_TEMPLATE: Final = Template.parse("ALERT {watchlists}: {title}")


def slack_payload(alert: Alert, template: Template = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The incoming-webhook JSON for one alert: header, story, summary, matches, context, text fallback."""
    story = alert.story
    title = clean(story.title) or "(untitled)"
    watchlists = mrkdwn(", ".join(alert.watchlists), 1000)
    blocks: list[dict[str, Any]] = [
        # plain_text is never parsed for mentions or links, so the title goes in unescaped
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_LIMIT), "emoji": False}},
        _section(f"{story_link(story.link, title)}\n{mrkdwn(story.source, 500)} · {utc(story.published)}"),
    ]
    if summary := mrkdwn(story.summary):
        blocks.append(_section(summary))
    if alert.terms:
        blocks.append(_section(f"Matched: {bold_list(alert.terms)}\nWatchlists: {watchlists}"))
    elif watchlists:  # a later copy of a story sent on its own (slack_api.py): its cluster's watchlists
        blocks.append(_section(f"Watchlists: {watchlists}"))
    context = f"wiremon alert `{alert.id}`"
    if carried := listing(alert.also_carried_by, CARRIED_BUDGET, lambda s: mrkdwn(s, 200), CARRIED_MOST):
        context += " · also carried by: " + carried
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    # the notification text: Slack shows it in pop-ups and where blocks cannot be shown
    fallback = template.line(alert, MARKUP, FALLBACK_LIMIT) or "wiremon alert"
    return {"text": fallback, "blocks": blocks}


def read_slack(reply: Reply, now: datetime) -> DeliveryOutcome:
    """Slack answers a failed post with a bare error string such as "channel_not_found"; it has a row."""
    error = None if 200 <= reply.status < 300 else _slack_error(reply.body)
    return classify_response(reply.status, reply.headers, now, f"slack:{error}" if error else None)


def _slack_error(body: bytes) -> str | None:
    text = body.decode("utf-8", "replace").strip()
    return text if text and text.replace("_", "").isalnum() and len(text) <= 100 else None


def _section(text: str) -> dict[str, Any]:
    # every piece was sized to fit already; this clip is a guard that still never splits an entity
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip_escaped(text, SECTION_LIMIT)}}


@dataclass(slots=True)
class SlackSink:
    name: str
    url: str
    session: aiohttp.ClientSession
    clock: Clock
    timeout: aiohttp.ClientTimeout
    template: Template = DEFAULT_TEMPLATE
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        body = json.dumps(slack_payload(alert, self.template), ensure_ascii=False, separators=(",", ":")).encode()
        return await post_json(self.session, self.url, body, {}, self.timeout, self.clock, read_slack)
