"""notice: an operator warning, queued in the outbox like an alert so that it is durable and retried.

A notice is stored as an Alert whose story is wiremon's own ("wiremon:ops" as its feed): the outbox, `wiremon
alerts` and the status page handle it unchanged, and sinks show it as a warning, not as a news alert. Its id is
a digest of what it is about, so the same warning (the same broken edit, the same destination disabled for the
same reason) is queued once however often it recurs.
"""

from __future__ import annotations

from datetime import datetime

from monitor.model import Alert, Story, digest

NOTICE_FEED = "wiremon:ops"  # the feed_url of a notice's story: nothing a real feed can have (not http)
NOTICE_SOURCE = "wiremon"


def make_notice(kind: str, identity: tuple[str, ...], destination: str, title: str, details: str,
                now: datetime) -> Alert:  # fmt: skip
    """A notice of `kind` (e.g. "destination.disabled"); `identity` decides which notices are the same one."""
    key = digest(kind, *identity, size=32)
    story = Story(
        id=f"{kind}:{key}", feed_url=NOTICE_FEED, source=NOTICE_SOURCE, title=title, summary=details,
        content="", link="", published=now, fetched_at=now,
    )  # fmt: skip
    return Alert(
        id="msg_" + digest("notice", key, destination, size=32),
        destination=destination,
        story=story,
        watchlists=(),
        terms=(),
        detected_at=now,
        cluster=f"notice:{key}",
    )


def is_notice(alert: Alert) -> bool:
    return alert.story.feed_url == NOTICE_FEED


def notice_kind(alert: Alert) -> str:
    return alert.story.id.partition(":")[0]
