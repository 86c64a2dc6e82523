"""Why a story matches a watchlist, or why not: each query re-evaluated with every step kept.

Only ``wiremon match`` runs this, so it favours clarity over speed: every watchlist is traced (not only the
ones a term woke up) and every part of a query is evaluated (no short cuts). It reads the same occurrences
(``TermIndex.find``) and applies the same rules as ``evaluate.compile_rule``, so its verdict is the
Matcher's verdict; the tests hold it to that on generated stories.

A watchlist's syntax tree (its query parsed again) and its compiled rule tree are walked side by side: the
rule tree says what is evaluated (term ids, field masks), the syntax tree how the user wrote it.
Pure functions over frozen values.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import fuzz

from monitor.match import query as q
from monitor.match.evaluate import (
    FIELD_BITS,
    FIELD_ORDER,
    AllOf,
    AnyOf,
    Leaf,
    NoneOf,
    Occ,
    Rule,
    Span,
    Within,
    close_pairs,  # the NEAR rule itself: the explanation must pair occurrences exactly as matching does
)
from monitor.match.index import FuzzyName, TermIndex
from monitor.match.matcher import CompiledWatchlist, Matcher
from monitor.match.spec import TOKEN_SIMILARITY
from monitor.match.text import Words, scan
from monitor.model import Story

# A near-spelling is worth reporting when its whole-name similarity reaches this (fuzz.ratio, 0-100): below it
# the window merely shares a word with the name ("Kim Kardashian" against "Kim Jong-un").
FUZZY_NEAR_MISS = 70.0
MAX_QUOTES = 3  # occurrences quoted in one reason

Status = Literal["match", "near_miss", "no_match"]
Kind = Literal["term", "and", "or", "not", "near"]


@dataclass(frozen=True, slots=True)
class FuzzyMiss:
    """A near-spelling of a fuzzy name that the matcher scored and refused."""

    name: str  # the name, folded: "kim jong un"
    field: int
    text: str  # the story's words
    score: float  # whole-name similarity
    threshold: float
    weak_word: tuple[str, str, float] | None  # (name word, story word, similarity) of a pair below TOKEN_SIMILARITY


@dataclass(frozen=True, slots=True)
class Trace:
    """One part of a query, evaluated on one story."""

    kind: Kind
    text: str  # the part as written (rendered again from the syntax tree)
    ok: bool
    occs: tuple[Occ, ...]  # what makes it true, exactly as evaluate() collects it; () when false or a NOT
    parts: tuple[Trace, ...] = ()  # and/or: the operands; not: the body; near: left and right
    mask: int = 0  # term: the fields searched
    elsewhere: tuple[Occ, ...] = ()  # term: occurrences in fields it does not search
    fuzzy: tuple[FuzzyMiss, ...] = ()  # term, when false: near-spellings scored below the threshold
    distance: int = 0  # near: NEAR/n


@dataclass(frozen=True, slots=True)
class Reason:
    """Why part of a watchlist's query is false on this story."""

    kind: Literal["missing", "scope", "fuzzy", "not", "near"]
    message: str
    operand: str  # the part of the query, as written
    fields: tuple[str, ...] = ()
    found: tuple[str, ...] = ()  # the story's words, when some were found
    gap: int | None = None  # near: the fewest words between the two sides
    score: float | None = None  # fuzzy
    threshold: float | None = None  # fuzzy


@dataclass(frozen=True, slots=True)
class TermHit:
    """A term of the query found in the story, where it made the watchlist match."""

    operand: str  # the term as written in the query (an actor id, a word, a "phrase")
    field: str
    text: str  # the story's words
    start: int  # character offsets into the field
    end: int


@dataclass(frozen=True, slots=True)
class WatchlistExplanation:
    name: str
    query: str
    status: Status
    terms: tuple[str, ...]  # as Hit.terms: the story's words that made it match
    hits: tuple[TermHit, ...]
    spans: tuple[Span, ...]  # (field, start, end) of every matching word, to highlight
    notes: tuple[str, ...]  # a match's NEAR distances
    reasons: tuple[Reason, ...]  # why it does not match (empty for a match)
    trace: Trace


@dataclass(frozen=True, slots=True)
class StoryExplanation:
    story: Story
    fields: tuple[Words, ...]  # title, summary, content as the matcher read them
    watchlists: tuple[WatchlistExplanation, ...]  # sorted by name


@dataclass(frozen=True, slots=True)
class _Story:
    """What tracing reads: the story's words and the occurrences the index found in them."""

    fields: tuple[Words, ...]
    found: dict[int, list[Occ]]
    index: TermIndex


@dataclass(frozen=True, slots=True)
class Explainer:
    """Every watchlist of a Matcher with its query parsed again, ready to explain stories."""

    matcher: Matcher
    queries: tuple[tuple[CompiledWatchlist, q.Node], ...]

    @classmethod
    def of(cls, matcher: Matcher) -> Explainer:
        return cls(matcher, tuple((c, q.parse_query(c.info.query)) for c in matcher.compiled))

    def explain(self, story: Story) -> StoryExplanation:
        fields = (scan(story.title), scan(story.summary), scan(story.content))
        seen = _Story(fields, self.matcher.index.find(fields), self.matcher.index)
        out = tuple(_explain_watchlist(c, node, seen) for c, node in self.queries)
        return StoryExplanation(story, fields, out)


# --- rendering a syntax tree back to query text --------------------------------------------------------


def render(node: q.Node) -> str:
    """The query part as a user would write it (parentheses where a reader needs them)."""
    if isinstance(node, q.Word):
        text = f'"{node.text}"' if node.quoted else node.text
        return "=" + text if node.cased else text
    if isinstance(node, q.Scoped):
        return f"{node.field}:{_operand(node.body, q.Scoped)}"
    if isinstance(node, q.And | q.Or):
        joiner = " AND " if isinstance(node, q.And) else " OR "
        return joiner.join(_operand(part, type(node)) for part in node.parts)
    if isinstance(node, q.Not):
        return "NOT " + _operand(node.body, q.Not)
    return f"{_operand(node.left, q.Near)} NEAR/{node.distance} {_operand(node.right, q.Near)}"


def _operand(node: q.Node, parent: type) -> str:
    grouped = isinstance(node, q.And | q.Or) or (isinstance(node, q.Near) and parent is q.Near)
    return f"({render(node)})" if grouped else render(node)


# --- tracing ----------------------------------------------------------------------------------------------


def _trace(node: q.Node, rule: Rule, story: _Story) -> Trace:
    if isinstance(node, q.Scoped):  # a scope is only a mask on the rules below it
        return replace(_trace(node.body, rule, story), text=render(node))
    if isinstance(node, q.Word) and isinstance(rule, Leaf):
        return _trace_term(node, rule, story)
    if isinstance(node, q.And) and isinstance(rule, AllOf):
        parts = _trace_parts(node.parts, rule.parts, story)
        ok = all(p.ok for p in parts)
        return Trace("and", render(node), ok, _joined(parts) if ok else (), parts)
    if isinstance(node, q.Or) and isinstance(rule, AnyOf):
        parts = _trace_parts(node.parts, rule.parts, story)
        return Trace("or", render(node), any(p.ok for p in parts), _joined(parts), parts)
    if isinstance(node, q.Not) and isinstance(rule, NoneOf):
        body = _trace(node.body, rule.body, story)
        return Trace("not", render(node), not body.ok, (), (body,))
    if isinstance(node, q.Near) and isinstance(rule, Within):
        left, right = _trace(node.left, rule.left, story), _trace(node.right, rule.right, story)
        pairs = close_pairs(list(left.occs), list(right.occs), rule.distance) if left.ok and right.ok else []
        return Trace("near", render(node), bool(pairs), tuple(pairs), (left, right), distance=rule.distance)
    raise TypeError(f"query and compiled rule differ at {render(node)!r}: {type(rule).__name__}")  # a bug


def _trace_parts(nodes: Sequence[q.Node], rules: Sequence[Rule], story: _Story) -> tuple[Trace, ...]:
    return tuple(_trace(node, rule, story) for node, rule in zip(nodes, rules, strict=True))


def _joined(parts: Iterable[Trace]) -> tuple[Occ, ...]:
    return tuple(occ for part in parts if part.ok for occ in part.occs)


def _trace_term(word: q.Word, leaf: Leaf, story: _Story) -> Trace:
    inside: list[Occ] = []
    outside: list[Occ] = []
    for term in leaf.terms:
        for occ in story.found.get(term, ()):
            (inside if (1 << occ[0]) & leaf.mask else outside).append(occ)
    fuzzy = () if inside else _fuzzy_misses(leaf, story)
    return Trace("term", render(word), bool(inside), tuple(inside), (), leaf.mask, tuple(outside), fuzzy)


def _fuzzy_misses(leaf: Leaf, story: _Story) -> tuple[FuzzyMiss, ...]:
    """The best-scoring window the matcher looked at and refused, over the term's fuzzy names (if any)."""
    scored = [
        _score(name, field_no, words, start)
        for name in story.index.fuzzy_names
        if name.term in leaf.terms
        for field_no, words in enumerate(story.fields)
        if (1 << field_no) & leaf.mask
        for start in _windows(name, words)
    ]
    best = max(scored, key=lambda miss: miss.score, default=None)
    return (best,) if best is not None and best.score >= FUZZY_NEAR_MISS else ()


def _windows(name: FuzzyName, words: Words) -> list[int]:
    """Where the index scores a name: windows in which one word is spelled exactly as the name's, in place."""
    size, total = len(name.words), len(words.words)
    starts = {
        pos - i
        for pos, word in enumerate(words.words)
        for i, ours in enumerate(name.words)
        if word == ours and 0 <= pos - i <= total - size
    }
    return sorted(s for s in starts if tuple(words.words[s : s + size]) != name.words)


def _score(name: FuzzyName, field_no: int, words: Words, start: int) -> FuzzyMiss:
    window = words.words[start : start + len(name.words)]
    pairs = [(ours, theirs, fuzz.ratio(ours, theirs)) for ours, theirs in zip(name.words, window, strict=True)]
    weak = min(pairs, key=lambda pair: pair[2])
    score = fuzz.ratio(" ".join(name.words), " ".join(window))
    text = words.surface(start, start + len(name.words) - 1)
    return FuzzyMiss(
        " ".join(name.words), field_no, text, score, name.threshold, weak if weak[2] < TOKEN_SIMILARITY else None
    )


# --- reasons ----------------------------------------------------------------------------------------------


def _field_names(field_nos: Iterable[int]) -> tuple[str, ...]:
    return tuple(FIELD_ORDER[i] for i in sorted(set(field_nos)))


def _mask_names(mask: int) -> tuple[str, ...]:
    return tuple(name for name in FIELD_ORDER if FIELD_BITS[name] & mask)


def _places(occs: Iterable[Occ], fields: Sequence[Words]) -> list[tuple[str, str]]:
    """(field, the story's words) for the first few distinct places of the occurrences, in reading order."""
    spans = sorted({span for occ in occs for span in occ[3]})
    return list(dict.fromkeys((FIELD_ORDER[f], fields[f].text[s:e]) for f, s, e in spans))[:MAX_QUOTES]


def _quoted_places(places: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{field}: '{text}'" for field, text in places)


def why_not(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    """Why the part is false: the unmet operands, the NOT that fired, the NEAR too far, and so on."""
    if trace.ok:
        return ()
    return _WHY[trace.kind](trace, fields)


def _why_term(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    reasons = []
    if trace.elsewhere:
        where = _field_names(occ[0] for occ in trace.elsewhere)
        explicit = any(trace.text.startswith(name + ":") for name in FIELD_ORDER)
        searched = "" if explicit else f" (searched: {', '.join(_mask_names(trace.mask))})"
        found = tuple(fields[f].text[s:e] for occ in trace.elsewhere for f, s, e in occ[3])[:MAX_QUOTES]
        message = f"{trace.text} — found only in {', '.join(where)}{searched}"
        reasons.append(Reason("scope", message, trace.text, where, found))
    for miss in trace.fuzzy:
        reasons.append(_fuzzy_reason(trace.text, miss))
    return tuple(reasons) or (Reason("missing", f"missing: {trace.text}", trace.text),)


def _fuzzy_reason(operand: str, miss: FuzzyMiss) -> Reason:
    field = FIELD_ORDER[miss.field]
    if miss.score < miss.threshold:
        message = f"fuzzy: '{miss.text}' scored {miss.score:.1f} < {miss.threshold:g} against '{miss.name}' ({field})"
    else:
        assert miss.weak_word is not None  # the whole name passed, so one word pair failed
        ours, theirs, score = miss.weak_word
        message = (
            f"fuzzy: '{miss.text}' scored {miss.score:.1f} against '{miss.name}' ({field}), "
            f"but '{theirs}' vs '{ours}' scored {score:.1f} < {TOKEN_SIMILARITY:g}"
        )
    return Reason("fuzzy", message, operand, (field,), (miss.text,), score=miss.score, threshold=miss.threshold)


def _evidence(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(r for r in reasons if r.kind != "missing")


def _why_and(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    return tuple(reason for part in trace.parts for reason in why_not(part, fields))


def _why_or(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    found = _evidence(reason for part in trace.parts for reason in why_not(part, fields))
    return found or (Reason("missing", f"missing: ({trace.text})", trace.text),)


def _why_not(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    body = trace.parts[0]
    places = _places(body.occs, fields)
    message = f"excluded by NOT {body.text} ({_quoted_places(places)})"
    where = _field_names(span[0] for occ in body.occs for span in occ[3])
    return (Reason("not", message, trace.text, where, tuple(text for _, text in places)),)


def _why_near(trace: Trace, fields: Sequence[Words]) -> tuple[Reason, ...]:
    left, right = trace.parts
    if not (left.ok and right.ok):
        return why_not(left, fields) + why_not(right, fields)
    label = f"NEAR/{trace.distance}"
    gaps = nearest_gaps(left.occs, right.occs)
    if gaps:
        field, gap = min(gaps.items(), key=lambda item: (item[1], item[0]))
        message = f"{label}: {_words(gap)} apart in {FIELD_ORDER[field]}"
        return (Reason("near", message, trace.text, (FIELD_ORDER[field],), gap=gap),)
    shared = {occ[0] for occ in left.occs} & {occ[0] for occ in right.occs}
    if shared:
        message = f"{label}: both sides are the same words ({_quoted_places(_places(left.occs, fields))})"
        return (Reason("near", message, trace.text, _field_names(shared)),)
    sides = [f"{side.text} in {', '.join(_field_names(o[0] for o in side.occs))}" for side in (left, right)]
    return (Reason("near", f"{label}: never in the same field ({'; '.join(sides)})", trace.text),)


def _words(count: int) -> str:
    return "1 word" if count == 1 else f"{count} words"


_WHY: dict[str, Callable[[Trace, Sequence[Words]], tuple[Reason, ...]]] = {
    "term": _why_term,
    "and": _why_and,
    "or": _why_or,
    "not": _why_not,
    "near": _why_near,
}


def nearest_gaps(left: Sequence[Occ], right: Sequence[Occ]) -> dict[int, int]:
    """Field → the fewest words strictly between an occurrence of ``left`` and one of ``right`` (no overlap)."""
    gaps: dict[int, int] = {}
    for field in {occ[0] for occ in left} & {occ[0] for occ in right}:
        starts = sorted(b[1] for b in right if b[0] == field)
        ends = sorted(b[2] for b in right if b[0] == field)
        for a in (o for o in left if o[0] == field):
            after = bisect_left(starts, a[2])  # the first right side starting at or after a's end
            before = bisect_right(ends, a[1])  # right sides ending at or before a's start
            candidates = ([starts[after] - a[2]] if after < len(starts) else []) + (
                [a[1] - ends[before - 1]] if before else []
            )
            if candidates:
                gaps[field] = min(gaps.get(field, min(candidates)), *candidates)
    return gaps


# --- one watchlist -----------------------------------------------------------------------------------------


def _explain_watchlist(compiled: CompiledWatchlist, node: q.Node, story: _Story) -> WatchlistExplanation:
    trace = _trace(node, compiled.rule, story)
    info = compiled.info
    if trace.ok:
        spans = tuple(sorted({span for occ in trace.occs for span in occ[3]}))
        hits = tuple(_hits(trace, None, story.fields))
        notes = tuple(_near_notes(trace))
        return WatchlistExplanation(
            info.name, info.query, "match", quoted(spans, story.fields), hits, spans, notes, (), trace
        )
    reasons = why_not(trace, story.fields)
    status: Status = "near_miss" if _present(trace) else "no_match"
    return WatchlistExplanation(info.name, info.query, status, (), (), (), (), reasons, trace)


def quoted(spans: Sequence[Span], fields: Sequence[Words]) -> tuple[str, ...]:
    """The story's words at these spans, in reading order, each distinct text once (as Hit.terms)."""
    return tuple(dict.fromkeys(fields[f].text[s:e] for f, s, e in sorted(spans)))


def _hits(trace: Trace, allowed: frozenset[Span] | None, fields: Sequence[Words]) -> list[TermHit]:
    """The terms on the path that made the query true; under a NEAR, only the occurrences it paired."""
    if trace.kind == "term":
        spans = [occ[3][0] for occ in trace.occs if allowed is None or occ[3][0] in allowed]
        return [TermHit(trace.text, FIELD_ORDER[f], fields[f].text[s:e], s, e) for f, s, e in sorted(set(spans))]
    if trace.kind == "near":
        paired = frozenset(span for occ in trace.occs for span in occ[3])
        allowed = paired if allowed is None else paired & allowed
    if trace.kind == "not":
        return []
    return [hit for part in trace.parts if part.ok for hit in _hits(part, allowed, fields)]


def _near_notes(trace: Trace) -> list[str]:
    if trace.kind == "not" or not trace.ok:
        return []
    notes = [note for part in trace.parts for note in _near_notes(part)]
    if trace.kind == "near":
        left, right = trace.parts
        paired = nearest_gaps(left.occs, right.occs)
        field, gap = min(paired.items(), key=lambda item: (item[1], item[0]))
        notes.append(f"{trace.text}: {_words(gap)} apart in {FIELD_ORDER[field]}")
    return notes


def _present(trace: Trace) -> bool:
    """Did any term it looks for (not one it excludes) show up, in any field or as a near-spelling?"""
    if trace.kind == "term":
        return bool(trace.occs or trace.elsewhere or trace.fuzzy)
    if trace.kind == "not":
        return False
    return any(_present(part) for part in trace.parts)
