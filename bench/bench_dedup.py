"""Benchmark: the near-duplicate clusterer at windows of 10,000 / 100,000 / 1,000,000 stories, against a naive
baseline that compares each story with every story of the window.

Run ``python bench/bench_dedup.py [--quick]``; ``bench(quick)`` returns the rows for a report.

The generated world is deterministic (seeded). Stories (~600 characters: a headline, a one-sentence summary
and a content of five or six sentences) draw words from a Zipf-distributed vocabulary, so common words and
phrases recur as in news text. A third of the stories are copies of a story from the last few hours: retitled
with a dateline and a footer, trimmed to their first sentences, cut to a summary-only item, or re-issued
with an "UPDATE 1-" prefix and a sentence dropped.

Each window is filled with ``restore()`` (what the daemon does at start-up), then the measured stories go
through ``add()`` at the same rate, so every add also expires the oldest story: the steady state. The cost
per story covers footprint, retrieval, verification, insertion and expiry. Memory is what the clusterer holds
per story in the window (``sys.getsizeof`` over its columns and index) and, as a cross-check, the growth of
the process's resident memory while filling.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedup import Clusterer, DedupConfig
from monitor.model import Story

SEED = 20261119
VOCABULARY = 20_000
ZIPF = 1.07
FEEDS = 400
COPY_SHARE = 1 / 3  # of all stories
RECENT = 2_000  # copies are made of one of the last RECENT originals
WINDOW = timedelta(hours=72)
START = datetime(2026, 2, 17, tzinfo=UTC)
ONSETS = ["b", "br", "ch", "d", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "sh",
          "st", "t", "tr", "v", "w", "z"]  # fmt: skip
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
CODAS = ["", "", "n", "r", "s", "l", "m", "k", "nd", "st"]
CITIES = ["SEOUL", "WASHINGTON", "BEIJING", "LONDON", "NEW DELHI", "LAGOS", "PARIS", "TOKYO"]
AGENCIES = ["Yonhap", "Reuters", "AP", "AFP", "PTI"]


@dataclass(frozen=True)
class Original:
    title: str
    sentences: tuple[str, ...]


class World:
    """Deterministic story generator: originals and copies of recent originals."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        words = {self._word() for _ in range(VOCABULARY * 2)}
        self.vocabulary = sorted(words)[:VOCABULARY]
        self.rng.shuffle(self.vocabulary)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) ** ZIPF for rank in range(VOCABULARY)))
        self.recent: deque[Original] = deque(maxlen=RECENT)
        self.serial = 0
        self.copies = 0

    def _word(self) -> str:
        syllables = self.rng.choice((1, 1, 2, 2, 2, 3))
        return "".join(self.rng.choice(ONSETS) + self.rng.choice(VOWELS) + self.rng.choice(CODAS)
                       for _ in range(syllables))  # fmt: skip

    def _words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)

    def _sentence(self) -> str:
        words = self._words(self.rng.randint(12, 22))
        return " ".join(words).capitalize() + "."

    def story(self, when: datetime) -> tuple[Story, bool]:
        """The next story and whether it is a copy."""
        self.serial += 1
        if self.recent and self.rng.random() < COPY_SHARE:
            self.copies += 1
            title, summary, content = self._copy(self.rng.choice(self.recent))
            copied = True
        else:
            original = Original(" ".join(self._words(self.rng.randint(7, 12))).capitalize(),
                                tuple(self._sentence() for _ in range(self.rng.randint(5, 6))))  # fmt: skip
            self.recent.append(original)
            title, summary, content = original.title, original.sentences[0], " ".join(original.sentences)
            copied = False
        feed = f"https://feed{self.serial % FEEDS}.test/rss"
        link = f"https://feed{self.serial % FEEDS}.test/story/{self.serial}"
        story = Story(str(self.serial), feed, f"feed {self.serial % FEEDS}", title, summary, content, link, when, when)
        return story, copied

    def _retitle(self, original: Original) -> str:
        """A rewritten headline: some of the original's words, some of the lede's, in a new order."""
        kept = [w for w in original.title.lower().split() if self.rng.random() < 0.6]
        lede = original.sentences[0].rstrip(".").lower().split()
        words = kept + self.rng.sample(lede, k=min(len(lede), self.rng.randint(2, 4)))
        self.rng.shuffle(words)
        return " ".join(words).capitalize()

    def _copy(self, original: Original) -> tuple[str, str, str]:
        rng = self.rng
        sentences = list(original.sentences)
        kind = rng.randrange(4)
        if kind == 0:  # retitled, with a dateline and a footer
            dateline = f"{rng.choice(CITIES)}, Feb. 17 ({rng.choice(AGENCIES)}) -- "
            text = dateline + " ".join(sentences) + " (END)"
            return self._retitle(original), dateline + sentences[0], text
        if kind == 1:  # trimmed to its first sentences
            kept = sentences[: rng.randint(2, len(sentences) - 1)]
            return original.title, kept[0], " ".join(kept)
        if kind == 2:  # summary only, under a new headline
            return self._retitle(original), " ".join(sentences[:2]), ""
        del sentences[rng.randrange(1, len(sentences))]  # re-issued with a sentence dropped
        return "UPDATE 1-" + original.title, sentences[0], " ".join(sentences)


def stories(world: World, count: int, start: datetime, step: timedelta) -> Iterator[tuple[Story, bool]]:
    for n in range(count):
        yield world.story(start + n * step)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def measure(size: int, incoming: int, naive: bool) -> list[dict[str, object]]:
    world = World(SEED)
    step = WINDOW / size
    clusterer = Clusterer(DedupConfig(window=WINDOW))
    gc.collect()
    rss = _rss()
    started = time.perf_counter()
    for story, _ in stories(world, size, START, step):
        clusterer.restore(story, story.key)
    fill = time.perf_counter() - started
    gc.collect()
    grown = _rss() - rss
    held = clusterer.held_bytes()
    costs: list[float] = []
    joined = merged_wrongly = copies = 0
    sample: list[Story] = []
    for story, copied in stories(world, incoming, START + size * step, step):
        began = time.perf_counter()
        assignment = clusterer.add(story)
        costs.append(time.perf_counter() - began)
        copies += copied
        joined += copied and assignment.duplicate_of is not None
        merged_wrongly += not copied and assignment.duplicate_of is not None
        if len(sample) < 40:
            sample.append(story)
    mean = statistics.fmean(costs) * 1000
    p99 = statistics.quantiles(costs, n=100)[98] * 1000
    rows: list[dict[str, object]] = [
        {"benchmark": "dedup", "case": f"add, window {size:,}", "value": mean, "unit": "ms/story",
         "note": f"p50 {statistics.median(costs) * 1000:.3f}, p99 {p99:.3f} over {incoming:,} stories; "
                 f"{joined}/{copies} copies joined, {merged_wrongly} originals merged; fill {fill:.0f} s"},
        {"benchmark": "dedup", "case": f"memory, window {size:,}", "value": held / len(clusterer),
         "unit": "bytes/story", "note": f"{held / 2**20:,.0f} MiB held; process grew {grown / size:,.0f} B/story"},
    ]  # fmt: skip
    if naive:
        rows.append(_naive(clusterer, world, size, sample, mean))
    return rows


def _naive(clusterer: Clusterer, world: World, size: int, sample: list[Story], fast: float) -> dict[str, object]:
    """Compare each sampled story with every story of a same-size window, rapidfuzz's C loop doing the work."""
    del clusterer
    texts = [s.title + " " + s.content for s, _ in stories(World(SEED + 1), size, START, WINDOW / size)]
    began = time.perf_counter()
    for story in sample:
        process.extractOne(story.title + " " + story.content, texts, scorer=fuzz.token_set_ratio, score_cutoff=90)
    per_story = (time.perf_counter() - began) / len(sample) * 1000
    return {"benchmark": "dedup", "case": f"naive rapidfuzz, window {size:,}", "value": per_story,
            "unit": "ms/story", "note": f"token_set_ratio against every story, {len(sample)} stories; "
                                        f"{per_story / fast:,.0f}x the clusterer; linear in the window"}  # fmt: skip


def bench(quick: bool) -> list[dict[str, object]]:
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    rows: list[dict[str, object]] = []
    for size in sizes:
        rows += measure(size, 2_000 if quick else 5_000, naive=size == 10_000)
        gc.collect()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="windows of 10,000 and 100,000 only")
    args = parser.parse_args(argv)
    for row in bench(args.quick):
        print(f"{row['case']:<34} {row['value']:>10,.3f} {row['unit']:<12} {row['note']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
