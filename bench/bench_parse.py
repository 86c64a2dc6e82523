"""Benchmark: parse_feed milliseconds per feed — generated 50- and 500-item RSS feeds, and the shared corpus.

Run ``python bench/bench_parse.py [--quick]``; ``bench(quick)`` returns the rows for a report.
The generated items look like wire stories: a title, a ~400-character HTML description, a guid, a date.
The corpus figure is the mean over every feed in ../shared/corpus/feeds (skipped where that is absent).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.errors import FeedError
from monitor.parse import parse_feed

SEED = 20260218
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
WORDS = ("port", "harbour", "ship", "crane", "berth", "strike", "ferry", "cargo", "grain", "pilot", "quay", "tug",
         "storm", "delay", "customs")  # fmt: skip
START = datetime(2024, 11, 18, tzinfo=UTC)


def generated_feed(items: int, seed: int = SEED) -> bytes:
    rng = random.Random(seed)
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench Wire</title>',
             "<link>https://bench.example/</link><description>generated</description>"]  # fmt: skip
    for n in range(items):
        title = " ".join(rng.choices(WORDS, k=8)).capitalize()
        body = "<p>" + " ".join(rng.choices(WORDS, k=60)) + " <b>" + rng.choice(WORDS) + "</b>.</p>"
        parts.append(
            f"<item><title>{escape(title)}</title><link>https://bench.example/story/{n}</link>"
            f"<guid isPermaLink='false'>bench-{n}</guid><pubDate>{format_datetime(START - timedelta(minutes=n))}"
            f"</pubDate><description>{escape(body)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _ms_per_parse(body: bytes, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        parse_feed(body, url="https://bench.example/feed")
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _corpus_mean_ms() -> tuple[float, int, int]:
    """(mean ms per feed, feeds, of which FeedError) over the corpus, each feed parsed once."""
    files = [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and not p.name.startswith(("LICENSE", "README"))
             and not p.name.endswith(".serde.json")]  # fmt: skip
    timings, refused = [], 0
    for path in files:
        body = path.read_bytes()
        started = time.perf_counter()
        try:
            parse_feed(body, url="https://corpus.example/feed")
        except FeedError:
            refused += 1
        timings.append(time.perf_counter() - started)
    return statistics.mean(timings) * 1000, len(files), refused


def bench(quick: bool) -> list[dict[str, object]]:
    repeats = 3 if quick else 15
    rows: list[dict[str, object]] = []
    for items in (50, 500):
        body = generated_feed(items)
        rows.append({
            "benchmark": "parse", "case": f"generated RSS 2.0, {items} items", "value": _ms_per_parse(body, repeats),
            "unit": "ms/feed", "note": f"{len(body) / 1000:,.0f} KB, median of {repeats}",
        })  # fmt: skip
    if CORPUS.is_dir():
        mean, feeds, refused = _corpus_mean_ms()
        rows.append({
            "benchmark": "parse", "case": "shared corpus, mean", "value": mean, "unit": "ms/feed",
            "note": f"{feeds} real feeds ({refused} FeedError), each parsed once",
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for row in bench(parser.parse_args().quick):
        print(f"{row['case']:36} {row['value']:10.2f} {row['unit']}  {row['note']}")


if __name__ == "__main__":
    main()
