"""The compiled Matcher: immutable, so a reload builds a new one and swaps it in.

``match(story)`` finds every term of every watchlist in one pass (the TermIndex), then evaluates only the
watchlists triggered by a term that occurred (see ``evaluate.triggers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from monitor.match.evaluate import Evaluator, Occ, Rule
from monitor.match.index import TermIndex
from monitor.match.spec import WatchlistInfo
from monitor.match.text import Words, scan
from monitor.model import Hit, Story


@dataclass(frozen=True, slots=True)
class CompiledWatchlist:
    info: WatchlistInfo
    rule: Rule
    check: Evaluator  # compile_rule(rule)


@dataclass(frozen=True, slots=True, eq=False)
class Matcher:
    """Every watchlist compiled into one index. Build it with ``load_watchlists`` or ``compile_matcher``."""

    watchlists: tuple[WatchlistInfo, ...]  # as declared
    compiled: tuple[CompiledWatchlist, ...]  # sorted by name, so hits come out sorted
    index: TermIndex
    triggers: tuple[tuple[int, ...], ...]  # by term id: the positions in `compiled` to evaluate

    def match(self, story: Story) -> tuple[Hit, ...]:
        """The watchlists that match the story, sorted by name, each with the story's matching words."""
        return self.match_words((scan(story.title), scan(story.summary), scan(story.content)))

    def match_text(self, title: str, summary: str = "", content: str = "") -> tuple[Hit, ...]:
        """Match plain-text fields without building a Story (tests, tools)."""
        return self.match_words((scan(title), scan(summary), scan(content)))

    def match_words(self, fields: Sequence[Words]) -> tuple[Hit, ...]:
        found = self.index.find(fields)
        if not found:
            return ()
        compiled = self.compiled
        hits = []
        acc: list[list[Occ]] = []
        for position in sorted(set(chain.from_iterable(map(self.triggers.__getitem__, found)))):
            watchlist = compiled[position]
            if watchlist.check(found, acc):
                hits.append(Hit(watchlist.info.name, _quoted(acc, fields), watchlist.info.destinations))
                acc.clear()
        return tuple(hits)


def _quoted(acc: list[list[Occ]], fields: Sequence[Words]) -> tuple[str, ...]:
    """The story's own words for each occurrence, in reading order, each distinct text once."""
    if len(acc) == 1 and len(acc[0]) == 1 and len(acc[0][0][3]) == 1:
        field_no, start, end = acc[0][0][3][0]
        return (fields[field_no].text[start:end],)
    spans = sorted({span for occs in acc for occ in occs for span in occ[3]})
    seen: dict[str, None] = {}
    for field_no, start, end in spans:
        seen.setdefault(fields[field_no].text[start:end], None)
    return tuple(seen)
