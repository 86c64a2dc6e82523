"""slack_api: alerts posted by a Slack app with its bot token (chat.postMessage); a story's later alerts thread.

The first alert of a cluster to the destination is the full Block Kit message of slack.py, posted to the
channel; the channel and `ts` Slack answers with are kept in the store (`threads`). Every later alert of the same
cluster to it — a copy carried by another feed, or a follow-up matching new watchlists — is a short reply in that
thread. When no thread is known for an alert that is not the first (its first was dead-lettered or dropped), it is
posted on its own, and becomes the thread of the next ones.

The Web API answers errors with HTTP 200 and {"ok": false, "error": "channel_not_found"}: the error string is
classified by the one table (classify.py), as the incoming webhook's are. The token travels only in the
Authorization header; it is in no log line and no outcome reason.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

import aiohttp

from monitor.clock import Clock
from monitor.deliver.classify import RULES, classify_response
from monitor.deliver.http import Reply, post_json
from monitor.deliver.outcome import Dead, Delivered, DeliveryOutcome, Retry
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.slack import (
    DEFAULT_TEMPLATE,
    FALLBACK_LIMIT,
    SECTION_LIMIT,
    bold_list,
    mrkdwn,
    slack_payload,
    story_link,
)
from monitor.deliver.template import Template
from monitor.deliver.text import clip_escaped
from monitor.errors import StoreError
from monitor.logs import log_event
from monitor.model import Alert
from monitor.store.base import Thread

log = logging.getLogger("wiremon.deliver.slack_api")

API_URL: Final = "https://slack.com/api/"
METHOD: Final = "chat.postMessage"
ERROR_LIMIT: Final = 100  # characters of an error string believed; longer is not Slack's
CHANNEL_ID: Final = re.compile(r"[CGD][A-Z0-9]{6,}")  # public, private (legacy G…) and direct-message channels


class ThreadStore(Protocol):
    """Where a cluster's thread in a destination is kept (the Store implements it)."""

    async def thread(self, cluster: str, destination: str) -> Thread | None: ...

    async def save_thread(self, thread: Thread) -> Thread: ...


@dataclass(frozen=True, slots=True)
class Posted:
    """What chat.postMessage came to, and where the message went when it was posted."""

    outcome: DeliveryOutcome
    channel: str | None = None
    ts: str | None = None


def read_api(reply: Reply, now: datetime) -> Posted:
    """A Web API answer → an outcome: `ok` decides, then the error string's row, then the HTTP status."""
    data = _json(reply.body)
    if 200 <= reply.status < 300 and data.get("ok") is True:
        channel, ts = data.get("channel"), data.get("ts")
        return Posted(Delivered(), channel if isinstance(channel, str) else None, ts if isinstance(ts, str) else None)
    error = _error_name(data.get("error"))
    if error and f"slack:{error}" in RULES:
        return Posted(classify_response(reply.status, reply.headers, now, f"slack:{error}"))
    if not 200 <= reply.status < 300:  # 429 without a known error, 5xx, a proxy's 404: the status's row
        return Posted(classify_response(reply.status, reply.headers, now))
    key = "slack-api:unknown_error" if error else "slack-api:unreadable"
    outcome = classify_response(reply.status, reply.headers, now, key)
    return Posted(Dead(f"{outcome.reason}: {error}") if error and isinstance(outcome, Dead) else outcome)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _error_name(value: object) -> str | None:
    """Slack's error strings are snake_case words; anything else is not one of them (and is not logged)."""
    if isinstance(value, str) and value and len(value) <= ERROR_LIMIT and value.replace("_", "").isalnum():
        return value if value.isascii() else None
    return None


def _moved(channel: str, thread: Thread) -> bool:
    """Whether `channel` (an id) is no longer where the thread is. A channel given by name cannot be compared with
    the id Slack answered with, so its threads are kept."""
    return thread.channel != channel and CHANNEL_ID.fullmatch(channel) is not None


def reply_payload(alert: Alert, thread: Thread) -> dict[str, Any]:
    """A short reply in the cluster's thread: who else carried it, its headline linked; new matches if any.

    Each section stays under Slack's 3,000 characters by the sizes of its parts (source 300, link ≤ 2,300; terms
    1,800, watchlists 1,000), so neither is ever cut inside the link.
    """
    story = alert.story
    carried = f"Also carried by {bold_list((story.source,), 300)}: {story_link(story.link, story.title)}"
    blocks = [_section(carried)]
    if alert.terms:  # a follow-up: the copy matched watchlists the first alert had not
        watchlists = mrkdwn(", ".join(alert.watchlists), 1000)
        blocks.append(_section(f"Matched: {bold_list(alert.terms)} · Watchlists: {watchlists}"))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"wiremon alert `{alert.id}`"}]})
    return {
        "channel": thread.channel,
        "thread_ts": thread.ts,
        "text": mrkdwn(f"Also carried by {story.source}: {story.title or '(untitled)'}", FALLBACK_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,  # a reply stays short: no preview of the link
        "unfurl_media": False,
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip_escaped(text, SECTION_LIMIT)}}


def top_payload(alert: Alert, channel: str, template: Template) -> dict[str, Any]:
    """The full alert, as the incoming webhook sends it, addressed to the channel."""
    return {"channel": channel, **slack_payload(alert, template)}


@dataclass(slots=True)
class SlackApiSink:
    name: str
    token: str = field(repr=False)
    channel: str
    session: aiohttp.ClientSession
    clock: Clock
    timeout: aiohttp.ClientTimeout
    api_url: str = API_URL
    template: Template = DEFAULT_TEMPLATE
    threads: ThreadStore | None = field(default=None, compare=False, repr=False)  # None: never threads
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        try:
            thread = await self.threads.thread(alert.cluster, self.name) if self.threads and alert.cluster else None
        except StoreError as exc:  # where to post is unknown: posting anyway could start a second thread
            return Retry(f"the story's thread could not be read: {exc}")
        if thread is not None and thread.alert_id == alert.id:
            return Delivered()  # posted and remembered, then wiremon stopped before the outbox heard: not again
        if thread is not None and _moved(self.channel, thread):
            thread = None  # the config names another channel now: never reply in the old one (maybe archived)
        if thread is not None:
            payload = reply_payload(alert, thread)
        else:
            payload = top_payload(alert, self.channel, self.template)
            if alert.cluster and alert.id != Alert.make_id(alert.cluster, self.name):
                log_event(log, "alert.unthreaded", destination=self.name, alert=alert.id,
                          note="the story's first alert was not posted here; this one starts its thread")  # fmt: skip
        posted = await self.post(payload)
        if thread is None and isinstance(posted.outcome, Delivered):
            await self._remember(alert, posted)
        return posted.outcome

    async def post(self, payload: dict[str, Any]) -> Posted:
        """chat.postMessage with this payload; the outcome, and where Slack put the message."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        answer: list[Posted] = []

        def read(reply: Reply, now: datetime) -> DeliveryOutcome:
            answer.append(read_api(reply, now))
            return answer[0].outcome

        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json; charset=utf-8"}
        url = self.api_url.rstrip("/") + "/" + METHOD
        outcome = await post_json(self.session, url, body, headers, self.timeout, self.clock, read)
        return answer[0] if answer else Posted(outcome)  # no answer read: the send raised and was classified

    async def _remember(self, alert: Alert, posted: Posted) -> None:
        if self.threads is None or not alert.cluster or not posted.ts:
            return
        thread = Thread(alert.cluster, self.name, posted.channel or self.channel, posted.ts, alert.id, self.clock.now())
        try:
            await self.threads.save_thread(thread)
        except StoreError as exc:  # the message is posted: later copies of the story go out on their own instead
            log_event(log, "slack.thread_unsaved", logging.WARNING, destination=self.name, alert=alert.id,
                      reason=str(exc))  # fmt: skip
