"""Terms: a word, phrase or actor name turned into the sequence of word patterns it must match.

A term is written as text and read with the same tokenizer as stories, so "Kim Jong-un", "kim jong un" and
"KIM JONG–UN" are one term. A ``*`` right after a word makes that word a prefix; a leading ``=`` makes the
whole term case-sensitive (letter case compared as written, accents and widths still folded).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from monitor.match.text import fold_cased, scan

CASE_MARK = "="
WILDCARD = "*"


class TermSyntaxError(ValueError):
    """The text cannot be a term; ``offset`` points into the text as given."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Pattern:
    """What one term matches: consecutive words, each equal to ``words[i]`` (or starting with it if
    ``prefix[i]``). ``cased`` holds the case-kept forms when the term is case-sensitive."""

    words: tuple[str, ...]
    prefix: tuple[bool, ...]
    cased: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.words)

    @property
    def plain(self) -> bool:
        """One exact, case-insensitive word: the common case, matched without any further check."""
        return len(self.words) == 1 and not self.prefix[0] and self.cased is None

    def cost(self) -> float:
        """A guess at how often the term occurs (lower is rarer), to pick which terms trigger a query.

        Phrases are rare; short words and short prefixes are common.
        """
        if len(self.words) > 1:
            return 0.5
        word = self.words[0]
        return 2.0 + 12.0 / len(word) if self.prefix[0] else 1.0 + 6.0 / len(word)


@lru_cache(maxsize=1 << 16)
def compile_term(text: str, *, cased: bool = False) -> Pattern:
    """Read a term as written. A leading '=' (or cased=True) makes it case-sensitive."""
    base = 0
    if text.startswith(CASE_MARK):
        cased, base = True, 1
    body = text[base:]
    found = scan(body)
    if not found.words:
        raise TermSyntaxError(f"'{text}' has no letters or digits to match", 0)
    ends = {end: i for i, end in enumerate(found.ends)}
    starts = set(found.starts)
    prefix = [False] * len(found.words)
    for offset, char in enumerate(body):
        if char != WILDCARD:
            continue
        if offset not in ends or offset + 1 in starts or prefix[ends[offset]]:
            raise TermSyntaxError("a wildcard '*' may only end a word", base + offset)
        prefix[ends[offset]] = True
    forms = None
    if cased:
        forms = tuple(fold_cased(found.surface(i, i)) for i in range(len(found.words)))
    return Pattern(tuple(found.words), tuple(prefix), forms)
