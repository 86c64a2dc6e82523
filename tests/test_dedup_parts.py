"""The parts of the clusterer: cleaning, shingles and winnowing, the key index."""

from __future__ import annotations

import random

import pytest

from monitor.dedup.clean import clean_body, clean_title
from monitor.dedup.index import KeyIndex
from monitor.dedup.sketch import shingle_hashes, winnow

LEDE = "North Korean leader Kim Jong-un received Russia's natural resources minister in Pyongyang on Monday."


@pytest.mark.parametrize(
    ("title", "cleaned"),
    [
        ("UPDATE 1-Kim meets Russian minister", "Kim meets Russian minister"),
        ("UPDATE 2-CORRECTED-Kim meets Russian minister", "Kim meets Russian minister"),
        ("EXCLUSIVE-Kim meets Russian minister", "Kim meets Russian minister"),
        ("(2ND LEAD) Kim meets Russian minister", "Kim meets Russian minister"),
        ("Kim meets Russian minister - News Today", "Kim meets Russian minister"),
        ("ANALYSIS-What Kim wants from Moscow", "ANALYSIS-What Kim wants from Moscow"),  # another kind of piece
        ("Explainer: the treaty", "Explainer: the treaty"),
    ],
)
def test_headline_decoration_goes(title: str, cleaned: str) -> None:
    assert clean_title(title) == cleaned


@pytest.mark.parametrize(
    "decorated",
    [
        "SEOUL, Nov. 19 (Yonhap) -- " + LEDE,
        "WASHINGTON (Reuters) - " + LEDE,
        "New Delhi [India], Jan 1 (ANI): " + LEDE,
        "Agra, Jan 1 (IANS) " + LEDE,
        "BEIJING — " + LEDE,
        "VANCOUVER -- " + LEDE,
        "By Jane Doe SEOUL (Reuters) - " + LEDE,
        "By Laila Bassam and Tala RamadanDUBAI, Feb 17 (Reuters) - " + LEDE,
        "[Capital FM] " + LEDE,
        LEDE + " (Yonhap)",
        LEDE + " (END)",
        LEDE + " -- AFP",
        LEDE + " --IANS up/udk/",
        LEDE + " (Reporting by Jane Doe; Editing by John Smith)",
        LEDE + " © 2024 Yonhap News Agency. All rights reserved.",
        LEDE + " Related: Russian delegation arrives in Pyongyang",
        LEDE + " Read the full story at The Korea Wire.",
        LEDE + " The post Kim meets minister appeared first on Boston.com.",
    ],
)
def test_datelines_bylines_credits_and_footers_go(decorated: str) -> None:
    assert clean_body(decorated) == LEDE


def test_dotted_abbreviations_read_like_plain_ones() -> None:
    assert clean_body("The U.S. and the U.N. met.") == "The US. and the UN. met."
    assert clean_title("U.S. envoy meets Kim") == "US. envoy meets Kim"


def test_a_cut_summary_loses_its_ellipsis_and_half_word() -> None:
    assert clean_body("Kim met Russia's natural resources min…") == "Kim met Russia's natural resources"
    assert clean_body("Kim met Russia's minister. The […]") == "Kim met Russia's minister."


def test_ordinary_sentences_are_left_alone() -> None:
    for text in ("By Tuesday, the talks had ended.", "Police said the talks ended.", "Kim said: we agree."):
        assert clean_body(text) == text


def test_shingles_are_stable_and_order_sensitive() -> None:
    words = ["kim", "meets", "russian", "minister", "in", "pyongyang"]
    assert shingle_hashes(words, 3) == shingle_hashes(list(words), 3)
    assert len(shingle_hashes(words, 3)) == 4
    assert shingle_hashes(words, 3) != shingle_hashes(words[::-1], 3)
    assert len(shingle_hashes(["kim"], 3)) == 1
    assert shingle_hashes([], 3) == []


def test_winnowing_guarantees_a_shared_key_for_a_shared_run() -> None:
    rng = random.Random(7)
    for _ in range(200):
        shared = [rng.getrandbits(32) for _ in range(8)]  # a run as long as the window
        a = [rng.getrandbits(32) for _ in range(rng.randrange(30))] + shared
        b = shared + [rng.getrandbits(32) for _ in range(rng.randrange(30))]
        assert winnow(a, 8) & winnow(b, 8)


def test_winnowing_keeps_a_fraction_of_the_hashes() -> None:
    rng = random.Random(8)
    hashes = [rng.getrandbits(32) for _ in range(900)]
    assert 150 < len(winnow(hashes, 8)) < 250  # about 2/(window+1)
    assert winnow(hashes[:5], 8) == {min(hashes[:5])}
    assert winnow([], 8) == frozenset()


def test_the_index_returns_owners_newest_first_up_to_a_cap() -> None:
    index = KeyIndex()
    for owner in range(10):
        index.add([1, 100 + owner], owner)
    assert index.lookup(1, 4) == [9, 8, 7, 6]
    assert index.lookup(105, 4) == [5]
    assert index.lookup(999, 4) == []


def test_dropping_the_oldest_forgets_only_its_postings() -> None:
    index = KeyIndex()
    index.add([1, 2], 0)
    index.add([2, 3], 1)
    index.drop_oldest([1, 2])
    assert (index.lookup(1, 9), index.lookup(2, 9), index.lookup(3, 9)) == ([], [1], [1])
    assert index.distinct_keys == 2
    assert len(index) == 2


def test_the_index_matches_a_plain_model_through_growth_and_shrinking() -> None:
    rng = random.Random(9)
    index = KeyIndex()
    live: list[tuple[int, list[int]]] = []
    for owner in range(20_000):
        keys = sorted({rng.randrange(0, 3_000) if rng.random() < 0.5 else rng.getrandbits(32) for _ in range(6)})
        index.add(keys, owner)
        live.append((owner, keys))
        while len(live) > (200 if owner > 15_000 else 4_000):  # grow, then shrink the window
            index.drop_oldest(live.pop(0)[1])
        if owner % 997 == 0:
            for key in [*keys, rng.randrange(0, 3_000)]:
                expected = [o for o, ks in reversed(live) if key in ks][:50]
                assert index.lookup(key, 50) == expected
    assert index.distinct_keys == len({key for _, keys in live for key in keys})
    assert len(index) == sum(len(keys) for _, keys in live)


def test_key_zero_is_a_key_like_any_other() -> None:
    index = KeyIndex()
    index.add([0], 0)
    assert index.lookup(0, 5) == [0]
    index.drop_oldest([0])
    assert index.lookup(0, 5) == []
