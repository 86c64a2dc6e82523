"""Read watchlist files (one YAML file, or every *.yaml / *.yml in a folder) into a compiled Matcher.

Actors declared in any file of a folder may be used by the watchlists of every file. Every mistake comes
back as a located Problem inside one ConfigError, after all files have been read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError, Problem
from monitor.match.compile import compile_matcher
from monitor.match.matcher import Matcher
from monitor.match.query import FIELDS
from monitor.match.spec import DEFAULT_FUZZY_THRESHOLD, ActorSpec, WatchlistSpec
from monitor.settings.models import parse_duration
from monitor.settings.yamlsrc import Loc, Located, load_yaml
from monitor.settings.yamlsrc import dotted as dotted_loc

TOP_KEYS = frozenset({"actors", "watchlists"})
ACTOR_KEYS = frozenset({"names", "fuzzy"})
WATCHLIST_KEYS = frozenset({"name", "query", "fields", "destinations", "urgent", "digest"})
SUFFIXES = (".yaml", ".yml")


def watchlist_files(path: str | os.PathLike[str]) -> list[Path]:
    """The file itself, or the folder's *.yaml / *.yml files sorted by name."""
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in SUFFIXES and p.is_file())
        if not files:
            raise ConfigError([Problem("no *.yaml or *.yml watchlist files in this folder", str(root))])
        return files
    if not root.exists():
        raise ConfigError([Problem("no such watchlist file or folder", str(root))])
    return [root]


def load_watchlists(path: str | os.PathLike[str]) -> Matcher:
    """Read, check and compile watchlists; raises ConfigError with every problem found."""
    problems: list[Problem] = []
    actors: list[ActorSpec] = []
    watchlists: list[WatchlistSpec] = []
    for file in watchlist_files(path):
        try:
            located = load_yaml(file, expand_env=False)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        reader = _FileReader(located, problems)
        actors.extend(reader.actors())
        watchlists.extend(reader.watchlists())
    try:
        matcher = compile_matcher(actors, watchlists)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return matcher


@dataclass
class _FileReader:
    located: Located
    problems: list[Problem]

    def __post_init__(self) -> None:
        data = self.located.data
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.report("a watchlist file is a mapping with 'actors:' and 'watchlists:'", ())
            data = {}
        self.data: dict[str, Any] = data
        self.unknown_keys(data, TOP_KEYS, ())

    def report(self, message: str, loc: Loc) -> None:
        self.problems.append(self.located.problem(message, loc))

    def unknown_keys(self, mapping: dict[Any, Any], allowed: frozenset[str], loc: Loc) -> None:
        for key in mapping:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.report(f"unknown key '{key}' (expected: {expected})", (*loc, str(key)))

    def strings(self, value: Any, loc: Loc, what: str) -> tuple[str, ...] | None:
        """A non-empty list of non-empty strings, or None after reporting."""
        if isinstance(value, list) and not value:
            self.report(f"{what} is empty", loc)
            return None
        if not isinstance(value, list):
            self.report(f"{what} must be a list", loc)
            return None
        good = True
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.report(f"{what} must be non-empty strings", (*loc, i))
                good = False
        return tuple(value) if good else None

    def actors(self) -> list[ActorSpec]:
        section = self.data.get("actors")
        if section is None:
            return []
        if not isinstance(section, dict):
            self.report("actors must be a mapping of actor id to {names: [...]}", ("actors",))
            return []
        out = []
        for actor_id, body in section.items():
            actor = self.actor(str(actor_id), body, ("actors", str(actor_id)))
            if actor is not None:
                out.append(actor)
        return out

    def actor(self, actor_id: str, body: Any, loc: Loc) -> ActorSpec | None:
        if not isinstance(body, dict):
            self.report(f"actor '{actor_id}' must be a mapping with names: [...]", loc)
            return None
        self.unknown_keys(body, ACTOR_KEYS, loc)
        if "names" not in body:
            self.report(f"actor '{actor_id}' has no names", loc)
            return None
        if body["names"] in ([], None):
            self.report(f"actor '{actor_id}' has no names", (*loc, "names"))
            return None
        names = self.strings(body["names"], (*loc, "names"), f"actor '{actor_id}': names")
        fuzzy = self.fuzzy(body.get("fuzzy", False), (*loc, "fuzzy"))
        if names is None:
            return None
        line, _ = self.located.place(loc)
        return ActorSpec(actor_id, names, fuzzy, self.located.file, line)

    def fuzzy(self, value: Any, loc: Loc) -> float | None:
        """false: exact names only; true: the default threshold; a number: the threshold (0-1 or 0-100)."""
        if value is False or value is None:
            return None
        if value is True:
            return DEFAULT_FUZZY_THRESHOLD
        if isinstance(value, int | float) and 0 < value <= 100:
            return float(value) * 100 if value <= 1 else float(value)
        self.report("fuzzy must be true, false or a similarity threshold (0-1 or 0-100)", loc)
        return None

    def watchlists(self) -> list[WatchlistSpec]:
        section = self.data.get("watchlists")
        if section is None:
            return []
        if not isinstance(section, list):
            self.report("watchlists must be a list", ("watchlists",))
            return []
        out = []
        for i, body in enumerate(section):
            spec = self.watchlist(body, ("watchlists", i))
            if spec is not None:
                out.append(spec)
        return out

    def watchlist(self, body: Any, loc: Loc) -> WatchlistSpec | None:
        if not isinstance(body, dict):
            self.report("a watchlist is a mapping with name: and query:", loc)
            return None
        self.unknown_keys(body, WATCHLIST_KEYS, loc)
        good = True
        for key in ("name", "query"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                self.report(f"{key} is required (a non-empty string)", (*loc, key) if key in body else loc)
                good = False
        _, fields = self.optional_strings(body, "fields", loc)
        if fields is not None:
            for i, name in enumerate(fields):
                if name not in FIELDS:
                    self.report(f"unknown field '{name}' (expected: {', '.join(FIELDS)})", (*loc, "fields", i))
            fields = tuple(f for f in fields if f in FIELDS) or None  # the query is still checked
        _, destinations = self.optional_strings(body, "destinations", loc)
        urgent = body.get("urgent", False)
        if not isinstance(urgent, bool):
            self.report("urgent must be true or false", (*loc, "urgent"))
            good = False
        ok, digest = self.digest(body, urgent is True, loc)
        good = good and ok
        if not good:
            return None
        line, _ = self.located.place(loc)
        return WatchlistSpec(
            name=body["name"],
            query=body["query"],
            fields=fields,
            destinations=destinations,
            file=self.located.file,
            line=line,
            place=self.query_placer(body["name"], (*loc, "query")),
            urgent=urgent,
            digest=digest,
        )

    def digest(self, body: dict[str, Any], urgent: bool, loc: Loc) -> tuple[bool, float | None]:
        """(ok, the watchlist's own digest period in seconds, or None when absent)."""
        if "digest" not in body:
            return True, None
        where = (*loc, "digest")
        try:
            period = parse_duration(body["digest"])
        except ValueError as exc:
            self.report(f"digest: {exc}", where)
            return False, None
        if not 60 <= period <= 86400:
            self.report("digest is a period from 1m to 1d, e.g. 1h", where)
            return False, None
        if urgent:
            self.report("an urgent watchlist is never held for a digest: remove urgent or digest", where)
            return False, None
        return True, period

    def optional_strings(self, body: dict[str, Any], key: str, loc: Loc) -> tuple[bool, tuple[str, ...] | None]:
        """(ok, the list under key or None when absent); ok is False after reporting a problem."""
        if key not in body:
            return True, None
        value = self.strings(body[key], (*loc, key), key)
        return value is not None, value

    def query_placer(self, name: str, loc: Loc) -> Callable[[int, str], Problem]:
        located = self.located
        key_line, key_column = located.place(loc)

        def place(offset: int, message: str) -> Problem:
            line, column = locate_in_scalar(located.lines, key_line, key_column, offset)
            excerpt = None
            if line is not None and column is not None:
                excerpt = "    " + located.lines[line - 1] + "\n    " + " " * (column - 1) + "^"
            return Problem(message, located.file, line, column, dotted_loc(loc), excerpt)

        return place


def locate_in_scalar(
    lines: list[str], key_line: int | None, key_column: int | None, offset: int
) -> tuple[int | None, int | None]:
    """The (line, column) in the file of character ``offset`` of the value of the key at key_line:key_column.

    Exact for values on one line (plain, 'single' or "double" quoted) and for block scalars (| and >);
    multi-line flow scalars fall back to their first line.
    """
    if key_line is None or key_column is None or not 0 < key_line <= len(lines):
        return key_line, key_column
    text = lines[key_line - 1]
    colon = text.find(":", key_column - 1)
    if colon < 0:
        return key_line, key_column
    start = colon + 1
    while start < len(text) and text[start] in " \t":
        start += 1
    if start >= len(text) or text[start] in "|>":
        return _locate_in_block(lines, key_line, offset)
    quote = text[start] if text[start] in "'\"" else ""
    raw = start + len(quote)
    for _ in range(offset):
        if raw >= len(text):
            break
        raw += _raw_width(text, raw, quote)
    return key_line, min(raw, len(text)) + 1


def _raw_width(text: str, raw: int, quote: str) -> int:
    """How many source characters one character of a scalar's value takes."""
    if quote == "'" and text.startswith("''", raw):
        return 2
    if quote == '"' and text[raw] == "\\":
        return _ESCAPE_WIDTHS.get(text[raw + 1 : raw + 2], 2)
    return 1


_ESCAPE_WIDTHS = {"x": 4, "u": 6, "U": 10}


def _locate_in_block(lines: list[str], key_line: int, offset: int) -> tuple[int | None, int | None]:
    """Walk the indented lines after the key; each contributes its text plus one newline or space."""
    remaining = offset
    for number in range(key_line + 1, len(lines) + 1):
        text = lines[number - 1]
        body = text.lstrip()
        if not body:
            remaining -= 1
            continue
        indent = len(text) - len(body)
        if remaining <= len(body):
            return number, indent + remaining + 1
        remaining -= len(body) + 1
    return key_line, None
