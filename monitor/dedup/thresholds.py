"""Every number the near-duplicate decision uses, in one table, and the named presets.

A false merge hides a story from the user; an extra alert only repeats one. The defaults are set for
precision: two stories are one only when one carries, word for word, most of the other's text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Thresholds:
    # How texts are cut up (changing these changes every footprint; restore() rebuilds them from stories).
    shingle: int = 3  # words per shingle: short enough to survive house-style edits ("per cent"/"percent")
    window: int = 8  # winnowing window: any shared run of window + shingle - 1 = 10 words is always retrieved
    max_shingles: int = 512  # shingles kept per story (about 3,000 characters): a copy that drops a paragraph
    # still shares most of what both kept
    max_words: int = 256  # distinct words kept per story (16-bit hashes), to check a short item's headline
    key_shingles: int = 256  # retrieval keys come from the first shingles only: copies share their beginning

    # Retrieval work per incoming story (bounds the cost, not the decision).
    chain_cap: int = 32  # newest stories read per key: a key carried by more is boilerplate, not evidence
    max_verify: int = 12  # candidates verified per story, most shared keys first
    min_key_share: float = 0.25  # a candidate must share this share of the smaller key set: a copy shares most
    # (its text is mostly the other's), a story that merely uses the same stock phrases shares one or two

    # The decision: a copy shares verbatim text with its original.
    min_shared: int = 8  # shingles shared at least: about ten words in a row, more than a stock phrase
    min_containment: float = 0.6  # share of the shorter text's shingles found in the longer one (a trimmed copy
    # keeps most of its own text; two reports of one event share well under half)
    short_text: int = 24  # a shorter text with fewer shingles is one or two sentences, maybe a stock blurb:
    # then the headlines must agree too,
    min_headline: float = 55.0  # ... either with each other: rapidfuzz token_sort_ratio of the cleaned headlines
    # (token_sort, not token_set: token_set scores a short headline 100 against any headline containing it),
    min_support: float = 0.6  # ... or the shorter item's headline with the longer text: this share of its
    # content words occurs there
    roundup_containment: float = 0.8  # two roundups are copies only when each holds this much of the other
    compilation_overlap: float = 0.5  # a new text holding two earlier stories of different clusters is a
    # roundup of them when their shared passages overlap less than this (two parts, not one story twice)


# Named presets. "default" is tuned for precision; "strict" wants more shared text; "loose" accepts a shorter
# shared passage and a lower share (more merged copies, more risk of merging a follow-up that quotes its lede).
PRESETS: dict[str, Thresholds] = {
    "default": Thresholds(),
    "strict": replace(
        Thresholds(), min_shared=12, min_containment=0.75, short_text=32, min_headline=65.0, min_support=0.75
    ),
    "loose": replace(
        Thresholds(), min_shared=6, min_containment=0.5, short_text=16, min_headline=45.0, min_support=0.5
    ),
}
