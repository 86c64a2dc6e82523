"""The clusterer: stories in arrival order, each joining the cluster of an earlier copy or starting one. Pure.

Time comes from the stories (`fetched_at`, when wiremon saw them): a story leaves the index once the newest
story seen is more than `window` younger, so memory is bounded by the stories of one window.

Per story the clusterer keeps hashes, not text: its key, its cluster's key (shared with the cluster), its
folded headline, its body's shingle hashes (4 bytes each, at most `max_shingles`), its words' 16-bit hashes
(at most `max_words`), two 64-bit exact identities, a time and two small counts; the index adds about 32
bytes per winnowed key. A story of 600 characters costs about 1.3 KB: 1.3 GB for a window of a million.
"""

from __future__ import annotations

import itertools
import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from monitor.dedup.identity import exact_identities
from monitor.dedup.index import KeyIndex
from monitor.dedup.sketch import Footprint, footprint, winnow
from monitor.dedup.thresholds import PRESETS, Thresholds
from monitor.dedup.verify import Incoming, Stored, Verdict, different_passages, judge
from monitor.errors import ConfigError, Problem
from monitor.model import Story

_MASK32 = 0xFFFFFFFF
_COMPACT = 4096  # expired positions are cut off the front of the store once there are this many and half


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """`enabled=False` keeps exact identity only (same article link, or same headline and summary)."""

    enabled: bool = True
    window: timedelta = timedelta(hours=72)  # how long a story can gather copies
    preset: str = "default"  # a name in PRESETS: "default", "strict" or "loose"

    def __post_init__(self) -> None:
        problems = []
        if self.preset not in PRESETS:
            names = ", ".join(sorted(PRESETS))
            problems.append(Problem(f"unknown preset {self.preset!r}; expected one of {names}", field="dedup.preset"))
        if self.window <= timedelta(0):
            problems.append(Problem(f"must be a positive duration, not {self.window}", field="dedup.window"))
        if problems:
            raise ConfigError(problems)

    @property
    def thresholds(self) -> Thresholds:
        return PRESETS[self.preset]


@dataclass(frozen=True, slots=True)
class Assignment:
    cluster: str  # key of the cluster's first story
    duplicate_of: str | None  # that same key, or None when this story starts the cluster
    reason: str


@dataclass(frozen=True, slots=True)
class _Seen:
    """An incoming story, measured once."""

    key: str
    time: float
    link: int
    text: int
    print: Footprint


Measured = _Seen  # what Clusterer.measure returns: opaque to callers


@dataclass(frozen=True, slots=True)
class _Found:
    cluster: str | None  # None: the story starts its own cluster (a roundup of earlier stories)
    reason: str


class Clusterer:
    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self._th = config.thresholds
        self._window = config.window.total_seconds()
        self._index = KeyIndex()
        self._now = float("-inf")  # the newest story time seen
        # The store: one position per story, oldest first; position p holds story number _base + p.
        self._base = 0
        self._head = 0  # position of the oldest live story
        self._keys: list[str] = []
        self._clusters: list[str] = []
        self._titles: list[str] = []
        self._shingles: list[bytes] = []
        self._words: list[bytes] = []
        self._times = array("d")
        self._exact = array("Q")  # two per story: link identity, text identity (0: none)
        self._roundup = bytearray()
        self._key_count = bytearray()  # winnowed keys per story, at most 255

    def __len__(self) -> int:
        """Stories in the window."""
        return len(self._keys) - self._head

    def held_bytes(self) -> int:
        """Memory held for the window: columns, their items (shared cluster keys once), the index."""
        columns: list[list[str] | list[bytes]] = [self._keys, self._titles, self._shingles, self._words]
        total = sum(sys.getsizeof(column) for column in (*columns, self._clusters, self._times, self._exact))
        total += sys.getsizeof(self._roundup) + sys.getsizeof(self._key_count) + self._index.held_bytes()
        total += sum(sys.getsizeof(item) for column in columns for item in column)
        own = {id(key) for key in self._keys}  # a cluster's key is its first story's key, counted above
        other = {id(key): key for key in self._clusters if id(key) not in own}
        return total + sum(sys.getsizeof(key) for key in other.values())

    def measure(self, story: Story) -> Measured:
        """The part of `add` that depends on the story alone (the costly part), so that it can be done ahead,
        outside a lock; pass the result to `add` on this same clusterer."""
        return self._measure(story)

    def add(self, story: Story, measured: Measured | None = None) -> Assignment:
        """Decide whether `story` copies a story of the window, then remember it."""
        seen = measured if measured is not None and measured.key == story.key else self._measure(story)
        self._advance(seen.time)
        found = self._exact_match(seen)
        if found is None and self.config.enabled:
            found = self._near_match(seen)
        if found is None or found.cluster is None:
            self._insert(seen, seen.key, roundup=found is not None)
            return Assignment(seen.key, None, found.reason if found else "first of its cluster")
        self._insert(seen, found.cluster)
        return Assignment(found.cluster, found.cluster, found.reason)

    def restore(self, story: Story, cluster: str) -> None:
        """Put back a story decided earlier (at start-up, from the store, in arrival order) without deciding again.

        Only one thing is worked out again: whether a story that started its cluster was a roundup of earlier
        stories, so that nothing joins it later. Restored in the same order, it finds the same stories.
        """
        seen = self._measure(story)
        if seen.time < self._now - self._window:
            return
        self._advance(seen.time)
        roundup = False
        if cluster == seen.key and self.config.enabled:
            found = self._near_match(seen)
            roundup = found is not None and found.cluster is None
        self._insert(seen, sys.intern(cluster), roundup=roundup)

    # -- deciding

    def _exact_match(self, seen: _Seen) -> _Found | None:
        for slot, value, reason in ((0, seen.link, "same article link"), (1, seen.text, "same headline and summary")):
            if not value:
                continue
            for owner in self._index.lookup(value & _MASK32, self._th.chain_cap):
                position = self._position(owner)
                if self._exact[2 * position + slot] == value and self._near(position, seen.time):
                    return _Found(self._clusters[position], reason)
        return None

    def _near_match(self, seen: _Seen) -> _Found | None:
        """The cluster of the best-ranked story the new one copies; a roundup when it holds two stories."""
        shape = seen.print
        new = Incoming(set(shape.shingle_hashes()), shape.title, shape.roundup, shape.words)
        held: list[tuple[str, Verdict]] = []  # shorter stories found within the new one, best first
        for position in self._candidates(shape.keys, seen.time):
            verdict = judge(new, self._stored(position), self._th)
            cluster = self._clusters[position]
            if not verdict.same:
                continue
            if not verdict.within:
                return _Found(cluster, verdict.reason)
            if any(other != cluster and different_passages(v.common, verdict.common, self._th) for other, v in held):
                return _Found(None, "a roundup: it holds two different stories")
            held.append((cluster, verdict))
        return _Found(held[0][0], held[0][1].reason) if held else None

    def _candidates(self, keys: frozenset[int], time: float) -> list[int]:
        """Positions of up to `max_verify` stories within a window of `time` sharing enough keys, most first."""
        cap = self._th.chain_cap
        hits = Counter(itertools.chain.from_iterable(self._index.lookup(key, cap) for key in keys))
        share, mine = self._th.min_key_share, min(len(keys), 255)
        found = []
        for owner, count in hits.most_common(3 * self._th.max_verify):  # the rest share fewer keys still
            position = self._position(owner)
            if count >= share * min(mine, self._key_count[position]) and self._near(position, time):
                found.append(position)
                if len(found) == self._th.max_verify:
                    break
        return found

    def _stored(self, position: int) -> Stored:
        hashes = array("I")
        hashes.frombytes(self._shingles[position])
        return Stored(hashes, len(hashes), self._titles[position], bool(self._roundup[position]), self._words[position])

    def _position(self, owner: int) -> int:
        """The store position of a story from its number mod 2**32."""
        return self._head + ((owner - self._base - self._head) & _MASK32)

    def _near(self, position: int, time: float) -> bool:
        return abs(self._times[position] - time) <= self._window

    # -- remembering

    def _measure(self, story: Story) -> _Seen:
        link, text = exact_identities(story)
        return _Seen(story.key, story.fetched_at.timestamp(), link, text, footprint(story, self._th))

    def _insert(self, seen: _Seen, cluster: str, *, roundup: bool = False) -> None:
        number = self._base + len(self._keys)
        self._keys.append(seen.key)
        self._clusters.append(cluster)
        self._titles.append(seen.print.title)
        self._shingles.append(seen.print.shingles)
        self._words.append(seen.print.words)
        self._times.append(seen.time)
        self._exact.extend((seen.link, seen.text))
        self._roundup.append(seen.print.roundup or roundup)
        self._key_count.append(min(len(seen.print.keys), 255))
        self._index.add(self._index_keys(seen.print.keys, seen.link, seen.text), number)

    @staticmethod
    def _index_keys(keys: frozenset[int], link: int, text: int) -> list[int]:
        """A story's distinct index keys: its winnowed shingles and the low halves of its exact identities."""
        return sorted(keys.union(value & _MASK32 for value in (link, text) if value))

    def _advance(self, time: float) -> None:
        """Move the clock to `time` (it never goes back) and forget the stories it leaves behind."""
        self._now = max(self._now, time)
        cutoff = self._now - self._window
        while self._head < len(self._keys) and self._times[self._head] < cutoff:
            self._expire_oldest()

    def _expire_oldest(self) -> None:
        p = self._head
        hashes = array("I")
        hashes.frombytes(self._shingles[p])
        keys = winnow(list(hashes[: self._th.key_shingles]), self._th.window)
        self._index.drop_oldest(self._index_keys(keys, self._exact[2 * p], self._exact[2 * p + 1]))
        self._keys[p] = self._clusters[p] = self._titles[p] = ""
        self._shingles[p] = self._words[p] = b""
        self._head += 1
        if self._head >= _COMPACT and self._head * 2 >= len(self._keys):
            self._compact()

    def _compact(self) -> None:
        cut = self._head
        for column in (self._keys, self._clusters, self._titles, self._shingles, self._words):
            del column[:cut]
        del self._times[:cut]
        del self._exact[: 2 * cut]
        del self._roundup[:cut]
        del self._key_count[:cut]
        self._base += cut
        self._head = 0
