"""A story's compact footprint for near-duplicate detection: hashed word shingles and winnowed keys. Pure.

The text a copy shares with its original is compared as word shingles (runs of `shingle` consecutive folded
words), each hashed to 32 bits. Retrieval keys are chosen by winnowing (Schleimer, Wilkerson, Aiken 2003):
the smallest hash of every run of `window` consecutive shingles. Two texts that share any run of
`window + shingle - 1` words therefore always share a key, whatever else differs; a text of n shingles
gets about 2n / (window + 1) keys.
"""

from __future__ import annotations

import itertools
import re
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.dedup.clean import clean_body, clean_title
from monitor.dedup.thresholds import Thresholds
from monitor.match.text import normalize, scan
from monitor.model import Story

# Headline words of a roundup: a digest of several stories quotes a paragraph of each, but is none of them.
_ROUNDUP_TITLE = re.compile(
    r"\b(?:briefs?|in brief|digest|round-?up|wrap-?up|(?:morning|evening|daily|weekly|news) briefing|newsletter|"
    r"top headlines|news headlines|live updates?|live blog|as it happened|news summary|what you need to know today)\b",
    re.IGNORECASE,
)
_CHARS_PER_WORD = 12  # generous: English averages about six characters a word with its space
# A roundup's sections: "SEOUL: ...", "TECH: ..." at the start of the text or of a sentence.
_SECTION = re.compile(r"(?:^|[.!?…”\"]\s+)([A-Z][A-Z .'-]{2,30}):\s")


@dataclass(frozen=True, slots=True)
class Footprint:
    """A story measured for comparison. The clusterer keeps all but `keys` (it can derive them), never the text."""

    title: str  # the cleaned headline's folded words, for the headline check
    shingles: bytes  # array('I') of shingle hashes, first occurrence order, at most `max_shingles`
    keys: frozenset[int]  # winnowed hashes of the first `key_shingles` shingles: the retrieval keys
    roundup: bool  # a digest of several stories
    words: bytes  # array('H') of 16-bit hashes of its distinct words (headline first), at most `max_words`

    def shingle_hashes(self) -> array[int]:
        hashes = array("I")
        hashes.frombytes(self.shingles)
        return hashes


def unpack_words(packed: bytes) -> set[int]:
    """The word hashes of `Footprint.words` as a set."""
    hashes = array("H")
    hashes.frombytes(packed)
    return set(hashes)


def shingle_hashes(words: list[str], size: int) -> list[int]:
    """32-bit hashes of every run of `size` words (the whole text when it is shorter)."""
    if len(words) <= size:
        return [zlib.crc32(" ".join(words).encode())] if words else []
    runs = zip(*(words[i:] for i in range(size)), strict=False)
    return [zlib.crc32(" ".join(run).encode()) for run in runs]


def winnow(hashes: list[int], window: int) -> frozenset[int]:
    """The smallest hash of every `window` consecutive hashes (all of them for a shorter sequence)."""
    if len(hashes) <= window:
        return frozenset(hashes[:1] and [min(hashes)])
    return frozenset(map(min, *(hashes[i:] for i in range(window))))


def body_words(story: Story, limit: int) -> tuple[list[str], list[str]]:
    """The folded words of the cleaned summary and content, each cut to about `limit` words.

    A summary that the content repeats (the lede, or the lede cut short) adds no words and is not scanned.
    """
    summary, content = (
        clean_body(_first_chars(text, limit * _CHARS_PER_WORD)) for text in (story.summary, story.content)
    )
    if summary and summary in content:
        summary = ""
    return scan(summary).words[:limit], scan(content).words[:limit]


def _first_chars(text: str, size: int) -> str:
    """Only the first words are compared: spare cleaning and scanning the rest."""
    return text if len(text) <= size else text[:size].rsplit(" ", 1)[0]


def body_shingles(fields: tuple[list[str], list[str]], size: int, limit: int) -> list[int]:
    """Summary then content shingles, each once, in order: a summary that is the lede adds nothing new."""
    seen: set[int] = set()
    ordered: list[int] = []
    for words in fields:
        for value in shingle_hashes(words, size):
            if value not in seen:
                seen.add(value)
                ordered.append(value)
                if len(ordered) == limit:
                    return ordered
    return ordered


def is_roundup(story: Story, title: str) -> bool:
    """A digest: its headline says so, or its text is cut into two or more labelled sections."""
    if _ROUNDUP_TITLE.search(title):
        return True
    text = story.content or story.summary
    return ":" in text and len(set(_SECTION.findall(text))) >= 2


def word_hash(word: str) -> int:
    """A folded word as 16 bits: enough to ask whether a headline's few words occur in a text."""
    return zlib.crc32(word.encode()) & 0xFFFF


def word_hashes(fields: Iterable[list[str]], limit: int) -> bytes:
    """The 16-bit hashes of the first `limit` distinct words, sorted, as array('H') bytes."""
    distinct = dict.fromkeys(itertools.chain.from_iterable(fields))
    return array("H", sorted({word_hash(word) for word in itertools.islice(distinct, limit)})).tobytes()


def footprint(story: Story, th: Thresholds) -> Footprint:
    """`max_shingles` shingles are kept; keys are winnowed from the first `key_shingles` (copies begin alike)."""
    fields = body_words(story, th.max_shingles + th.shingle)
    hashes = body_shingles(fields, th.shingle, th.max_shingles)
    title = clean_title(story.title)
    folded = normalize(title)
    return Footprint(
        title=folded,
        shingles=array("I", hashes).tobytes(),
        keys=winnow(hashes[: th.key_shingles], th.window),
        roundup=is_roundup(story, title),
        words=word_hashes((folded.split(), *fields), th.max_words),
    )
