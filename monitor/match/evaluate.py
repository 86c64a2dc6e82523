"""Compiled query trees and their evaluation over the term occurrences found in one story.

A rule tree is compiled once into nested closures. An evaluator answers true or false and, when true,
appends to ``acc`` the occurrence lists that made it true (a false answer leaves ``acc`` as it was; NOT
contributes nothing). Occurrences carry their place, so NEAR can measure distances and a hit can quote
the story's own words.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Field bits for masks; the order is the order fields are searched and terms reported.
FIELD_ORDER = ("title", "summary", "content")
FIELD_BITS = {name: 1 << i for i, name in enumerate(FIELD_ORDER)}
ALL_FIELDS = (1 << len(FIELD_ORDER)) - 1

# One occurrence: (field index, first word, end word (exclusive), the (field, start, end) character spans
# of the story text that it covers -- one span for a term, several for a NEAR pair).
Span = tuple[int, int, int]
Occ = tuple[int, int, int, tuple[Span, ...]]
Found = Mapping[int, list[Occ]]  # term id -> its occurrences (never an empty list)
Evaluator = Callable[[Found, list[list[Occ]]], bool]


@dataclass(frozen=True, slots=True)
class Leaf:
    """Any of these terms, in the fields of ``mask``."""

    terms: tuple[int, ...]
    mask: int


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class NoneOf:
    body: Rule


@dataclass(frozen=True, slots=True)
class Within:
    """left and right in the same field with at most ``distance`` words strictly between them."""

    left: Rule
    right: Rule
    distance: int


Rule = Leaf | AllOf | AnyOf | NoneOf | Within


def _leaf(node: Leaf) -> Evaluator:
    terms, mask = node.terms, node.mask
    if len(terms) == 1 and mask == ALL_FIELDS:
        term = terms[0]

        def one_term(found: Found, acc: list[list[Occ]]) -> bool:
            occs = found.get(term)
            if occs is None:
                return False
            acc.append(occs)
            return True

        return one_term

    def leaf(found: Found, acc: list[list[Occ]]) -> bool:
        hit = False
        for term in terms:
            occs = found.get(term)
            if occs is not None:
                if mask != ALL_FIELDS:
                    occs = [o for o in occs if (1 << o[0]) & mask]
                if occs:
                    acc.append(occs)
                    hit = True
        return hit

    return leaf


def _is_one_term(node: Rule) -> bool:
    return isinstance(node, Leaf) and len(node.terms) == 1 and node.mask == ALL_FIELDS


def _all_of(node: AllOf) -> Evaluator:
    # One-term parts are checked inline (most parts are), NOT parts last: they can only veto.
    terms = tuple(p.terms[0] for p in node.parts if isinstance(p, Leaf) and _is_one_term(p))
    others = sorted((p for p in node.parts if not _is_one_term(p)), key=lambda p: isinstance(p, NoneOf))
    parts = tuple(compile_rule(p) for p in others)

    def all_of(found: Found, acc: list[list[Occ]]) -> bool:
        mark = len(acc)
        for term in terms:
            occs = found.get(term)
            if occs is None:
                del acc[mark:]
                return False
            acc.append(occs)
        for part in parts:
            if not part(found, acc):
                del acc[mark:]
                return False
        return True

    return all_of


def _any_of(node: AnyOf) -> Evaluator:
    # OR of leaves searching the same fields is one leaf over all their terms.
    leaves: dict[int, list[int]] = {}
    others: list[Rule] = []
    for part in node.parts:
        if isinstance(part, Leaf):
            leaves.setdefault(part.mask, []).extend(part.terms)
        else:
            others.append(part)
    merged = [Leaf(tuple(terms), mask) for mask, terms in leaves.items()]
    parts = tuple(compile_rule(p) for p in [*merged, *others])
    if len(parts) == 1:
        return parts[0]

    def any_of(found: Found, acc: list[list[Occ]]) -> bool:
        hit = False
        for part in parts:  # no short cut: every true branch contributes its terms to the hit
            if part(found, acc):
                hit = True
        return hit

    return any_of


def _none_of(node: NoneOf) -> Evaluator:
    body = compile_rule(node.body)
    return lambda found, acc: not body(found, [])


def close_pairs(left: list[Occ], right: list[Occ], distance: int) -> list[Occ]:
    """Every (a, b) in the same field with at most ``distance`` words strictly between them, merged.

    Sorted look-ups keep this near-linear even for common words in a 200,000-character content field.
    """
    right = sorted(right)
    keys = [(b[0], b[1]) for b in right]
    longest = max(b[2] - b[1] for b in right)
    out: list[Occ] = []
    for a in left:
        lo = bisect_left(keys, (a[0], a[1] - distance - longest))
        hi = bisect_right(keys, (a[0], a[2] + distance))
        for b in right[lo:hi]:  # same field only: NEAR never reaches across fields
            gap = b[1] - a[2] if b[1] >= a[2] else a[1] - b[2]
            if 0 <= gap <= distance:
                out.append((a[0], min(a[1], b[1]), max(a[2], b[2]), a[3] + b[3]))
    return out


def _within(node: Within) -> Evaluator:
    left_of, right_of, distance = compile_rule(node.left), compile_rule(node.right), node.distance

    def within(found: Found, acc: list[list[Occ]]) -> bool:
        left: list[list[Occ]] = []
        right: list[list[Occ]] = []
        if not (left_of(found, left) and right_of(found, right)):
            return False
        out = close_pairs([o for occs in left for o in occs], [o for occs in right for o in occs], distance)
        if out:
            acc.append(out)
        return bool(out)

    return within


_COMPILERS: dict[type, Callable[[Any], Evaluator]] = {
    Leaf: _leaf,
    AllOf: _all_of,
    AnyOf: _any_of,
    NoneOf: _none_of,
    Within: _within,
}


def compile_rule(node: Rule) -> Evaluator:
    """The rule as a function of the occurrences found in a story (closures: no dispatch per story)."""
    return _COMPILERS[type(node)](node)


def evaluate(node: Rule, found: Found) -> list[Occ] | None:
    """The occurrences that make the rule true, or None when it is false (tests and tools)."""
    acc: list[list[Occ]] = []
    return [occ for occs in acc for occ in occs] if compile_rule(node)(found, acc) else None


def terms_of(node: Rule) -> set[int]:
    """Every term id the tree mentions, under NOT or not."""
    if isinstance(node, Leaf):
        return set(node.terms)
    if isinstance(node, NoneOf):
        return terms_of(node.body)
    parts = (node.left, node.right) if isinstance(node, Within) else node.parts
    return set().union(*(terms_of(p) for p in parts))


def triggers(node: Rule, cost: Callable[[int], float]) -> frozenset[int] | None:
    """A small set of terms of which at least one occurs in every story the tree matches, or None.

    AND (and NEAR) needs all its parts, so the cheapest part's set is enough; OR needs one of each
    branch; NOT guarantees nothing. Only queries whose trigger terms were seen are evaluated.
    """
    if isinstance(node, Leaf):
        return frozenset(node.terms)
    if isinstance(node, NoneOf):
        return None
    if isinstance(node, AnyOf):
        sets = [triggers(p, cost) for p in node.parts]
        return None if any(s is None for s in sets) else frozenset().union(*(s for s in sets if s))
    parts = (node.left, node.right) if isinstance(node, Within) else node.parts
    options = [s for s in (triggers(p, cost) for p in parts) if s is not None]
    return min(options, key=lambda s: sum(cost(t) for t in s), default=None)
