"""console: alerts as readable blocks of text on a stream (stdout by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from monitor.deliver.classify import classify_exception
from monitor.deliver.outcome import Delivered, DeliveryOutcome
from monitor.deliver.text import clean, clip, utc
from monitor.model import Alert

RULE = "=" * 72
SUMMARY_LIMIT = 300  # characters of summary shown; the link has the rest


def render(alert: Alert) -> str:
    """One alert as a block of lines a person can scan: what matched, the story, where to read it."""
    story = alert.story
    lines = [
        RULE,
        "ALERT " + clean(", ".join(alert.watchlists)),
        clean(story.title) or "(untitled)",
        f"{clean(story.source)} · {utc(story.published)}",
        clean(story.link),
        "matched: " + clean(", ".join(alert.terms)),
    ]
    if alert.also_carried_by:
        lines.append("also carried by: " + clean(", ".join(alert.also_carried_by)))
    if summary := clean(story.summary):
        lines.append(clip(summary, SUMMARY_LIMIT))
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class ConsoleSink:
    name: str
    stream: TextIO

    async def send(self, alert: Alert) -> DeliveryOutcome:
        try:
            self.stream.write(render(alert))
            self.stream.flush()
        except (OSError, UnicodeError) as exc:  # a closed pipe; a stream that cannot encode this text
            return classify_exception(exc)
        return Delivered()
