"""Real feeds from /work/shared/corpus: each parses or raises FeedError, and agrees with feed-rs's parse.

Skips where ../shared is absent; the corpus is read in place, never copied into the repository.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from monitor.errors import FeedError
from monitor.model import ParsedFeed
from monitor.normalize import html_to_text
from monitor.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
BASE_URL = "https://corpus.example/feed"
REFERENCE = ".serde.json"  # feed-rs's own parse, beside the feed it describes
# Agreement floors, a little under what this parser reaches (see the report printed by -s).
FLOORS = {"feed title": 0.95, "feed link": 0.9, "entry count": 0.95, "title": 0.95, "link": 0.95, "id": 0.95}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


def _is_feed_file(path: Path) -> bool:
    name = path.name
    return path.is_file() and not (name.startswith(("LICENSE", "README")) or name.endswith(REFERENCE))


@cache
def _parse(path: Path) -> ParsedFeed | FeedError:
    try:
        return parse_feed(path.read_bytes(), url=BASE_URL)
    except FeedError as exc:
        return exc


def test_every_corpus_feed_parses_or_raises_feed_error() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if _is_feed_file(p))
    assert len(files) > 300
    crashes = []
    for path in files:
        try:
            _parse(path)
        except Exception as exc:  # anything but FeedError is a bug, listed with its file
            crashes.append(f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
    outcomes = Counter("parsed" if isinstance(_parse(p), ParsedFeed) else "FeedError" for p in files)
    print(f"\ncorpus: {len(files)} feeds, {dict(outcomes)}")
    assert not crashes, "\n".join(crashes)


@dataclass
class Tally:
    agreed: Counter[str]
    compared: Counter[str]

    def check(self, field: str, agrees: bool) -> None:
        self.compared[field] += 1
        self.agreed[field] += agrees

    def rate(self, field: str) -> float:
        return self.agreed[field] / self.compared[field]


def _text(value: str | None) -> str:
    return html_to_text(value)


def _same_url(ours: str | None, theirs: str) -> bool:
    """feed-rs keeps relative links as published; we resolve them. Case of host and a bare '/' path aside."""
    if ours is None:
        return False
    resolved = urljoin(ours, theirs)

    def canon(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query

    return canon(ours) == canon(resolved)


def _links(node: dict[str, object]) -> list[str]:
    links = node.get("links")
    return [str(link["href"]) for link in links if isinstance(link, dict)] if isinstance(links, list) else []


def _content(node: object) -> str | None:
    return str(node["content"]) if isinstance(node, dict) and node.get("content") is not None else None


def _compare(feed: ParsedFeed, reference: dict[str, object], source: bytes, tally: Tally) -> None:
    tally.check("feed title", _text(feed.title) == _text(_content(reference.get("title"))))
    links = _links(reference)
    if links or feed.link:
        tally.check("feed link", any(_same_url(feed.link, link) for link in links))
    entries = reference.get("entries")
    assert isinstance(entries, list)
    tally.check("entry count", len(entries) == len(feed.entries))
    for ours, theirs in zip(feed.entries, entries, strict=False):
        tally.check("title", _text(ours.title) == _text(_content(theirs.get("title"))))
        their_links = _links(theirs)
        if their_links:  # where feed-rs found none, a permalink guid may still give us one: not compared
            tally.check("link", any(_same_url(ours.link, link) for link in their_links))
        their_id = str(theirs.get("id"))
        if their_id.encode() in source:  # otherwise feed-rs made the id up (a hash) and there is nothing to match
            tally.check("id", ours.guid == their_id)


def test_agreement_with_feed_rs() -> None:
    tally = Tally(Counter(), Counter())
    for reference_path in sorted(CORPUS.rglob("*" + REFERENCE)):
        stem = reference_path.name.removesuffix(REFERENCE)
        (feed_path,) = [p for p in reference_path.parent.glob(stem + ".*") if _is_feed_file(p)]
        parsed = _parse(feed_path)
        assert isinstance(parsed, ParsedFeed), f"{feed_path}: {parsed}"
        _compare(parsed, json.loads(reference_path.read_bytes()), feed_path.read_bytes(), tally)
    print()
    for field in FLOORS:
        print(f"agreement {field:12}: {tally.agreed[field]}/{tally.compared[field]} = {tally.rate(field):.1%}")
    short = [field for field, floor in FLOORS.items() if tally.rate(field) < floor]
    assert not short, f"agreement below the floor for {short}"
