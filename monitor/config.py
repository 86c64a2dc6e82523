"""config: the daemon config and its watchlists, loaded and validated together — at start-up, by `wiremon
check`, and on every reload. Every problem is reported at once, each with its place.
"""

from __future__ import annotations

from pathlib import Path

from monitor.errors import ConfigError, Problem
from monitor.match import Matcher, load_watchlists
from monitor.settings import Settings, load_settings


def load_all(config: Path) -> tuple[Settings, Matcher]:
    settings = load_settings(config)
    matcher = load_watchlists(settings.watchlists_path)
    known = {d.name for d in settings.effective_destinations()}
    problems = [
        Problem(
            f"watchlist {w.name!r} sends to unknown destination {name!r} (known: {', '.join(sorted(known))})",
            str(w.file),
            w.line,
            None,
            "destinations",
        )
        for w in matcher.watchlists
        for name in (w.destinations or ())
        if name not in known
    ]
    if problems:
        raise ConfigError(problems)
    return settings, matcher
