"""Alerts and stories to and from JSON text, for the outbox and the stories table."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.model import Alert, Story


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def story_to_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "feed_url": story.feed_url,
        "source": story.source,
        "title": story.title,
        "summary": story.summary,
        "content": story.content,
        "link": story.link,
        "published": iso(story.published),
        "fetched_at": iso(story.fetched_at),
    }


def story_from_dict(data: dict[str, Any]) -> Story:
    return Story(
        id=data["id"],
        feed_url=data["feed_url"],
        source=data["source"],
        title=data["title"],
        summary=data["summary"],
        content=data.get("content", ""),
        link=data["link"],
        published=from_iso(data["published"]),
        fetched_at=from_iso(data["fetched_at"]),
    )


def alert_to_json(alert: Alert) -> str:
    return json.dumps(
        {
            "id": alert.id,
            "destination": alert.destination,
            "story": story_to_dict(alert.story),
            "watchlists": list(alert.watchlists),
            "terms": list(alert.terms),
            "detected_at": iso(alert.detected_at),
            "cluster": alert.cluster,
            "also_carried_by": list(alert.also_carried_by),
        },
        ensure_ascii=False,
    )


def alert_from_json(text: str) -> Alert:
    data = json.loads(text)
    return Alert(
        id=data["id"],
        destination=data["destination"],
        story=story_from_dict(data["story"]),
        watchlists=tuple(data["watchlists"]),
        terms=tuple(data["terms"]),
        detected_at=from_iso(data["detected_at"]),
        cluster=data.get("cluster", ""),
        also_carried_by=tuple(data.get("also_carried_by", ())),
    )
