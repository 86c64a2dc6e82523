"""Config and watchlist edits applied while the daemon runs; a broken edit keeps the old version."""

from __future__ import annotations

import asyncio
from io import StringIO
from pathlib import Path

from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from tests.wire import Item, Wire

SNOW = Item("s-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.")
RAIN = Item("r-1", "Monsoon rain floods Busan", "Streets were under water.")


def write_config(tmp: Path, wire: Wire, feeds: list[str], destinations: list[str]) -> Path:
    lines = ["feeds:"] + [f"  - {{url: '{wire.url('/feeds/' + f)}', name: {f}, interval: 1m}}" for f in feeds]
    lines += ["destinations:"] + [
        f"  - {{name: {d}, type: webhook, url: '{wire.url('/hooks/' + d)}'}}" for d in destinations
    ]
    lines += ["watchlists: lists/", "store: w.db", "server: {listen: 'off'}", "tick: 200ms"]
    path = tmp / "wiremon.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_list(tmp: Path, query: str) -> None:
    (tmp / "lists").mkdir(exist_ok=True)
    (tmp / "lists" / "desk.yaml").write_text(f"watchlists:\n  - name: desk\n    query: '{query}'\n", encoding="utf-8")


async def cycle(daemon: Daemon, clock: FakeClock) -> None:
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
    await daemon.poll_due()
    await daemon.deliver_due()


async def start(tmp: Path, config: Path, clock: FakeClock) -> Daemon:
    settings, matcher = load_all(config)
    return Daemon(settings, matcher=matcher, config_path=config, clock=clock, console=StringIO())


async def test_edited_watchlist_matches_the_next_story(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire, ["a"], ["hook"])
    write_list(tmp_path, "snow")
    async with await start(tmp_path, config, clock) as daemon:
        await cycle(daemon, clock)
        write_list(tmp_path, "rain OR flood*")
        assert await daemon.reload()
        wire.feeds["a"] = [SNOW, RAIN]
        await cycle(daemon, clock)
    assert [p.json()["story"]["title"] for p in wire.posts("hook")] == [RAIN.title]


async def test_broken_edit_keeps_the_running_rules(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire, ["a"], ["hook"])
    write_list(tmp_path, "snow")
    async with await start(tmp_path, config, clock) as daemon:
        await cycle(daemon, clock)
        write_list(tmp_path, "rain AND (flood")
        assert not await daemon.reload()
        status = daemon.config_status
        assert not status.ok
        assert status.problems[0].file and status.problems[0].file.endswith("desk.yaml")
        assert status.problems[0].line == 3
        wire.feeds["a"] = [SNOW]
        await cycle(daemon, clock)
        write_list(tmp_path, "rain")
        assert await daemon.reload()
        assert daemon.config_status.ok and not daemon.config_status.problems
    assert [p.json()["story"]["title"] for p in wire.posts("hook")] == [SNOW.title]


async def test_feeds_and_destinations_added_and_removed_live(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    wire.feeds["b"] = []
    config = write_config(tmp_path, wire, ["a"], ["one"])
    write_list(tmp_path, "snow OR rain")
    async with await start(tmp_path, config, clock) as daemon:
        await cycle(daemon, clock)
        write_config(tmp_path, wire, ["b"], ["one", "two"])
        assert await daemon.reload()
        await cycle(daemon, clock)  # b's first poll: its backlog is recorded, nothing alerts
        wire.feeds["a"] = [SNOW]
        wire.feeds["b"] = [RAIN]
        wire.feed_requests.clear()
        await cycle(daemon, clock)
    assert {name for name, _ in wire.feed_requests} == {"b"}  # a is no longer polled
    assert [p.json()["story"]["title"] for p in wire.posts("one")] == [RAIN.title]
    assert [p.json()["story"]["title"] for p in wire.posts("two")] == [RAIN.title]


async def test_file_change_triggers_a_reload_while_running(tmp_path: Path, wire: Wire) -> None:
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire, ["a"], ["hook"])
    write_list(tmp_path, "snow")
    stop = asyncio.Event()
    async with await start(tmp_path, config, FakeClock()) as daemon:
        running = asyncio.create_task(daemon.run(stop))
        try:
            for _ in range(50):  # the watcher may need a moment to start: keep editing until it notices
                write_list(tmp_path, "rain")
                try:
                    await asyncio.wait_for(daemon.reloaded.wait(), timeout=0.5)
                    break
                except TimeoutError:
                    continue
            assert daemon.reloaded.is_set()
            assert [w.query for w in daemon.matcher.watchlists] == ["rain"]
        finally:
            stop.set()
            await running
