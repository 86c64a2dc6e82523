"""Text as the matcher (and the dedup stage) sees it: folded words with offsets into the original text.

Pure functions. The reading, applied to stories and to watchlist terms alike:

* Unicode NFKC; format characters (category Cf: soft hyphen, zero-width space/joiners, word joiner, BOM)
  are deleted, so they never split a word;
* case-folded, then accents removed (NFKD, combining marks dropped): "JERÍ" and "Jeri" read "jeri";
* a word (token) is a maximal run of letters and digits; every other character separates words, so all
  dashes, all spaces (NBSP too) and all apostrophes are interchangeable inside a name;
* a possessive ``'s`` (any apostrophe) right after a letter is dropped: "Russia’s" reads as "russia".

Offsets always point into the text as given, so a match can be quoted exactly as the story wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Apostrophes that introduce a possessive 's: ASCII, right and left single quotes, modifier letter apostrophe.
APOSTROPHES = frozenset("'\u2019\u2018\u02bc")

# A coarse first cut: runs of characters that are neither white space nor ASCII punctuation.
# Almost every run is plain ASCII letters and digits and needs no further work.
_RUN = re.compile(r"[^\s!-/:-@\[-`{-~]+")
_SEPARATOR = " "


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its folded form and where it sits in the original text (``text[start:end]``)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Words:
    """A text cut into folded words; ``starts``/``ends`` are offsets into ``text`` (parallel lists)."""

    text: str
    words: list[str]
    starts: list[int]
    ends: list[int]

    def surface(self, first: int, last: int) -> str:
        """The original text of words first..last (inclusive), as written."""
        return self.text[self.starts[first] : self.ends[last]]


def _fold(char: str, casefold: bool) -> str:
    """One character folded: letters/digits kept, '' for glue (format and combining marks), ' ' otherwise."""
    if char in APOSTROPHES:
        return _SEPARATOR  # U+02BC is a letter to Unicode, but an apostrophe in names
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    text = unicodedata.normalize("NFKC", char)
    if casefold:
        text = text.casefold()
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue  # an accent
        if ch.isalnum() or unicodedata.category(ch)[0] == "M":
            out.append(ch)  # spacing marks (class 0) belong to the word in Indic scripts
        elif unicodedata.category(ch) == "Cf":
            continue
        else:
            out.append(_SEPARATOR)
    return "".join(out)


@lru_cache(maxsize=1 << 16)
def _fold_lower(char: str) -> str:
    return _fold(char, casefold=True)


@lru_cache(maxsize=1 << 16)
def _fold_cased(char: str) -> str:
    return _fold(char, casefold=False)


def _scan_run(run: str, base: int, words: list[str], starts: list[int], ends: list[int]) -> None:
    """Cut one non-ASCII run into words, character by character."""
    buf: list[str] = []
    start = end = -1
    for i, char in enumerate(run):
        folded = _fold_lower(char)
        if not folded:  # glue: stays inside the word it interrupts
            if start >= 0:
                end = base + i + 1
            continue
        for ch in folded:
            if ch == _SEPARATOR:
                if start >= 0:
                    words.append("".join(buf))
                    starts.append(start)
                    ends.append(end)
                    buf.clear()
                    start = -1
            else:
                if start < 0:
                    start = base + i
                buf.append(ch)
                end = base + i + 1
    if start >= 0:
        words.append("".join(buf))
        starts.append(start)
        ends.append(end)


def _drop_possessives(text: str, words: list[str], starts: list[int], ends: list[int]) -> None:
    """Delete every word "s" that follows a letter-final word across exactly one apostrophe."""
    keep = [
        i
        for i, word in enumerate(words)
        if not (
            word == "s"
            and i > 0
            and starts[i] - ends[i - 1] == 1
            and text[ends[i - 1]] in APOSTROPHES
            and words[i - 1][-1].isalpha()
        )
    ]
    if len(keep) != len(words):
        words[:] = [words[i] for i in keep]
        starts[:] = [starts[i] for i in keep]
        ends[:] = [ends[i] for i in keep]


def scan(text: str) -> Words:
    """Cut text into folded words with offsets (the matcher's hot path)."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    possessive = False
    for m in _RUN.finditer(text):
        run = m.group()
        if run.isascii() and run.isalnum():
            words.append(run.lower())
            starts.append(m.start())
            ends.append(m.end())
            possessive = possessive or run == "s" or run == "S"
        else:
            _scan_run(run, m.start(), words, starts, ends)
            possessive = True
    if possessive:
        _drop_possessives(text, words, starts, ends)
    return Words(text, words, starts, ends)


def tokens(text: str) -> list[Token]:
    """The words of text, folded, each with its [start, end) offsets into text."""
    found = scan(text)
    return [Token(w, s, e) for w, s, e in zip(found.words, found.starts, found.ends, strict=True)]


def normalize(text: str) -> str:
    """The folded words of text joined by single spaces: a key for comparing texts."""
    return " ".join(scan(text).words)


def fold_cased(surface: str) -> str:
    """A word's folded form that keeps letter case (for case-sensitive terms): "UN" stays "UN"."""
    return "".join(ch for char in surface for ch in _fold_cased(char) if ch != _SEPARATOR)
