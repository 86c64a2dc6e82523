"""webhook: alerts as JSON (monitor/schemas/alert.schema.json) POSTed with Standard Webhooks headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from monitor.clock import Clock
from monitor.deliver.http import post_json
from monitor.deliver.outcome import DeliveryOutcome
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.signing import webhook_headers
from monitor.model import Alert

EVENT_TYPE = "wiremon.alert"


def iso(when: datetime) -> str:
    """ISO-8601 in UTC with a Z, to the second: 2024-11-19T01:00:00Z."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def webhook_body(alert: Alert) -> dict[str, Any]:
    story = alert.story
    return {
        "type": EVENT_TYPE,
        "id": alert.id,
        "destination": alert.destination,
        "watchlists": list(alert.watchlists),
        "terms": list(alert.terms),
        "detected_at": iso(alert.detected_at),
        "story": {
            "id": story.id,
            "key": story.key,
            "title": story.title,
            "link": story.link,
            "source": story.source,
            "published": iso(story.published),
            "summary": story.summary,
        },
        "cluster": alert.cluster,
        "also_carried_by": list(alert.also_carried_by),
    }


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: these exact bytes are both signed and sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(slots=True)
class WebhookSink:
    name: str
    url: str
    secret: str | tuple[str, ...] | None  # several while receivers move to a new secret: each signs
    session: aiohttp.ClientSession
    clock: Clock
    timeout: aiohttp.ClientTimeout
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        body = encode(webhook_body(alert))
        # the id is the alert's, stable across retries (receivers dedupe on it); the timestamp, this attempt's
        timestamp = int(self.clock.now().timestamp())
        headers = webhook_headers(alert.id, timestamp, body, self.secret)
        return await post_json(self.session, self.url, body, headers, self.timeout, self.clock)
