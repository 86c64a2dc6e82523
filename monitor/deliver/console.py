"""console: alerts as readable blocks of text on a stream (stdout by default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, TextIO

from monitor.deliver.classify import classify_exception
from monitor.deliver.outcome import Delivered, DeliveryOutcome
from monitor.deliver.ratelimit import RateLimit
from monitor.deliver.template import PLAIN, Template
from monitor.deliver.text import clean, clip, listing, utc
from monitor.model import Alert

RULE = "=" * 72
SUMMARY_LIMIT = 300  # characters of summary shown; the link has the rest
HEADLINE_LIMIT = 300  # characters of the templated first line
CARRIED_BUDGET = 200  # characters of "also carried by" names: one line on a wide terminal
CARRIED_MOST = 5  # names shown before "N more"
DEFAULT_TEMPLATE: Final = Template.parse("ALERT {watchlists}")


def render(alert: Alert, template: Template = DEFAULT_TEMPLATE) -> str:
    """One alert as a block of lines a person can scan: what matched, the story, where to read it."""
    story = alert.story
    lines = [
        RULE,
        template.line(alert, PLAIN, HEADLINE_LIMIT),
        clean(story.title) or "(untitled)",
        f"{clean(story.source)} · {utc(story.published)}",
        clean(story.link),
        "matched: " + clean(", ".join(alert.terms)),
    ]
    if carried := listing(alert.also_carried_by, CARRIED_BUDGET, clean, CARRIED_MOST):
        lines.append("also carried by: " + carried)
    if summary := clean(story.summary):
        lines.append(clip(summary, SUMMARY_LIMIT))
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class ConsoleSink:
    name: str
    stream: TextIO
    template: Template = DEFAULT_TEMPLATE
    limiter: RateLimit | None = field(default=None, compare=False)

    async def send(self, alert: Alert) -> DeliveryOutcome:
        try:
            self.stream.write(render(alert, self.template))
            self.stream.flush()
        except (OSError, UnicodeError) as exc:  # a closed pipe; a stream that cannot encode this text
            return classify_exception(exc)
        return Delivered()
