"""Benchmark: the watchlist matcher at 1,000 / 10,000 / 100,000 generated watchlists, against a naive baseline.

Run ``python bench/bench_match.py [--quick]``; ``bench(quick)`` returns the rows for a report.

The generated world is deterministic (seeded). Story text (~600 characters) draws words from a
Zipf-distributed general vocabulary (so common words are very common), plus 1-3 mentions of actor names
and 1-3 watchlist keywords. Watchlists use actors (2-5 names of 1-3 words, some fuzzy, some ``Name*``),
keywords, phrases, prefixes (``word*``), NEAR/n, OR groups and AND NOT, with 1-6 operands each.
Keywords are topical words (a separate vocabulary that stories contain only where mentioned) with a
share of general words below the 300 most common (nobody watches for "the"); ``dense`` worlds take every
keyword from the general vocabulary, a stress case where nearly every story word is watched by someone.

The naive baseline compiles one regex per watchlist (an alternation of its positive terms, whole words,
case-insensitive) and runs them in turn over each story. It does no boolean evaluation at all, so it is a
lower bound on the cost of the naive design.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.match import ActorSpec, Matcher, WatchlistSpec, compile_matcher
from monitor.match.text import scan

SEED = 20260218
VOCABULARY = 6_000  # general words, Zipf-distributed in story text
TOPICS = 20_000  # topical words: in stories only where a story mentions them
COMMON = 300  # the most common general words never appear in watchlists
GENERAL_SHARE = 0.25  # share of watchlist keywords taken from the general vocabulary
STORY_CHARS = 600
ONSETS = ["b", "br", "ch", "d", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "sh",
          "st", "t", "tr", "v", "w", "z"]  # fmt: skip
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
CODAS = ["", "", "n", "r", "s", "l", "m", "k", "nd", "st"]


@dataclass(frozen=True)
class World:
    vocabulary: list[str]
    weights: list[float]
    actors: list[ActorSpec]
    watchlists: list[WatchlistSpec]
    keywords: list[str]  # the words watchlists use, to sprinkle into stories


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables))


def _vocabulary(rng: random.Random, size: int, syllables: tuple[int, ...], avoid: set[str]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < size:
        word = _word(rng, rng.choice(syllables))
        if word not in avoid:
            words.setdefault(word, None)
    return list(words)


def _actor(rng: random.Random, index: int) -> ActorSpec:
    names = []
    for _ in range(rng.randint(2, 5)):
        parts = [_word(rng, rng.randint(2, 3)).capitalize() for _ in range(rng.choice((1, 2, 2, 3)))]
        names.append(" ".join(parts) + ("*" if len(parts) == 1 and rng.random() < 0.1 else ""))
    return ActorSpec(f"actor_{index}", tuple(names), 88.0 if rng.random() < 0.2 else None)


@dataclass(frozen=True)
class _Draw:
    """Where watchlist keywords come from."""

    rng: random.Random
    general: list[str]
    topics: list[str]
    general_share: float
    actors: list[ActorSpec]
    keywords: list[str]  # every keyword drawn, for stories to mention

    def word(self) -> str:
        pool = self.general if self.rng.random() < self.general_share else self.topics
        return self.rng.choice(pool)


def _operand(draw: _Draw) -> str:
    rng, roll = draw.rng, draw.rng.random()
    if roll < 0.45:
        return rng.choice(draw.actors).id
    word = draw.word()
    if roll < 0.75:
        draw.keywords.append(word)
        return word
    if roll < 0.88:
        draw.keywords.append(word)
        return word[: max(4, len(word) - 3)] + "*"
    phrase = word + " " + draw.word()
    draw.keywords.append(phrase)
    return f'"{phrase}"'


def _query(draw: _Draw) -> str:
    rng = draw.rng
    operands = [_operand(draw) for _ in range(rng.randint(1, 6))]
    clauses: list[str] = []
    while operands:
        take = min(len(operands), rng.choice((1, 1, 2, 2, 3)))
        group, operands = operands[:take], operands[take:]
        if take == 1:
            clauses.append(group[0])
        elif take == 2 and rng.random() < 0.4:
            clauses.append(f"{group[0]} NEAR/{rng.randint(3, 12)} {group[1]}")
        else:
            clauses.append("(" + " OR ".join(group) + ")")
    query = " AND ".join(clauses)
    if rng.random() < 0.15:
        query += " AND NOT " + draw.word()
    return query


def make_world(watchlists: int, *, dense: bool = False, seed: int = SEED) -> World:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, VOCABULARY, (1, 1, 2, 2, 2, 3), set())
    topics = _vocabulary(rng, TOPICS, (2, 3, 3), set(vocabulary))
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf
    actors = [_actor(rng, i) for i in range(max(10, watchlists // 2))]
    draw = _Draw(rng, vocabulary[COMMON:], topics, 1.0 if dense else GENERAL_SHARE, actors, [])
    specs = [WatchlistSpec(f"wl-{i:06d}", _query(draw), destinations=("desk",)) for i in range(watchlists)]
    return World(vocabulary, weights, actors, specs, draw.keywords)


def make_stories(world: World, count: int, seed: int = SEED + 1) -> list[tuple[str, str]]:
    """(title, summary) pairs of about STORY_CHARS characters together."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(world.weights))
    stories = []
    for _ in range(count):
        words = rng.choices(world.vocabulary, cum_weights=cumulative, k=110)
        for _ in range(rng.randint(1, 3)):  # mentions of watched people and topics
            words[rng.randrange(len(words))] = rng.choice(rng.choice(world.actors).names).rstrip("*")
            words[rng.randrange(len(words))] = rng.choice(world.keywords)
        text = " ".join(words)[:STORY_CHARS]
        cut = text.find(" ", 70)
        stories.append((text[:cut].capitalize(), text[cut + 1 :] + "."))
    return stories


def _naive(world: World) -> list[re.Pattern[str]]:
    """One regex per watchlist: its actor names and words as whole-word alternatives."""
    names = {a.id: a.names for a in world.actors}
    regexes = []
    for spec in world.watchlists:
        alternatives = []
        for raw in re.findall(r'"[^"]+"|[\w*]+', spec.query):
            if raw in ("AND", "OR", "NOT") or raw.startswith("NEAR"):
                continue
            for term in names.get(raw, (raw.strip('"'),)):
                body = re.escape(term.rstrip("*")).replace(r"\ ", r"[\s\-]+")
                alternatives.append(body + (r"\w*" if term.endswith("*") else r"\b"))
        regexes.append(re.compile(r"\b(?:" + "|".join(alternatives) + ")", re.IGNORECASE))
    return regexes


def _rate(run: Callable[[str, str], object], stories: list[tuple[str, str]], budget: float) -> float:
    """Stories per second over passes through `stories` until `budget` seconds have been spent."""
    done = 0
    started = time.perf_counter()
    while True:
        for title, summary in stories:
            run(title, summary)
            done += 1
        elapsed = time.perf_counter() - started
        if elapsed >= budget:
            return done / elapsed


def _matcher_rows(world: World, quick: bool, label: str = "") -> list[dict[str, object]]:
    started = time.perf_counter()
    matcher: Matcher = compile_matcher(world.actors, world.watchlists)
    compile_seconds = time.perf_counter() - started
    stories = make_stories(world, 1_000 if quick else 5_000)
    hits = sum(len(matcher.match_text(t, s)) for t, s in stories)  # also warms the word memo
    rate = _rate(matcher.match_text, stories, 1.0 if quick else 3.0)
    case = f"{len(world.watchlists):,} watchlists{label}"
    note = f"{hits / len(stories):.1f} hits/story over {len(stories):,} stories of ~{STORY_CHARS} chars"
    return [
        {"benchmark": "match", "case": case, "value": round(rate), "unit": "stories/s", "note": note},
        {"benchmark": "compile", "case": case, "value": round(compile_seconds, 2), "unit": "s", "note": ""},
    ]


def _naive_row(world: World, quick: bool) -> dict[str, object]:
    regexes = _naive(world)
    stories = make_stories(world, 20 if quick else 100)

    def run(title: str, summary: str) -> None:
        text = title + "\n" + summary
        for regex in regexes:
            regex.search(text)

    return {
        "benchmark": "naive: a regex per watchlist",
        "case": f"{len(world.watchlists):,} watchlists",
        "value": round(_rate(run, stories, 1.0 if quick else 3.0), 1),
        "unit": "stories/s",
        "note": "search only, no boolean evaluation: a lower bound on the naive cost",
    }


def _tokenize_row(quick: bool) -> dict[str, object]:
    stories = make_stories(make_world(100), 1_000)
    rate = _rate(lambda t, s: (scan(t), scan(s)), stories, 0.5 if quick else 2.0)
    return {"benchmark": "tokenize", "case": "title + summary", "value": round(rate), "unit": "stories/s", "note": ""}


def bench(quick: bool) -> list[dict[str, object]]:
    rows = [_tokenize_row(quick)]
    for size in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        world = make_world(size)
        rows.extend(_matcher_rows(world, quick))
        if size <= 10_000:
            rows.append(_naive_row(world, quick))
    rows.extend(_matcher_rows(make_world(10_000, dense=True), quick, ", dense")[:1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip 100,000 watchlists, shorter runs")
    args = parser.parse_args()
    for row in bench(args.quick):
        print(f"{row['benchmark']:<28} {row['case']:<20} {row['value']!s:>12} {row['unit']:<10} {row['note']}")


if __name__ == "__main__":
    main()
