"""The shared development set read the way users run wiremon: the daemon polls the set's feeds from a local
server, and every story's matched watchlists — as recorded in the store, and as alerted — are the expected
ones (skipped where ../shared is absent)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from monitor.match import load_watchlists
from tests.wire import Wire

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "match" / "dev"
NOW = datetime(2026, 2, 20, tzinfo=UTC)


def expected() -> dict[str, list[str]]:
    lines = (DEV / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["id"]: row["matches"] for row in map(json.loads, lines)}


def write_config(tmp: Path, wire: Wire, names: list[str], hooks: set[str]) -> Path:
    feeds = "".join(
        f"  - {{url: '{wire.url('/feeds/' + n)}', name: {n}, interval: 5m, alert_on_first_poll: true}}\n"
        for n in names
    )
    destinations = "".join(
        f"  - {{name: {h}, type: webhook, url: '{wire.url('/hooks/' + h)}'}}\n" for h in sorted(hooks)
    )
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n{feeds}destinations:\n{destinations}"
        f"watchlists: '{DEV / 'watchlists.yaml'}'\nstore: dev.db\nserver: {{listen: 'off'}}\nparse_workers: 0\n"
        f"concurrency: 64\nper_host: 16\n",
        encoding="utf-8",
    )
    return path


async def test_daemon_reading_the_dev_feeds_reproduces_expected_matches(tmp_path: Path, wire: Wire) -> None:
    if not (DEV / "feeds").is_dir():
        pytest.skip(f"{DEV} is absent")
    names = sorted(p.stem for p in (DEV / "feeds").glob("*.xml"))
    for name in names:
        wire.raw[name] = (DEV / "feeds" / f"{name}.xml").read_bytes()
    # The set's watchlists send to named destinations: each becomes a webhook receiver here.
    hooks = {"hook", *(d for w in load_watchlists(DEV / "watchlists.yaml").watchlists for d in w.destinations or ())}
    settings, matcher = load_all(write_config(tmp_path, wire, names, hooks))
    clock = FakeClock(NOW)
    async with Daemon(settings, matcher=matcher, clock=clock, console=StringIO()) as daemon:
        clock.set(max(s.next_poll for s in daemon.states.values()))
        reports = await daemon.poll_due()
        await daemon.deliver_due()
    assert {r.status for r in reports} == {"ok"}, [r for r in reports if r.status != "ok"]

    with sqlite3.connect(tmp_path / "dev.db") as db:
        stored = {item: sorted(json.loads(wl)) for item, wl in db.execute("SELECT item_id, watchlists FROM stories")}
    want = expected()
    assert sorted(stored) == sorted(want), "the feeds carry exactly the labelled stories"
    wrong = {item: (stored[item], want[item]) for item in want if stored[item] != want[item]}
    assert wrong == {}

    # Alerts: each carries only watchlists its story matched, and every watchlist that matched a story was
    # alerted (copies of one story collapse into one alert, so the count of alerts may be smaller).
    alerted: dict[str, set[str]] = defaultdict(set)
    for post in wire.received:
        body = post.json()
        alerted[body["story"]["id"]].update(body["watchlists"])
    for item, watchlists in alerted.items():
        assert watchlists <= set(want[item]), item
    assert set().union(*alerted.values()) == {w for ws in want.values() for w in ws}
