"""`wiremon replay --since`: the daemon's stored stories against the current watchlists, from a real store."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.backtest import Stored, parse_since, run_backtest
from monitor.errors import WiremonError
from monitor.match import ActorSpec, WatchlistSpec, compile_matcher
from monitor.model import Story
from monitor.store import FeedState, SeenStory, SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC).replace(microsecond=0)
WATCHLISTS = """\
actors:
  kim_jong_un:
    names: ["Kim Jong-un"]
  russia:
    names: ["Russia", "Russian*", "Moscow"]
watchlists:
  - name: dprk-russia
    query: 'kim_jong_un AND (russia OR treaty)'
  - name: dprk
    query: kim_jong_un
  - name: crypto
    query: bitcoin
"""
EDITED = "watchlists:\n  - name: missiles\n    query: missile*\n"


def story(item: str, feed: str, title: str, age: timedelta) -> Story:
    at = NOW - age
    return Story(item, f"https://{feed}.test/rss", feed.title(), title, "", "", f"https://{feed}.test/{item}", at, at)


MEETS = story("a1", "alpha", "Kim Jong-un meets Russia's natural resources minister", timedelta(days=2))
MEETS_COPY = story("b1", "beta", "Kim Jong-un meets Russia’s natural resources minister", timedelta(days=2, hours=-1))
MISSILES = story("a2", "alpha", "Kim Jong-un inspects a missile factory", timedelta(days=1))
OLD_TREATY = story("a0", "alpha", "Kim Jong-un and the treaty, explained", timedelta(days=10))  # before the period
TREATY_FOLLOW_UP = story("b2", "beta", "Kim Jong-un and the treaty, explained again", timedelta(hours=20))
OLYMPICS = story("b3", "beta", "Olympic committee meets", timedelta(hours=3))
# (story, the cluster the daemon gave it)
RECORDED = [
    (OLD_TREATY, OLD_TREATY.key),
    (MEETS, MEETS.key),
    (MEETS_COPY, MEETS.key),
    (MISSILES, MISSILES.key),
    (TREATY_FOLLOW_UP, OLD_TREATY.key),
    (OLYMPICS, OLYMPICS.key),
]


async def record(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        for item, cluster in RECORDED:
            state = FeedState(url=item.feed_url, name=item.source, interval=300, next_poll=NOW)
            await store.record_poll(state, [SeenStory(item, item.link, cluster, ())], [])
    finally:
        await store.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "watchlists.yaml").write_text(WATCHLISTS, encoding="utf-8")
    (tmp_path / "edited.yaml").write_text(EDITED, encoding="utf-8")
    (tmp_path / "wiremon.yaml").write_text("store: data/wiremon.db\nwatchlists: watchlists.yaml\n", encoding="utf-8")
    asyncio.run(record(tmp_path / "data" / "wiremon.db"))
    return tmp_path / "wiremon.yaml"


def wiremon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_summary_and_output_lines(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "backtest.jsonl"
    result = wiremon("replay", "--since", "7d", "--config", str(config), "--output", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("5 stories in 4 clusters since ")
    assert lines[0].endswith("UTC, against 3 watchlists")
    table = "\n".join(lines[2:])
    assert table == (
        "watchlist      hits  clusters\n"
        "crypto            0         0\n"
        "dprk              4         3\n"
        "               - Kim Jong-un meets Russia's natural resources minister (Alpha)\n"
        "               - Kim Jong-un inspects a missile factory (Alpha)\n"
        "               - Kim Jong-un and the treaty, explained again (Beta)\n"
        "dprk-russia       3         2\n"
        "               - Kim Jong-un meets Russia's natural resources minister (Alpha)\n"
        "               - Kim Jong-un and the treaty, explained again (Beta)"
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"id": "a1", "matches": ["dprk", "dprk-russia"], "cluster": "a1", "duplicate_of": None},
        {"id": "b1", "matches": ["dprk", "dprk-russia"], "cluster": "a1", "duplicate_of": "a1"},
        {"id": "a2", "matches": ["dprk"], "cluster": "a2", "duplicate_of": None},
        {"id": "b2", "matches": ["dprk", "dprk-russia"], "cluster": "a0", "duplicate_of": "a0"},  # began earlier
        {"id": "b3", "matches": [], "cluster": "b3", "duplicate_of": None},
    ]


def test_edited_watchlists_and_a_shorter_period(config: Path) -> None:
    edited = str(config.parent / "edited.yaml")
    result = wiremon("replay", "--since", "12h", "--config", str(config), "--watchlists", edited)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("1 story in 1 cluster since ")
    assert "missiles        0         0" in result.stdout
    since_date = (NOW - timedelta(days=1, hours=12)).date().isoformat()
    by_date = wiremon("replay", "--since", since_date, "--config", str(config), "--watchlists", edited)
    assert by_date.returncode == 0, by_date.stderr
    assert "missiles        1         1\n             - Kim Jong-un inspects a missile factory" in by_date.stdout


def test_input_and_since_are_exclusive_and_one_is_required(config: Path) -> None:
    both = wiremon("replay", "--since", "7d", "--input", "-", "--config", str(config))
    assert both.returncode == 2 and "not allowed with" in both.stderr
    neither = wiremon("replay", "--config", str(config))
    assert neither.returncode == 2 and "one of the arguments --input --since is required" in neither.stderr
    bad = wiremon("replay", "--since", "last week", "--config", str(config))
    assert bad.returncode == 1 and "--since" in bad.stderr and "Traceback" not in bad.stderr


def test_replay_input_takes_the_configs_watchlists(config: Path, tmp_path: Path) -> None:
    stories = tmp_path / "stories.jsonl"
    stories.write_text(json.dumps({"id": "x", "title": MEETS.title}) + "\n", encoding="utf-8")
    result = wiremon("replay", "--input", str(stories), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["matches"] == ["dprk", "dprk-russia"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-02-11", datetime(2026, 2, 11, tzinfo=UTC)),
        ("2026-02-11T10:00:00+02:00", datetime(2026, 2, 11, 8, tzinfo=UTC)),
        ("2026-02-11T10:00Z", datetime(2026, 2, 11, 10, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["7", "last week", "", "-3d"])
def test_parse_since_refuses(text: str) -> None:
    with pytest.raises(WiremonError, match="--since"):
        parse_since(text, NOW)


def test_backtest_counts_clusters_not_copies() -> None:
    matcher = compile_matcher([ActorSpec("russia", ("Russia",))], [WatchlistSpec("ru", "russia")])
    stored = Stored([(MEETS, MEETS.key), (MEETS_COPY, MEETS.key)], {MEETS.key: MEETS.id})
    result = run_backtest(matcher, stored, None)
    assert (result.stories, result.clusters) == (2, 1)
    [ru] = result.watchlists
    assert (ru.hits, ru.clusters, ru.examples) == (2, 1, (f"{MEETS.title} (Alpha)",))
