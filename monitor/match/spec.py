"""Watchlists and actors as declared, before compiling: plain frozen values (from YAML or from code)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.errors import Problem

# Fuzzy matching of multi-word names (see SEMANTICS): every word pair must reach TOKEN_SIMILARITY and the
# space-joined window must reach the name's threshold (fuzz.ratio scale, 0-100).
TOKEN_SIMILARITY = 70.0
DEFAULT_FUZZY_THRESHOLD = 88.0


@dataclass(frozen=True, slots=True)
class ActorSpec:
    """A named entity: a query word equal to ``id`` stands for the OR of its names."""

    id: str
    names: tuple[str, ...]
    fuzzy: float | None = None  # joined-string threshold (0-100) when near-spellings count, else None
    file: str | None = None
    line: int | None = None


# Turns (offset inside a query string, message) into a Problem placed in the query's source file.
QueryPlacer = Callable[[int, str], Problem]


@dataclass(frozen=True, slots=True)
class WatchlistSpec:
    name: str
    query: str
    fields: tuple[str, ...] | None = None  # None: title, summary and content
    destinations: tuple[str, ...] | None = None  # None: every destination
    file: str | None = None
    line: int | None = None
    place: QueryPlacer | None = None  # None: problems point into the query text itself
    urgent: bool = False  # its alerts go through quiet hours and digests at once
    digest: float | None = None  # seconds: its alerts are collected into a digest this often (every destination)


@dataclass(frozen=True, slots=True)
class WatchlistInfo:
    """What the rest of the daemon may know about a compiled watchlist."""

    name: str
    query: str
    fields: tuple[str, ...]
    destinations: tuple[str, ...] | None
    file: str | None
    line: int | None
    urgent: bool = False  # its alerts go through quiet hours and digests at once
    digest: float | None = None  # seconds: its alerts are collected into a digest this often (every destination)
