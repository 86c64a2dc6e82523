"""The term index: every term of every watchlist, found in one pass over a story's words.

Each term is filed under its first word (exact words in one dict, ``word*`` prefixes in another, keyed by
the prefix); two-word terms are filed further by their second word, longer ones are checked in place only
where their first word occurs. Fuzzy names are filed under each of their words, so near-spellings are
scored only on windows that share a word with the name -- never by scanning the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from monitor.match.evaluate import Occ
from monitor.match.spec import TOKEN_SIMILARITY
from monitor.match.terms import Pattern
from monitor.match.text import Words, fold_cased


@dataclass(frozen=True, slots=True)
class FuzzyName:
    """A multi-word name whose near-spellings count as the term ``term``."""

    term: int
    words: tuple[str, ...]
    threshold: float  # fuzz.ratio of the space-joined strings, 0-100

    def accepts(self, window: Sequence[str]) -> bool:
        for ours, theirs in zip(self.words, window, strict=True):
            if fuzz.ratio(ours, theirs, score_cutoff=TOKEN_SIMILARITY) < TOKEN_SIMILARITY:
                return False
        joined = fuzz.ratio(" ".join(self.words), " ".join(window), score_cutoff=self.threshold)
        return joined >= self.threshold


_Ids = tuple[int, ...]
MEMO_WORDS = 1 << 17  # distinct story words whose candidates are remembered


@dataclass(frozen=True, slots=True)
class _Entry:
    """Terms filed under one first word (or prefix): ``single`` one-word terms are found by the look-up
    alone; ``follow`` files longer terms by their (exact) second word; ``rest`` are checked word by word."""

    single: _Ids = ()
    follow: Mapping[str, _Ids] = field(default_factory=dict)
    rest: _Ids = ()
    fuzzy: tuple[tuple[int, int], ...] = ()  # (fuzzy name, index of the word within the name)

    def __bool__(self) -> bool:
        return bool(self.single or self.follow or self.rest or self.fuzzy)

    def merge(self, other: _Entry) -> _Entry:
        follow = dict(self.follow)
        for word, ids in other.follow.items():
            follow[word] = follow.get(word, ()) + ids
        return _Entry(self.single + other.single, follow, self.rest + other.rest, self.fuzzy + other.fuzzy)


_NOTHING = _Entry()


def _entry(terms: Sequence[Pattern], ids: list[int]) -> _Entry:
    single: list[int] = []
    follow: dict[str, list[int]] = {}
    rest: list[int] = []
    for term_id in ids:
        pattern = terms[term_id]
        if len(pattern.words) == 1 and pattern.cased is None:
            single.append(term_id)
        elif len(pattern.words) == 2 and not pattern.prefix[1] and pattern.cased is None:
            follow.setdefault(pattern.words[1], []).append(term_id)
        else:
            rest.append(term_id)
    return _Entry(tuple(single), {k: tuple(v) for k, v in follow.items()}, tuple(rest))


@dataclass(frozen=True, slots=True)
class TermIndex:
    """Every term filed under its first word, or under its first word's prefix for ``word*`` terms."""

    terms: tuple[Pattern, ...]
    exact: Mapping[str, _Entry]
    prefixes: Mapping[str, _Entry]
    prefix_lengths: tuple[int, ...]  # ascending
    fuzzy_names: tuple[FuzzyName, ...]
    # Memo of _candidates: story words are Zipf-distributed, so almost every look-up is a repeat. It never
    # changes an answer (the index is immutable), it only skips the prefix scan.
    lookup: Callable[[str], _Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", lru_cache(maxsize=MEMO_WORDS)(self._candidates))

    @classmethod
    def build(cls, terms: Sequence[Pattern], fuzzy_names: Sequence[FuzzyName]) -> TermIndex:
        exact: dict[str, list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        for term_id, pattern in enumerate(terms):
            (prefixes if pattern.prefix[0] else exact).setdefault(pattern.words[0], []).append(term_id)
        exact_entries = {word: _entry(terms, ids) for word, ids in exact.items()}
        for fuzzy_id, name in enumerate(fuzzy_names):
            for position, word in enumerate(name.words):
                known = exact_entries.get(word, _NOTHING)
                exact_entries[word] = known.merge(_Entry(fuzzy=((fuzzy_id, position),)))
        return cls(
            terms=tuple(terms),
            exact=exact_entries,
            prefixes={word: _entry(terms, ids) for word, ids in prefixes.items()},
            prefix_lengths=tuple(sorted({len(k) for k in prefixes})),
            fuzzy_names=tuple(fuzzy_names),
        )

    def _candidates(self, word: str) -> _Entry:
        found = self.exact.get(word, _NOTHING)
        for length in self.prefix_lengths:
            if length > len(word):
                break
            more = self.prefixes.get(word[:length])
            if more is not None:
                found = found.merge(more) if found else more
        return found if found else _NOTHING

    def find(self, fields: Sequence[Words]) -> dict[int, list[Occ]]:
        """Every occurrence of every term in the fields (searched in FIELD_ORDER), keyed by term id."""
        found: dict[int, list[Occ]] = {}
        lookup = self.lookup
        for field_no, part in enumerate(fields):
            words, starts, ends = part.words, part.starts, part.ends
            last = len(words) - 1
            windows: set[tuple[int, int]] = set()
            for pos, word in enumerate(words):
                entry = lookup(word)
                if entry is _NOTHING:
                    continue
                if entry.single:
                    occ = (field_no, pos, pos + 1, ((field_no, starts[pos], ends[pos]),))
                    for term_id in entry.single:
                        found.setdefault(term_id, []).append(occ)
                if entry.follow and pos < last:
                    pair = entry.follow.get(words[pos + 1])
                    if pair:
                        occ = (field_no, pos, pos + 2, ((field_no, starts[pos], ends[pos + 1]),))
                        for term_id in pair:
                            found.setdefault(term_id, []).append(occ)
                for term_id in entry.rest:
                    self._check(term_id, field_no, part, pos, found)
                for fuzzy_id, position in entry.fuzzy:
                    start = pos - position
                    if (fuzzy_id, start) not in windows:
                        windows.add((fuzzy_id, start))
                        self._check_fuzzy(fuzzy_id, field_no, part, start, found)
        return found

    def _check(self, term_id: int, field_no: int, part: Words, pos: int, found: dict[int, list[Occ]]) -> None:
        pattern = self.terms[term_id]
        end = pos + len(pattern.words)
        if end > len(part.words):
            return
        for i in range(1, len(pattern.words)):
            word, want = part.words[pos + i], pattern.words[i]
            if not (word.startswith(want) if pattern.prefix[i] else word == want):
                return
        if pattern.cased is not None and not _cased_match(pattern.cased, pattern.prefix, part, pos):
            return
        span = (field_no, part.starts[pos], part.ends[end - 1])
        found.setdefault(term_id, []).append((field_no, pos, end, (span,)))

    def _check_fuzzy(self, fuzzy_id: int, field_no: int, part: Words, start: int, found: dict[int, list[Occ]]) -> None:
        name = self.fuzzy_names[fuzzy_id]
        end = start + len(name.words)
        if start < 0 or end > len(part.words):
            return
        window = part.words[start:end]
        if tuple(window) == name.words or not name.accepts(window):
            return  # an exact window is already found as the term itself
        span = (field_no, part.starts[start], part.ends[end - 1])
        found.setdefault(name.term, []).append((field_no, start, end, (span,)))


def _cased_match(cased: tuple[str, ...], prefix: tuple[bool, ...], field: Words, pos: int) -> bool:
    for i, want in enumerate(cased):
        form = fold_cased(field.surface(pos + i, pos + i))
        if not (form.startswith(want) if prefix[i] else form == want):
            return False
    return True
