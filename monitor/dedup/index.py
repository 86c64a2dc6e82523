"""An inverted index from 32-bit keys to the stories that carry them, bounded by a sliding window. Pure.

Stories are numbered in arrival order and leave the index in that order, so the index needs no general
deletion: postings are appended to two flat arrays and dropped from their front. A key's postings form a
chain, newest first, through `_gap` (the distance back to the previous posting of the same key); a chain ends
at a gap of 0 or where the dropped front begins. The key → newest-posting map is an open-addressing table
of 64-bit words (key << 32 | posting id mod 2**32) with linear probing and backward-shift deletion.

Memory: 8 bytes per posting, plus an 8-byte table slot per distinct key at a load of 1/8 to 1/2 (it doubles at
half full and halves at an eighth): 16 to 64 bytes per key, about 24 in a steady window.
"""

from __future__ import annotations

import sys
from array import array

_MASK32 = 0xFFFFFFFF
_GOLDEN = 0x9E3779B1  # Fibonacci hashing: winnowed keys are minima, so their high bits are not uniform
_MIN_BITS = 10
_COMPACT = 1 << 16  # dropped postings are cut off the arrays' front once there are this many and half of them


class KeyIndex:
    def __init__(self) -> None:
        self._bits = _MIN_BITS
        self._table = array("Q", bytes(8 << self._bits))
        self._used = 0
        self._gap = array("I")  # per posting: distance back to the previous posting of its key, 0 for none
        self._owner = array("I")  # per posting: its story's number mod 2**32
        self._origin = 0  # posting id of _gap[0]
        self._first = 0  # posting id of the oldest live posting

    def __len__(self) -> int:
        """Live postings."""
        return self._origin + len(self._gap) - self._first

    @property
    def distinct_keys(self) -> int:
        return self._used

    def held_bytes(self) -> int:
        """Memory held by the table and the posting arrays."""
        return sum(sys.getsizeof(part) for part in (self._table, self._gap, self._owner))

    def add(self, keys: list[int], owner: int) -> None:
        """Post `owner` (a story number) under each key; one story's keys are distinct."""
        for key in keys:
            key = key or 1  # a zero word marks an empty position
            pid = self._origin + len(self._gap)
            where = self._find(key)
            entry = self._table[where]
            if entry:
                gap = pid - self._unpack(entry)
                self._gap.append(gap if gap <= _MASK32 else 0)
            else:
                self._gap.append(0)
                self._used += 1
            self._table[where] = (key << 32) | (pid & _MASK32)
            self._owner.append(owner & _MASK32)
        if self._used * 2 > len(self._table):
            self._resize(self._bits + 1)

    def lookup(self, key: int, cap: int) -> list[int]:
        """The owners (mod 2**32) of up to `cap` live postings of `key`, newest first."""
        entry = self._table[self._find(key or 1)]
        if not entry:
            return []
        found: list[int] = []
        pid = self._unpack(entry)
        gap, owner, origin, first = self._gap, self._owner, self._origin, self._first
        while pid >= first and len(found) < cap:
            at = pid - origin
            found.append(owner[at])
            step = gap[at]
            if not step:
                break
            pid -= step
        return found

    def drop_oldest(self, keys: list[int]) -> None:
        """Drop the oldest live story's postings; `keys` must be the keys it was added with."""
        end = self._first + len(keys)
        for key in keys:
            where = self._find(key or 1)
            entry = self._table[where]
            if entry and self._unpack(entry) < end:  # no newer story carries the key: forget it
                self._delete(where)
        self._first = end
        dropped = self._first - self._origin
        if dropped >= _COMPACT and dropped * 2 >= len(self._gap):
            del self._gap[:dropped]
            del self._owner[:dropped]
            self._origin = self._first
        if self._bits > _MIN_BITS and self._used * 8 < len(self._table):
            self._resize(self._bits - 1)

    def _home(self, key: int) -> int:
        return ((key * _GOLDEN) & _MASK32) >> (32 - self._bits)

    def _find(self, key: int) -> int:
        """The table position holding `key`, else the empty position where it would go."""
        table, mask = self._table, len(self._table) - 1
        where = ((key * _GOLDEN) & _MASK32) >> (32 - self._bits)  # _home, inlined: the hottest line
        while True:
            entry = table[where]
            if not entry or entry >> 32 == key:
                return where
            where = (where + 1) & mask

    def _unpack(self, entry: int) -> int:
        """The full posting id of a table entry (live ids span less than 2**32)."""
        return self._origin + (((entry & _MASK32) - self._origin) & _MASK32)

    def _delete(self, where: int) -> None:
        """Empty a position and shift later entries of its probe run back (no tombstones)."""
        table, mask = self._table, len(self._table) - 1
        hole = where
        probe = where
        while True:
            probe = (probe + 1) & mask
            entry = table[probe]
            if not entry:
                break
            home = self._home(entry >> 32)
            # The entry may move into the hole unless its home lies cyclically in (hole, probe].
            if (probe - home) & mask >= (probe - hole) & mask:
                table[hole] = entry
                hole = probe
        table[hole] = 0
        self._used -= 1

    def _resize(self, bits: int) -> None:
        old = self._table
        self._bits = bits
        self._table = array("Q", bytes(8 << bits))
        table, mask = self._table, len(self._table) - 1
        for entry in old:
            if entry:
                where = self._home(entry >> 32)
                while table[where]:
                    where = (where + 1) & mask
                table[where] = entry
