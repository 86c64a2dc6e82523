"""The demo's items and watchlists, and the example config a user starts from, checked with the real
loaders and the real matcher (through the real normalize stage)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import load_all
from monitor.clock import FakeClock
from monitor.demo.items import WATCHLISTS_FILE, DemoItem, load_demo_data, read_data_file
from monitor.demo.run import new_secret, write_config
from monitor.demo.server import DemoServers, start_demo_servers
from monitor.match import Matcher, load_watchlists
from monitor.model import RawEntry, Story
from monitor.normalize import normalize_entry
from monitor.settings import load_settings

CONFIG = Path(__file__).resolve().parents[1] / "config" / "wiremon.yaml"
NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
DATA = load_demo_data()
SEED = next(i for i in DATA.items if i.guid == "yna-demo-20241119-kim-kozlov")


def story_of(item: DemoItem) -> Story:
    entry = RawEntry(item.guid, item.link, item.title, item.summary, item.content, NOW, item.author)
    return normalize_entry(entry, feed_url=f"http://demo.test/feeds/{item.feed}.xml", source=item.feed, now=NOW)


@pytest.fixture(scope="module")
def demo_matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    path = tmp_path_factory.mktemp("demo") / "watchlists.yaml"
    path.write_text(read_data_file(WATCHLISTS_FILE), encoding="utf-8")
    return load_watchlists(path)


@pytest.mark.parametrize("item", DATA.items, ids=lambda i: i.guid)
def test_each_demo_item_matches_exactly_its_declared_watchlists(item: DemoItem, demo_matcher: Matcher) -> None:
    hits = demo_matcher.match(story_of(item))
    assert [h.watchlist for h in hits] == sorted(item.matches)


def test_the_demo_has_what_it_sets_out_to_show() -> None:
    formats = {f.format for f in DATA.feeds}
    assert formats == {"rss", "atom"} and 3 <= len(DATA.feeds) <= 4
    assert all(0 <= i.offset <= 75 for i in DATA.items)
    assert all(".invalid/" in i.link for i in DATA.items)
    assert len([i for i in DATA.items if i.offset == 0]) >= 2
    # the seed story comes first, early, and 3-4 copies follow in the other feeds
    copies = [i for i in DATA.items if i.story == SEED.story and i is not SEED]
    assert SEED.offset <= 10 and all(c.offset > SEED.offset for c in copies)
    assert 3 <= len(copies) <= 4 and {c.feed for c in copies} == {f.slug for f in DATA.feeds} - {SEED.feed}
    # traps for the Kim Jong-un rule: Korea/Russia stories that must not match it
    traps = [i for i in DATA.items if i.offset > 0 and "dprk-russia" not in i.matches]
    assert sum("Kim Yo-jong" in i.title or "Putin" in i.title for i in traps) >= 2


def test_the_example_config_loads_with_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings, matcher = load_all(CONFIG)
    assert [d.type for d in settings.effective_destinations()] == ["console"]
    assert len(settings.feeds) >= 5 and all(f.interval == 300 for f in settings.feeds)
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert settings.store_path == CONFIG.parent / "wiremon.db"
    assert "dprk-russia" in {w.name for w in matcher.watchlists}


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Kim Jong Un hosts Russian minister", "", {"dprk-russia"}),
        ("Kim Jung Un praises treaty", "", {"dprk-russia", "dprk-russia-treaty"}),  # fuzzy near-spelling
        ("Kim Yo-jong warns Seoul over drills", "", {"kim-yo-jong"}),  # his sister is not him
        ("Kim Jong-nam case revisited in Moscow", "", set()),
        ("Putin says Pyongyang ties are growing", "", {"putin-on-pyongyang"}),
        ("Russia and North Korea hit with new sanctions", "", {"dprk-russia-sanctions"}),
        ("Pyongyang hails pact", "", {"dprk-russia-treaty"}),
        (
            "Markets",
            "North Korea said on Monday, after a long and detailed review of shipping, farming, "
            "energy, tourism and sport links with several of its neighbours, that the treaty stands",
            set(),
        ),
    ],
)
def test_the_example_watchlists_read_as_documented(title: str, summary: str, expected: set[str]) -> None:
    _, matcher = load_all(CONFIG)
    assert {h.watchlist for h in matcher.match_text(title, summary)} == expected


def test_the_seed_story_matches_dprk_russia_in_the_example_watchlists() -> None:
    _, matcher = load_all(CONFIG)
    assert "dprk-russia" in {h.watchlist for h in matcher.match(story_of(SEED))}


def test_the_shared_seed_text_matches_dprk_russia(shared: Path) -> None:
    lines = (shared / "seed" / "yonhap-2024-11-19-kim-kozlov.txt").read_text(encoding="utf-8").splitlines()
    _, matcher = load_all(CONFIG)
    hits = matcher.match_text(lines[0], " ".join(lines[1:]))
    assert "dprk-russia" in {h.watchlist for h in hits}


@pytest.fixture
async def servers() -> AsyncIterator[DemoServers]:
    demo = await start_demo_servers(FakeClock())
    try:
        yield demo
    finally:
        await demo.close()


async def test_the_runner_writes_a_config_the_daemon_accepts(tmp_path: Path, servers: DemoServers) -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    settings = load_settings(write_config(tmp_path, servers, secret))
    assert [(f.name, f.url, f.interval) for f in settings.feeds] == [(n, u, 5.0) for n, u in servers.feeds]
    assert [(d.type, d.url, d.secret) for d in settings.effective_destinations()] == [
        ("console", None, None),
        ("webhook", servers.hook_url, secret),
    ]
    assert (settings.tick, settings.store_path) == (1.0, tmp_path / "demo.db")
    assert {w.name for w in load_watchlists(settings.watchlists_path).watchlists} >= {"dprk-russia"}
