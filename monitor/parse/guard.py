"""A cheap scan of an XML document's entity declarations, run before feedparser sees it.

feedparser keeps internal entities whose value holds no `&` and lets its loose parser expand them, so a
65 KB feed with one 50 KB entity used 5,000 times becomes a 250 MB title. We reject, before parsing:
external entities (SYSTEM/PUBLIC), parameter entities, entities nested or recursive beyond a small depth,
and documents whose references would expand to more than MAX_EXPANSION bytes in total. Small entities
real feeds declare (`<!ENTITY nbsp "&#160;">`) pass. The scan is linear in the document and allocates
little beyond the declarations it finds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from monitor.errors import FeedError

MAX_DECLARATIONS: Final = 256
MAX_NESTING: Final = 3  # levels: an entity may reference one that references a plain one; no deeper
MAX_EXPANSION: Final = 1_000_000  # bytes all entity references in the document may add

# The prolog ends at the root element; comments, processing instructions and declarations do not end it.
_PROLOG_TOKEN: Final = re.compile(rb"<(?:(!--)|(\?)|(!ENTITY)|\w)", re.IGNORECASE)
_CLOSERS: Final = {1: b"-->", 2: b"?>"}  # token group → what ends that construct
_ENTITY_OPEN: Final = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DECLARATION: Final = re.compile(
    rb"""<!ENTITY\s+(?P<pe>%\s*)?(?P<name>[^\s"'%>]+)\s+
         (?:(?P<external>SYSTEM|PUBLIC)\b|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""",
    re.IGNORECASE | re.VERBOSE,
)
# A general entity reference, terminator optional: the loose parser expands `&name` without the `;`.
_REFERENCE: Final = re.compile(rb"""&([^\s&;<>"'=#%][^\s&;<>"'=%]*)""")


@dataclass(frozen=True, slots=True)
class _Entity:
    value: bytes
    refs: tuple[tuple[bytes, int], ...]  # (declared entity, times) its value references


def check_entities(document: bytes) -> None:
    """Raise FeedError when the document declares entities that could be dangerous to expand."""
    declared = _declarations(document)
    if not declared:
        return
    entities = {name: _Entity(value, tuple(_referenced(value, declared).items())) for name, value in declared.items()}
    memo: dict[bytes, tuple[int, int]] = {}
    total = 0
    for name, uses in _referenced(document, declared).items():
        total += uses * _expansion(name, entities, memo, ())[0]
        if total > MAX_EXPANSION:
            raise FeedError(f"dangerous XML: entity references would expand to over {MAX_EXPANSION:,} bytes")


def _prolog_end(document: bytes) -> int:
    """Where the root element starts (or the end): no parser takes entity declarations from later on."""
    position = 0
    while (token := _PROLOG_TOKEN.search(document, position)) is not None:
        group = token.lastindex
        if group is None:
            return token.start()
        if group == 3:  # a declaration: its quoted value may hold "<b>", which is not the root
            match = _DECLARATION.match(document, token.start())
            if match is None:
                return token.end()  # malformed: _declarations rejects it; scanning on could go quadratic
            position = match.end()
            continue
        close = document.find(_CLOSERS[group], token.end())
        if close < 0:
            return len(document)
        position = close + len(_CLOSERS[group])
    return len(document)


def _declarations(document: bytes) -> dict[bytes, bytes]:
    """Entity declarations in the prolog: name → literal value.

    Every `<!ENTITY` counts, even inside a comment or inside another declaration's value: feedparser
    picks declarations out of the prolog with a regular expression that knows neither.
    """
    found: dict[bytes, bytes] = {}
    for opening in _ENTITY_OPEN.finditer(document, 0, _prolog_end(document)):
        match = _DECLARATION.match(document, opening.start())
        if match is None:
            raise FeedError("dangerous XML: malformed entity declaration")
        name = match["name"].decode("utf-8", "replace")
        if match["external"]:
            raise FeedError(f"dangerous XML: external entity {name!r} ({match['external'].decode()})")
        if match["pe"]:
            raise FeedError(f"dangerous XML: parameter entity {name!r}")
        found.setdefault(match["name"], match["dq"] if match["dq"] is not None else match["sq"])
        if len(found) > MAX_DECLARATIONS:
            raise FeedError(f"dangerous XML: more than {MAX_DECLARATIONS} entity declarations")
    return found


def _referenced(text: bytes, declared: dict[bytes, bytes]) -> Counter[bytes]:
    """How often each declared entity is referenced in text.

    Counted generously: a reference counts for every declared name that prefixes it, because the loose
    parser and expat end names at different characters.
    """
    longest = max(map(len, declared))
    counts: Counter[bytes] = Counter()
    for token, uses in Counter(_REFERENCE.findall(text)).items():
        for end in range(1, min(len(token), longest) + 1):
            if token[:end] in declared:
                counts[token[:end]] += uses
    return counts


def _expansion(
    name: bytes, entities: dict[bytes, _Entity], memo: dict[bytes, tuple[int, int]], stack: tuple[bytes, ...]
) -> tuple[int, int]:
    """(size, nesting depth) of `name`, memoized: each entity is measured once however often it is used."""
    if name in memo:
        return memo[name]
    shown = name.decode("utf-8", "replace")
    if name in stack:
        raise FeedError(f"dangerous XML: entity {shown!r} references itself")
    entity = entities[name]
    size, depth = len(entity.value), 1
    for ref, times in entity.refs:
        ref_size, ref_depth = _expansion(ref, entities, memo, (*stack, name))
        size += times * ref_size
        depth = max(depth, ref_depth + 1)
        if depth > MAX_NESTING:
            raise FeedError(f"dangerous XML: entities nested deeper than {MAX_NESTING} levels at {shown!r}")
        if size > MAX_EXPANSION:
            raise FeedError(f"dangerous XML: entity {shown!r} expands to over {MAX_EXPANSION:,} bytes")
    memo[name] = (size, depth)
    return size, depth
