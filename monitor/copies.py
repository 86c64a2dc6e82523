"""copies: a later copy of an alerted story becomes a reply in the destinations that thread (Slack with a bot
token), under the story's first alert there. Destinations that do not thread get nothing for a copy, as before.

Pure: the pipeline says which destinations thread and which already have an alert for the cluster.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from monitor.model import Alert, Story


def copy_id(cluster: str, destination: str, story: Story) -> str:
    """Stable per (cluster, destination, copy): a retry, a restart or a second poll never makes another."""
    return Alert.make_id(f"{cluster}>{story.key}", destination)


def copy_alerts(
    story: Story,
    cluster: str,
    destinations: Collection[str],
    watchlists: Collection[str],
    now: datetime,
    also_carried_by: tuple[str, ...] = (),
) -> list[Alert]:
    """One reply per destination, in name order. No terms: the copy is news only as another source carrying
    it (a copy that matched new watchlists is a follow-up alert instead); `watchlists` are its cluster's."""
    return [
        Alert(
            id=copy_id(cluster, destination, story),
            destination=destination,
            story=story,
            watchlists=tuple(sorted(watchlists)),
            terms=(),
            detected_at=now,
            cluster=cluster,
            also_carried_by=also_carried_by,
        )
        for destination in sorted(destinations)
    ]
