"""The clusterer against the shared development sets (outside the repo; skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.eval_dedup import Score, evaluate
from monitor.dedup import DedupConfig

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV = SHARED / "eval" / "dedup" / "dev"

pytestmark = pytest.mark.skipif(not DEV.is_dir(), reason=f"no development sets at {DEV}")


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    return evaluate(DEV, DedupConfig())


def test_wire_copies_collapse_and_nothing_else_does(scores: dict[str, Score]) -> None:
    copies = scores["copies"]
    assert copies.precision >= 0.99, copies.errors
    assert copies.recall >= 0.95, copies.errors


def test_a_real_snapshot_of_feeds_merges_nothing_wrongly(scores: dict[str, Score]) -> None:
    snapshot = scores["snapshot"]
    assert snapshot.precision >= 0.97, snapshot.errors


def test_labelled_pairs_merge_no_different_stories(scores: dict[str, Score]) -> None:
    pairs = scores["pairs"]
    assert pairs.fp == 0, pairs.errors
