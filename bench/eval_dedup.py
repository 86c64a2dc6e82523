"""Score the clusterer on the deduplication development sets (not part of the repo; see their README).

    python -m bench.eval_dedup                  # /work/shared/eval/dedup/dev, preset "default"
    python -m bench.eval_dedup --preset strict --show-errors
    python -m bench.eval_dedup --root PATH      # another set of the same kinds (copies/, snapshot/, pairs/)

copies/ and snapshot/ are replayed in file order, each story arriving at its publication time. Scores are
pairwise over every pair of items in a file, leaving out pairs with identical links (exact identity catches
those; the text-based figures are about the rest). pairs/ is replayed through one clusterer with every story
arriving at one time (its dates are missing or days apart; the labels ignore any window), and only the
labelled pairs are scored.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedup import Clusterer, DedupConfig
from monitor.model import Story
from monitor.normalize import normalize_entry
from monitor.replay import arrivals, read_entry

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dedup" / "dev"
FALLBACK_TIME = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    id: str
    link: str
    story: Story


@dataclass
class Score:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def count(self, truth: bool, predicted: bool, label: str) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
            self.errors.append("false merge: " + label)
        elif truth:
            self.fn += 1
            self.errors.append("missed: " + label)


def read_items(path: Path, *, same_time: bool) -> Iterator[Item]:
    """Stories of a replay file, read and timed exactly as `wiremon replay` does (monitor.replay).

    A story arrives when it was published (never before the one listed above it), or with the one above when
    it has no date; with `same_time`, every story arrives at FALLBACK_TIME.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    if not same_time:
        for story_id, story in arrivals(lines, FALLBACK_TIME):
            yield Item(story_id, story.link, story)
        return
    for number, line in enumerate(lines, start=1):
        if line.strip():
            story_id, source, entry = read_entry(line, number)
            story = normalize_entry(entry, feed_url=source, source=source, now=FALLBACK_TIME)
            yield Item(story_id, story.link, story)


def replay(items: Iterable[Item], config: DedupConfig) -> tuple[dict[str, str], dict[str, str]]:
    """Each item's cluster (as the id of its first item) and the reason the clusterer gave."""
    clusterer = Clusterer(config)
    first: dict[str, str] = {}
    clusters: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for item in items:
        assignment = clusterer.add(item.story)
        first.setdefault(item.story.key, item.id)
        clusters[item.id] = first[assignment.cluster]
        reasons[item.id] = assignment.reason
    return clusters, reasons


def score_clusters(folder: Path, config: DedupConfig) -> Score:
    items = list(read_items(folder / "stories.jsonl", same_time=False))
    truth = {row["id"]: row["cluster"] for row in _rows(folder / "clusters.jsonl")}
    predicted, reasons = replay(items, config)
    score = Score(folder.name)
    for a, b in itertools.combinations(items, 2):
        if a.link and a.link == b.link:
            continue
        label = f"{a.id} {b.id} ({reasons[b.id]}) | {a.story.title[:60]} | {b.story.title[:60]}"
        score.count(truth[a.id] == truth[b.id], predicted[a.id] == predicted[b.id], label)
    return score


def score_pairs(folder: Path, config: DedupConfig) -> Score:
    items = list(read_items(folder / "pair_stories.jsonl", same_time=True))
    titles = {item.id: item.story.title for item in items}
    predicted, _ = replay(items, config)
    score = Score(folder.name)
    for row in _rows(folder / "pairs.jsonl"):
        label = f"{row['a']} {row['b']} | {titles[row['a']][:60]} | {titles[row['b']][:60]}"
        score.count(row["label"] == 1, predicted[row["a"]] == predicted[row["b"]], label)
    return score


def evaluate(root: Path, config: DedupConfig) -> dict[str, Score]:
    scores = {}
    for name in ("copies", "snapshot"):
        if (root / name / "stories.jsonl").exists():
            scores[name] = score_clusters(root / name, config)
    if (root / "pairs" / "pairs.jsonl").exists():
        scores["pairs"] = score_pairs(root / "pairs", config)
    return scores


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder holding copies/, snapshot/, pairs/")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--show-errors", action="store_true", help="list false merges and missed pairs")
    args = parser.parse_args(argv)
    if not args.root.exists():
        print(f"no evaluation data at {args.root}", file=sys.stderr)
        return 2
    config = DedupConfig(preset=args.preset)
    print(f"# dedup on {args.root} — preset {args.preset}, window {config.window}")
    print(f"{'set':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for name, s in evaluate(args.root, config).items():
        print(f"{name:<10} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}")
        if args.show_errors:
            for error in s.errors:
                print("    " + error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
