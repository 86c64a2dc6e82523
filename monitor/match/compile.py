"""Compile declared actors and watchlists into one Matcher, collecting every problem before failing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.errors import ConfigError, Problem
from monitor.match import query as q
from monitor.match.evaluate import (
    ALL_FIELDS,
    FIELD_BITS,
    AllOf,
    AnyOf,
    Evaluator,
    Leaf,
    NoneOf,
    Rule,
    Within,
    compile_rule,
)
from monitor.match.evaluate import terms_of as rule_terms
from monitor.match.evaluate import triggers as rule_triggers
from monitor.match.index import FuzzyName, TermIndex
from monitor.match.matcher import CompiledWatchlist, Matcher
from monitor.match.spec import ActorSpec, WatchlistInfo, WatchlistSpec
from monitor.match.terms import Pattern, TermSyntaxError, compile_term

ACTOR_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED = frozenset({"AND", "OR", "NOT", "NEAR"})
_TermKey = tuple[Pattern, float | None]


@dataclass
class _Terms:
    """Interns terms: one id per distinct (pattern, fuzzy threshold), shared by every watchlist."""

    ids: dict[_TermKey, int] = field(default_factory=dict)
    patterns: list[Pattern] = field(default_factory=list)
    fuzzy: list[FuzzyName] = field(default_factory=list)

    def intern(self, pattern: Pattern, fuzzy: float | None = None) -> int:
        if fuzzy is not None and (len(pattern) < 2 or any(pattern.prefix) or pattern.cased):
            fuzzy = None  # near-spellings only for plain multi-word names
        key = (pattern, fuzzy)
        term_id = self.ids.get(key)
        if term_id is None:
            term_id = self.ids[key] = len(self.patterns)
            self.patterns.append(pattern)
            if fuzzy is not None:
                self.fuzzy.append(FuzzyName(term_id, pattern.words, fuzzy))
        return term_id


def _spec_problem(spec: WatchlistSpec, offset: int, message: str) -> Problem:
    text = f"watchlist '{spec.name}': {message}"
    if spec.place is not None:
        return spec.place(offset, text)
    # No source to point into: show the query itself (the column is then the column in the query).
    excerpt = "    " + spec.query + "\n    " + " " * offset + "^"
    column = offset + 1 if spec.file is None else None
    return Problem(text, spec.file, spec.line, column, f"watchlist {spec.name}.query", excerpt)


def _actor_problem(actor: ActorSpec, message: str) -> Problem:
    return Problem(message, actor.file, actor.line, None, f"actors.{actor.id}")


def _compile_actors(actors: Sequence[ActorSpec], terms: _Terms, problems: list[Problem]) -> dict[str, tuple[int, ...]]:
    table: dict[str, tuple[int, ...]] = {}
    where: dict[str, str] = {}
    for actor in actors:
        here = f"{actor.file or '<actors>'}:{actor.line}" if actor.line else (actor.file or "<actors>")
        if not ACTOR_ID.fullmatch(actor.id) or actor.id in _RESERVED:
            message = "an actor id is one word of letters, digits, '_' or '-' (not an operator)"
            problems.append(_actor_problem(actor, message))
            continue
        if actor.id in table:
            problems.append(_actor_problem(actor, f"actor '{actor.id}' is already declared at {where[actor.id]}"))
            continue
        if not actor.names:
            problems.append(_actor_problem(actor, f"actor '{actor.id}' has no names"))
        ids = []
        for name in actor.names:
            try:
                ids.append(terms.intern(compile_term(name), actor.fuzzy))
            except TermSyntaxError as exc:
                problems.append(_actor_problem(actor, f"actor '{actor.id}': name '{name}': {exc.message}"))
        table[actor.id] = tuple(ids)
        where[actor.id] = here
    return table


@dataclass(frozen=True, slots=True)
class _Lowering:
    """Turns a syntax tree into a rule tree: words become term ids, scopes become field masks."""

    actors: dict[str, tuple[int, ...]]
    terms: _Terms

    def lower(self, node: q.Node, mask: int) -> Rule:
        if isinstance(node, q.Word):
            return self.word(node, mask)
        if isinstance(node, q.Scoped):
            bit = FIELD_BITS[node.field]
            if not bit & mask:
                raise q.QueryError(f"{node.field}: is not among the fields this watchlist searches", node.pos)
            return self.lower(node.body, bit)
        if isinstance(node, q.And):
            return AllOf(tuple(self.lower(p, mask) for p in node.parts))
        if isinstance(node, q.Or):
            return AnyOf(tuple(self.lower(p, mask) for p in node.parts))
        if isinstance(node, q.Not):
            return NoneOf(self.lower(node.body, mask))
        return Within(self.lower(node.left, mask), self.lower(node.right, mask), node.distance)

    def word(self, node: q.Word, mask: int) -> Leaf:
        if not node.quoted and not node.cased and node.text in self.actors:
            return Leaf(self.actors[node.text], mask)
        try:
            pattern = compile_term(node.text, cased=node.cased)
        except TermSyntaxError as exc:
            raise q.QueryError(exc.message, node.pos + node.cased + node.quoted + exc.offset) from exc
        return Leaf((self.terms.intern(pattern),), mask)


def _compile_watchlist(spec: WatchlistSpec, lowering: _Lowering) -> tuple[Rule, Evaluator]:
    mask = sum(FIELD_BITS[name] for name in set(spec.fields)) if spec.fields else ALL_FIELDS
    rule = lowering.lower(q.parse_query(spec.query), mask)
    check = compile_rule(rule)
    if check({}, []):
        # Such a query would have to be tried on every story; the index only wakes queries up by their terms.
        raise q.QueryError("the query matches stories that contain none of its terms; add a term to look for", 0)
    return rule, check


def compile_matcher(actors: Sequence[ActorSpec], watchlists: Sequence[WatchlistSpec]) -> Matcher:
    """Build the Matcher; raises ConfigError listing every problem (bad queries, duplicates, bad names)."""
    problems: list[Problem] = []
    terms = _Terms()
    lowering = _Lowering(_compile_actors(actors, terms, problems), terms)
    compiled: list[CompiledWatchlist] = []
    seen: dict[str, WatchlistSpec] = {}
    for spec in watchlists:
        first = seen.setdefault(spec.name, spec)
        if first is not spec:
            at = f"{first.file or '<watchlists>'}:{first.line}"
            problems.append(Problem(f"duplicate watchlist name '{spec.name}' (first at {at})", spec.file, spec.line))
        bad_fields = [f for f in spec.fields or () if f not in FIELD_BITS]
        if bad_fields:
            problems.append(Problem(f"unknown field {bad_fields[0]!r}", spec.file, spec.line))
            continue
        try:
            rule, check = _compile_watchlist(spec, lowering)
        except q.QueryError as exc:
            problems.append(_spec_problem(spec, exc.offset, exc.message))
            continue
        if first is not spec:
            continue  # reported above; its query was still checked
        fields = spec.fields or tuple(FIELD_BITS)
        info = WatchlistInfo(
            spec.name, spec.query, fields, spec.destinations, spec.file, spec.line, spec.urgent, spec.digest
        )
        compiled.append(CompiledWatchlist(info, rule, check))
    if problems:
        raise ConfigError(problems)
    return _assemble(compiled, terms)


def _assemble(compiled: list[CompiledWatchlist], terms: _Terms) -> Matcher:
    declared = tuple(c.info for c in compiled)
    compiled.sort(key=lambda c: c.info.name)
    patterns = terms.patterns

    def cost(term_id: int) -> float:
        return patterns[term_id].cost()

    by_term: list[list[int]] = [[] for _ in patterns]
    for position, watchlist in enumerate(compiled):
        chosen = rule_triggers(watchlist.rule, cost) or rule_terms(watchlist.rule)
        for term_id in chosen:
            by_term[term_id].append(position)
    return Matcher(
        watchlists=declared,
        compiled=tuple(compiled),
        index=TermIndex.build(patterns, terms.fuzzy),
        triggers=tuple(tuple(v) for v in by_term),
    )
