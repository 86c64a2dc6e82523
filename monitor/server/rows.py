"""Rows for a StatusSource, built from the store, the matcher and the config status.

The daemon's StatusSource can return these as they are:

    async def alerts(self, limit: int) -> list[AlertRow]:
        return await alert_rows(self.store, limit)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from monitor.errors import Problem
from monitor.match import WatchlistInfo
from monitor.model import Story
from monitor.server.source import AlertRow, ConfigRow, DeliveryRow, ProblemRow, WatchlistRow
from monitor.store import Store
from monitor.store.base import AlertRecord


class ConfigStatusLike(Protocol):
    """The daemon's ConfigStatus, as far as the server cares."""

    @property
    def path(self) -> Path | None: ...

    @property
    def loaded_at(self) -> datetime: ...

    @property
    def ok(self) -> bool: ...

    @property
    def problems(self) -> tuple[Problem, ...]: ...


async def alert_rows(store: Store, limit: int) -> list[AlertRow]:
    """The `limit` most recently alerted clusters, newest first, each with every destination's delivery."""
    records = await store.recent_alerts(limit)
    copies = await store.cluster_stories(sorted({r.alert.cluster for r in records}))
    # newest first: a cluster's row shows its newest alert that matched terms — not a copy's thread reply
    # (copies.py: no terms), unless the cluster has nothing else in the window
    headline: dict[str, AlertRecord] = {}
    for record in records:
        cluster = record.alert.cluster
        if cluster not in headline or (record.alert.terms and not headline[cluster].alert.terms):
            headline[cluster] = record
    rows = {cluster: _alert_row(record, copies.get(cluster, [])) for cluster, record in headline.items()}
    for record in records:
        rows[record.alert.cluster]["deliveries"].append(_delivery(record))
    for row in rows.values():
        row["deliveries"].sort(key=lambda d: d["destination"])
    return list(rows.values())


def _alert_row(record: AlertRecord, copies: list[Story]) -> AlertRow:
    alert, story = record.alert, record.alert.story
    carriers = [*alert.also_carried_by, *(c.source for c in copies if c.key != story.key)]
    return AlertRow(
        cluster=alert.cluster,
        title=story.title,
        link=story.link,
        source=story.source,
        published=story.published,
        detected_at=alert.detected_at,
        watchlists=list(alert.watchlists),
        terms=list(alert.terms),
        deliveries=[],
        also_carried_by=[name for name in dict.fromkeys(carriers) if name != story.source],
    )


def _delivery(record: AlertRecord) -> DeliveryRow:
    return DeliveryRow(
        destination=record.alert.destination,
        status=record.status,
        attempts=record.attempts,
        last_error=record.last_error,
        delivered_at=record.delivered_at,
    )


async def watchlist_rows(store: Store, watchlists: Iterable[WatchlistInfo], since: datetime) -> list[WatchlistRow]:
    """Each configured watchlist with how many stories matched it since `since`."""
    hits = await store.watchlist_hits(since)
    return [
        WatchlistRow(
            name=w.name,
            destinations=list(w.destinations) if w.destinations is not None else None,
            hits=hits.get(w.name, 0),
            hits_since=since,
        )
        for w in watchlists
    ]


def config_row(status: ConfigStatusLike) -> ConfigRow:
    return ConfigRow(
        path=str(status.path) if status.path else None,
        loaded_at=status.loaded_at,
        ok=status.ok,
        problems=[problem_row(p) for p in status.problems],
    )


def problem_row(problem: Problem) -> ProblemRow:
    return ProblemRow(
        file=problem.file, line=problem.line, column=problem.column, field=problem.field, message=problem.message
    )
