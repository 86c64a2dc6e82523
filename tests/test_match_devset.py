"""The shared development set: replay must reproduce expected.jsonl exactly (skipped where it is absent)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.match import load_watchlists
from monitor.replay import replay

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "match" / "dev"
NOW = datetime(2026, 2, 20, tzinfo=UTC)


def test_dev_set_is_reproduced_exactly() -> None:
    if not (DEV / "expected.jsonl").is_file():
        pytest.skip(f"{DEV} is absent")
    matcher = load_watchlists(DEV / "watchlists.yaml")
    out = io.StringIO()
    with (DEV / "stories.jsonl").open(encoding="utf-8") as lines:
        replay(matcher, lines, out, NOW)
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    expected = [json.loads(line) for line in (DEV / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == [e["id"] for e in expected]
    wrong = [
        (g["id"], g["matches"], e["matches"])
        for g, e in zip(got, expected, strict=True)
        if g["matches"] != e["matches"]
    ]
    assert wrong == []
