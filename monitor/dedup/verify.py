"""Is one story a copy of another? The pairwise check behind every near-duplicate merge. Pure.

Evidence is verbatim text: the shingles the two bodies share, as a share of the shorter body (containment,
not Jaccard: a copy cut to three paragraphs shares nearly all of its own text with the full story and very
little of the full story's). Two reports of one event written apart, a follow-up quoting the lede, an
analysis retelling the facts: none shares most of its text word for word with the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from monitor.dedup.sketch import unpack_words, word_hash
from monitor.dedup.thresholds import Thresholds

# Words that say nothing about what a headline reports (checked after folding).
_FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from", "with", "as", "into",
        "over", "after", "before", "about", "than", "is", "are", "was", "were", "be", "been", "has", "have", "had",
        "will", "would", "can", "could", "may", "says", "said", "say", "it", "its", "this", "that", "these", "those",
        "his", "her", "their", "he", "she", "they", "we", "you", "i", "not", "no", "new", "up", "out", "s",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Incoming:
    """The story being decided."""

    hashes: set[int]  # its body's distinct shingle hashes
    title: str  # folded headline words, space-joined
    roundup: bool
    words: bytes  # 16-bit hashes of its distinct words (see sketch.word_hashes)


@dataclass(frozen=True, slots=True)
class Stored:
    """A story of the window, as the clusterer keeps it."""

    hashes: Iterable[int]
    size: int
    title: str
    roundup: bool
    words: bytes


@dataclass(frozen=True, slots=True)
class Verdict:
    same: bool
    reason: str
    common: frozenset[int] = frozenset()  # the shared shingles, when the same
    within: bool = False  # the earlier story is the shorter one, found within the new one


def judge(new: Incoming, old: Stored, th: Thresholds) -> Verdict:
    """Is `new` a copy of `old`, or `old` of `new`? The reason says why, or why not."""
    common = new.hashes.intersection(old.hashes)
    shared = len(common)
    shorter, longer = sorted((len(new.hashes), old.size))
    if shared < th.min_shared:
        return Verdict(False, f"{shared} shingles shared, fewer than {th.min_shared}")
    containment = shared / shorter
    if containment < th.min_containment:
        return Verdict(False, f"{containment:.0%} of the shorter text shared, under {th.min_containment:.0%}")
    if new.roundup != old.roundup:
        return Verdict(False, "a roundup quotes a story; it is not a copy of it")
    if new.roundup and shared / longer < th.roundup_containment:
        return Verdict(False, "two roundups with different sections")
    if shorter < th.short_text:
        brief, full = (new, old) if len(new.hashes) <= old.size else (old, new)
        if not headlines_agree(brief.title, full.title, full.words, th):
            return Verdict(False, "a sentence or two shared under headlines about different things")
    reason = f"copy: {containment:.0%} of the shorter text shared ({shared} shingles)"
    return Verdict(True, reason, frozenset(common), within=old.size < len(new.hashes))


def different_passages(a: frozenset[int], b: frozenset[int], th: Thresholds) -> bool:
    """Two stories found within one text are two parts of it (a roundup), not one story found twice."""
    return len(a & b) < th.compilation_overlap * min(len(a), len(b))


def headlines_agree(brief_title: str, full_title: str, full_words: bytes, th: Thresholds) -> bool:
    """The headlines read alike, or the shorter item's headline is about the longer item's text."""
    if fuzz.token_sort_ratio(brief_title, full_title) >= th.min_headline:
        return True
    content = [word for word in brief_title.split() if word not in _FUNCTION_WORDS]
    if not content:
        return False
    words = unpack_words(full_words)
    return sum(word_hash(word) in words for word in content) / len(content) >= th.min_support
