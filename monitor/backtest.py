"""Backtest: the daemon's own stored stories of a recent period, matched again against (edited) watchlists.

Stories keep the clusters the daemon gave them, so "clusters" counts what would have alerted: one alert per
cluster and watchlist. The per-story lines have the replay format (``{"id", "matches", "cluster",
"duplicate_of"}``, cluster and duplicate_of being the id of the cluster's first story).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from monitor.errors import WiremonError
from monitor.match import Matcher
from monitor.model import Story
from monitor.settings import parse_duration
from monitor.store import opened_store

EXAMPLES = 3  # headlines shown per watchlist, one per cluster
_BARE_NUMBER = re.compile(r"\s*\d+(\.\d+)?\s*")


def parse_since(text: str, now: datetime) -> datetime:
    """'30m', '12h', '7d' before now, or an ISO date or time ('2026-02-11', naive means UTC)."""
    if not _BARE_NUMBER.fullmatch(text):  # a unit is required: "7" could mean days as well as seconds
        try:
            return now - timedelta(seconds=parse_duration(text))
        except ValueError:
            pass
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WiremonError(
            f"--since: expected a duration such as 30m, 12h or 7d, or an ISO date such as 2026-02-11; got {text!r}"
        ) from None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Stored:
    """Stories seen since a time, in arrival order, with their clusters and each cluster's first story id."""

    stories: list[tuple[Story, str]]
    first_ids: Mapping[str, str]  # cluster → id of its first story (which may predate the period)


async def load_stored(store_path: str | Path, since: datetime) -> Stored:
    async with opened_store(store_path) as store:
        stories = await store.stories_since(since)
        keys = {story.key: story.id for story, _ in stories}
        older = sorted({cluster for _, cluster in stories if cluster not in keys})
        earlier = await store.cluster_stories(older) if older else {}
    first_ids = dict(keys)
    for cluster, found in earlier.items():  # clusters that began before the period
        first_ids[cluster] = next((s.id for s in found if s.key == cluster), found[0].id)
    return Stored(stories, first_ids)


@dataclass
class _Tally:
    hits: int = 0
    clusters: set[str] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WatchlistResult:
    name: str
    hits: int  # stories matched
    clusters: int  # distinct clusters matched: the alerts it would have sent
    examples: tuple[str, ...]  # headlines, one per cluster


@dataclass(frozen=True, slots=True)
class Backtest:
    stories: int
    clusters: int
    watchlists: tuple[WatchlistResult, ...]  # every watchlist, by name


def run_backtest(matcher: Matcher, stored: Stored, lines: TextIO | None) -> Backtest:
    """Match every stored story; tally per watchlist; write a replay-format line per story to ``lines``."""
    tallies = {info.name: _Tally() for info in matcher.watchlists}
    for story, cluster in stored.stories:
        names = sorted(hit.watchlist for hit in matcher.match(story))
        for name in names:
            _count(tallies[name], story, cluster)
        if lines is not None:
            first = stored.first_ids.get(cluster, cluster)
            duplicate_of = None if cluster == story.key else first
            result = {"id": story.id, "matches": names, "cluster": first, "duplicate_of": duplicate_of}
            lines.write(json.dumps(result, ensure_ascii=False) + "\n")
    results = tuple(
        WatchlistResult(name, t.hits, len(t.clusters), tuple(t.examples)) for name, t in sorted(tallies.items())
    )
    return Backtest(len(stored.stories), len({cluster for _, cluster in stored.stories}), results)


def _count(tally: _Tally, story: Story, cluster: str) -> None:
    tally.hits += 1
    if cluster not in tally.clusters:
        tally.clusters.add(cluster)
        if len(tally.examples) < EXAMPLES:
            tally.examples.append(_headline(story))


def _headline(story: Story) -> str:
    title = story.title or story.summary[:80] or story.id
    return f"{title} ({story.source})" if story.source else title


def render_summary(result: Backtest, since: datetime) -> str:
    """A table: per watchlist, stories matched, clusters (alerts it would send) and example headlines."""
    head = (
        f"{_many(result.stories, 'story', 'stories')} in {_many(result.clusters, 'cluster')} since "
        f"{since:%Y-%m-%d %H:%M} UTC, against {_many(len(result.watchlists), 'watchlist')}"
    )
    width = max([len("watchlist")] + [len(w.name) for w in result.watchlists])
    lines = [head, "", f"{'watchlist':<{width}}  {'hits':>6}  {'clusters':>8}"]
    for watchlist in result.watchlists:
        lines.append(f"{watchlist.name:<{width}}  {watchlist.hits:>6}  {watchlist.clusters:>8}")
        lines += [f"{'':<{width}}    - {headline}" for headline in watchlist.examples]
    return "\n".join(lines)


def _many(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"
