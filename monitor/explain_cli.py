"""`wiremon match` (explain which watchlists a story matches, and why not) and `wiremon replay --since`.

The I/O shell around ``monitor.match.explain`` and ``monitor.backtest``: read the stories (a JSON story or
JSONL, a feed file, a URL, stdin), explain them, print text or JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from monitor.backtest import load_stored, parse_since, render_summary, run_backtest
from monitor.errors import FeedError, WiremonError
from monitor.fetch import (
    Failed,
    Fetched,
    Fetcher,
    FetchOutcome,
    Gone,
    NotModified,
    RateLimited,
    Validators,
    make_session,
)
from monitor.match import Matcher, load_watchlists
from monitor.match.evaluate import FIELD_ORDER
from monitor.match.explain import Explainer, Reason, StoryExplanation, WatchlistExplanation
from monitor.model import RawEntry, Story
from monitor.normalize import normalize_entry
from monitor.parse import parse_feed
from monitor.replay import arrivals
from monitor.settings import load_settings

PLAIN_MARKS = ("[[", "]]")
BOLD_MARKS = ("\x1b[1m", "\x1b[0m")
SNIPPET_CONTEXT = 40  # characters of context either side of a highlighted passage
SNIPPET_JOIN = 80  # highlights closer than this share one passage
MAX_PASSAGES = 3  # passages quoted from one field
WORD_REACH = 20  # how far a passage edge moves to land between words
WHOLE_FIELD = 200  # a field this short (a title, most summaries) is quoted whole
_STATUS_LABEL = {"match": "MATCH", "near_miss": "NEAR MISS", "no_match": "no match"}


def watchlists_for(args: argparse.Namespace) -> Matcher:
    """--watchlists, else the watchlists of --config."""
    path = args.watchlists if args.watchlists is not None else load_settings(args.config).watchlists_path
    return load_watchlists(path)


# --- reading stories ------------------------------------------------------------------------------------


def read_stories(source: str, now: datetime, stdin: BinaryIO) -> list[tuple[str, Story]]:
    """(id, Story) for each story in a file, at a URL, or on stdin ('-')."""
    if source.startswith(("http://", "https://")):
        fetched = asyncio.run(fetch(source))
        feed = parse_feed(fetched.body, url=fetched.final_url, content_type=fetched.content_type)
        return _feed_stories(feed.title, feed.entries, fetched.final_url, now)
    if source == "-":
        return stories_from_bytes(stdin.read(), "-", now)
    try:
        body = Path(source).read_bytes()
    except OSError as exc:
        raise WiremonError(f"cannot read {source}: {exc.strerror or exc}") from exc
    return stories_from_bytes(body, source, now)


def stories_from_bytes(body: bytes, origin: str, now: datetime) -> list[tuple[str, Story]]:
    """JSON (one story, a list, JSONL or a JSON Feed), else a feed if it looks like XML, else plain text."""
    text = body.decode("utf-8-sig", errors="replace")
    lines = _story_lines(text)
    if lines is not None:
        return list(arrivals(lines, now))
    if text.lstrip().startswith("<") or _is_json_feed(text):
        feed = parse_feed(body, url=origin if "://" in origin else "")
        return _feed_stories(feed.title, feed.entries, origin, now)
    first, _, rest = text.strip().partition("\n")
    entry = RawEntry(guid=origin, link=None, title=first, summary=rest, content=None, published=None)
    return [(origin, normalize_entry(entry, feed_url=origin, source=origin, now=now))]


def _story_lines(text: str) -> list[str] | None:
    """Stories in the replay input format, one JSON object a line; None when the text is not JSON stories."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text.splitlines() if text.lstrip().startswith("{") else None  # JSONL: replay reports bad lines
    if _is_json_feed(data):
        return None
    items = data if isinstance(data, list) else [data]
    numbered = enumerate(items, start=1)
    return [json.dumps({"id": f"story {n}", **item} if isinstance(item, dict) else item) for n, item in numbered]


def _is_json_feed(data: object) -> bool:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            return False
    version = data.get("version") if isinstance(data, dict) else None
    return isinstance(version, str) and version.startswith("https://jsonfeed.org/")


def _feed_stories(title: str | None, entries: Sequence[RawEntry], url: str, now: datetime) -> list[tuple[str, Story]]:
    stories = [normalize_entry(entry, feed_url=url, source=title or url, now=now) for entry in entries]
    return [(story.id, story) for story in stories]


async def fetch(url: str) -> Fetched:
    """The body at url, with the daemon's session settings; FeedError when it cannot be had."""
    async with make_session() as session:
        outcome = await Fetcher(session).fetch(url, Validators())
    if isinstance(outcome, Fetched):
        return outcome
    raise FeedError(f"{url}: {_describe(outcome)}")


def _describe(outcome: FetchOutcome) -> str:
    if isinstance(outcome, Failed):
        return outcome.reason
    if isinstance(outcome, Gone):
        return f"HTTP {outcome.status}: the feed is gone"
    if isinstance(outcome, RateLimited):
        return f"HTTP {outcome.status}: rate limited, try again later"
    assert isinstance(outcome, NotModified)
    return "HTTP 304 without a body"


# --- rendering ----------------------------------------------------------------------------------------------


def snippet(text: str, spans: Sequence[tuple[int, int]], marks: tuple[str, str]) -> str:
    """The passages of text around the spans, each span wrapped in marks; '…' where text was cut."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    groups: list[list[list[int]]] = []
    for span in merged:
        if groups and span[0] - groups[-1][-1][1] <= SNIPPET_JOIN:
            groups[-1].append(span)
        else:
            groups.append([span])
    if len(text) <= WHOLE_FIELD:
        groups = [merged]
    return " ".join(_passage(text, group, marks) for group in groups[:MAX_PASSAGES])


def _passage(text: str, group: list[list[int]], marks: tuple[str, str]) -> str:
    context = len(text) if len(text) <= WHOLE_FIELD else SNIPPET_CONTEXT
    lo = _between_words(text, max(0, group[0][0] - context), -1)
    hi = _between_words(text, min(len(text), group[-1][1] + context), 1)
    out, at = [], lo
    for start, end in group:
        out += [text[at:start], marks[0], text[start:end], marks[1]]
        at = end
    out.append(text[at:hi])
    return ("…" if lo > 0 else "") + "".join(out).strip() + ("…" if hi < len(text) else "")


def _between_words(text: str, at: int, step: int) -> int:
    """Move a cut at most WORD_REACH characters (back for a start, on for an end) to fall on white space."""
    for moved in range(WORD_REACH):
        here = at + moved * step
        if here <= 0 or here >= len(text):
            return max(0, min(len(text), here))
        if text[here - 1 if step < 0 else here].isspace():
            return here
    return at


def field_snippets(
    explanation: StoryExplanation, watchlist: WatchlistExplanation, marks: tuple[str, str]
) -> dict[str, str]:
    """Field name → a snippet with the watchlist's matching words highlighted, for fields that have some."""
    out = {}
    for field_no, name in enumerate(FIELD_ORDER):
        spans = [(s, e) for f, s, e in watchlist.spans if f == field_no]
        if spans:
            out[name] = snippet(explanation.fields[field_no].text, spans, marks)
    return out


def shown(explanation: StoryExplanation, show_all: bool) -> list[WatchlistExplanation]:
    """Matches first, then near misses, then (with --all) the rest; by name within each."""
    order = {"match": 0, "near_miss": 1, "no_match": 2}
    chosen = [w for w in explanation.watchlists if show_all or w.status != "no_match"]
    return sorted(chosen, key=lambda w: (order[w.status], w.name))


def render_text(explanation: StoryExplanation, marks: tuple[str, str], show_all: bool) -> str:
    story = explanation.story
    matched = sum(w.status == "match" for w in explanation.watchlists)
    title = story.title or "(no title)"
    about = [f"id {story.id}"] + ([f"from {story.source}"] if story.source and story.source != story.id else [])
    about.append(f"{matched} of {len(explanation.watchlists)} watchlists match")
    lines = [f"{marks[0]}{title}{marks[1]}" if marks == BOLD_MARKS else title, "  " + " · ".join(about)]
    listed = shown(explanation, show_all)
    if not listed:
        lines.append("  no watchlist matches, and none came close (--all lists them all)")
    for watchlist in listed:
        lines.append(f"  {_STATUS_LABEL[watchlist.status]} {watchlist.name}: {watchlist.query}")
        lines += ["      " + line for line in _details(explanation, watchlist, marks)]
    return "\n".join(lines)


def _details(explanation: StoryExplanation, watchlist: WatchlistExplanation, marks: tuple[str, str]) -> list[str]:
    if watchlist.status == "match":
        out = _hit_lines(watchlist) + list(watchlist.notes)
        return out + [f"{name}: {text}" for name, text in field_snippets(explanation, watchlist, marks).items()]
    if watchlist.status == "no_match":
        return ["none of the terms it looks for is present"]
    evidence = [reason.message for reason in watchlist.reasons if reason.kind != "missing"]
    return evidence + [reason.message for reason in watchlist.reasons if reason.kind == "missing"]


def _hit_lines(watchlist: WatchlistExplanation) -> list[str]:
    """One line per query term: "russia — title: 'Russia'; summary: 'Russian', 'Russia'"."""
    found: dict[str, dict[str, dict[str, None]]] = {}
    for hit in watchlist.hits:
        found.setdefault(hit.operand, {}).setdefault(hit.field, {})[hit.text] = None
    return [
        f"{operand} — "
        + "; ".join(f"{field}: " + ", ".join(f"'{t}'" for t in texts) for field, texts in by_field.items())
        for operand, by_field in found.items()
    ]


def to_json(explanation: StoryExplanation, show_all: bool) -> dict[str, Any]:
    story = explanation.story
    return {
        "id": story.id,
        "title": story.title,
        "source": story.source,
        "link": story.link,
        "matches": [w.name for w in explanation.watchlists if w.status == "match"],
        "watchlists": [_watchlist_json(explanation, w) for w in shown(explanation, show_all)],
    }


def _watchlist_json(explanation: StoryExplanation, watchlist: WatchlistExplanation) -> dict[str, Any]:
    return {
        "name": watchlist.name,
        "query": watchlist.query,
        "status": watchlist.status,
        "terms": list(watchlist.terms),
        "hits": [
            {"term": h.operand, "field": h.field, "text": h.text, "start": h.start, "end": h.end}
            for h in watchlist.hits
        ],
        "proximity": list(watchlist.notes),
        "snippets": field_snippets(explanation, watchlist, PLAIN_MARKS),
        "reasons": [_reason_json(reason) for reason in watchlist.reasons],
    }


def _reason_json(reason: Reason) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": reason.kind, "message": reason.message, "operand": reason.operand}
    if reason.fields:
        out["fields"] = list(reason.fields)
    if reason.found:
        out["found"] = list(reason.found)
    for key, value in (("gap", reason.gap), ("score", reason.score), ("threshold", reason.threshold)):
        if value is not None:
            out[key] = round(value, 1) if isinstance(value, float) else value
    return out


def _marks(out: TextIO, no_color: bool) -> tuple[str, str]:
    """ANSI bold on a terminal (unless --no-color or NO_COLOR is set), [[…]] elsewhere."""
    if no_color or os.environ.get("NO_COLOR") or not out.isatty():
        return PLAIN_MARKS
    return BOLD_MARKS


# --- commands -----------------------------------------------------------------------------------------------


def run_match(args: argparse.Namespace, out: TextIO | None = None, stdin: BinaryIO | None = None) -> int:
    """`wiremon match`: explain each input story against every watchlist."""
    out = out or sys.stdout
    matcher = watchlists_for(args)
    stories = read_stories(args.input, datetime.now(UTC), stdin or sys.stdin.buffer)
    if not stories:
        raise WiremonError(f"{args.input}: no stories found")
    explainer = Explainer.of(matcher)
    marks = _marks(out, args.no_color)
    for number, (_, story) in enumerate(stories):
        explanation = explainer.explain(story)
        if args.json:
            out.write(json.dumps(to_json(explanation, args.all), ensure_ascii=False) + "\n")
        else:
            out.write(("\n" if number else "") + render_text(explanation, marks, args.all) + "\n")
    return 0


def run_replay_since(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`wiremon replay --since`: the store's recent stories against the current watchlists."""
    out = out or sys.stdout
    now = datetime.now(UTC)
    since = parse_since(args.since, now)
    settings = load_settings(args.config)
    matcher = load_watchlists(args.watchlists if args.watchlists is not None else settings.watchlists_path)
    stored = asyncio.run(load_stored(settings.store_location, since))
    if args.output is not None:
        with open(args.output, "w", encoding="utf-8") as lines:
            result = run_backtest(matcher, stored, lines)
    else:
        result = run_backtest(matcher, stored, None)
    out.write(render_summary(result, since) + "\n")
    return 0
