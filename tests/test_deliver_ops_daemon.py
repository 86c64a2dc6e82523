"""The running daemon and its ops destination: a broken watchlist edit, a feed gone, a destination disabled — each
reported once; disabled destinations shown by the status server, the status page and `wiremon status`; urgent
watchlists read from their YAML."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from pathlib import Path

import aiohttp
import pytest

from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from monitor.deliver.cadence import window_end
from monitor.errors import ConfigError
from monitor.health import daemon_status, retry_feed
from monitor.match import load_watchlists
from monitor.settings import load_settings
from tests.wire import Item, Wire

SNOW = Item("s-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.")
FLOOD = Item("f-1", "Monsoon rain floods Busan", "Streets were under water.")


def write_config(tmp: Path, wire: Wire, extra: str = "") -> Path:
    text = f"""\
feeds:
  - {{url: '{wire.url('/feeds/a')}', name: Seoul wire, interval: 1m}}
destinations:
  - {{name: desk, type: webhook, url: '{wire.url('/hooks/desk')}'}}
  - {{name: pager, type: webhook, url: '{wire.url('/hooks/pager')}'}}
ops: pager
watchlists: lists/
store: w.db
server: {{listen: '127.0.0.1:0'}}
{extra}"""
    path = tmp / "wiremon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_list(tmp: Path, query: str, urgent: str = "") -> None:
    (tmp / "lists").mkdir(exist_ok=True)
    body = f"watchlists:\n  - name: weather\n    query: '{query}'\n    destinations: [desk]\n{urgent}"
    (tmp / "lists" / "weather.yaml").write_text(body, encoding="utf-8")


async def start(config: Path, clock: FakeClock) -> Daemon:
    settings, matcher = load_all(config)
    return Daemon(settings, matcher=matcher, config_path=config, clock=clock, console=StringIO())


async def cycle(daemon: Daemon, clock: FakeClock) -> None:
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
    await daemon.poll_due()
    await daemon.deliver_due()


def notices(wire: Wire) -> list[dict[str, object]]:
    return [p.json() for p in wire.posts("pager") if p.json()["type"] == "wiremon.notice"]


async def test_a_broken_watchlist_edit_reaches_ops_once_with_its_file_and_line(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire)
    write_list(tmp_path, "snow")
    async with await start(config, clock) as daemon:
        write_list(tmp_path, "snow AND (ice")
        assert not await daemon.reload()
        assert not await daemon.reload("SIGHUP")  # the same broken edit, reloaded again
        await daemon.deliver_due()
        write_list(tmp_path, "snow AND (ice OR")  # a different mistake is a different notice
        assert not await daemon.reload()
        await daemon.deliver_due()
        clock.advance(60)
        write_list(tmp_path, "snow")
        assert await daemon.reload()
        write_list(tmp_path, "snow AND (ice")  # the first mistake again, after a good reload: told again
        assert not await daemon.reload()
        await daemon.deliver_due()
    first, second, third = notices(wire)
    assert first["kind"] == "config.reload_failed" and first["title"] == "config reload failed"
    details = first["details"]
    assert isinstance(details, list) and "weather.yaml:3:" in details[0] and "unclosed parenthesis" in details[0]
    assert "watchlists[0].query" in details[0]
    assert len({first["id"], second["id"], third["id"]}) == 3 and third["details"] == first["details"]


async def test_a_feed_answering_410_reaches_ops(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.answers["a"] = (410, {})
    config = write_config(tmp_path, wire)
    write_list(tmp_path, "snow")
    async with await start(config, clock) as daemon:
        await cycle(daemon, clock)
        await daemon.deliver_due()
        assert await retry_feed(daemon.settings, wire.url("/feeds/a"))  # `wiremon feeds --retry URL`
        await cycle(daemon, clock)  # still gone: not told twice
        assert len(wire.feed_requests) == 2
    (notice,) = notices(wire)
    assert notice["kind"] == "feed.gone" and "Seoul wire" in str(notice["title"])
    assert any("/feeds/a" in line for line in notice["details"])  # type: ignore[attr-defined]


async def test_a_disabled_destination_shows_in_the_api_the_page_and_wiremon_status(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    wire.hook_status["desk"] = 410
    config = write_config(tmp_path, wire)
    write_list(tmp_path, "snow")
    async with await start(config, clock) as daemon, aiohttp.ClientSession() as http:
        assert daemon.server is not None
        await cycle(daemon, clock)
        wire.feeds["a"] = [SNOW]
        await cycle(daemon, clock)
        await daemon.deliver_due()
        async with http.get(f"{daemon.server.url}/api/destinations") as r:
            rows = {row["name"]: row for row in await r.json()}
        assert rows["desk"]["status"] == "disabled" and "gone" in rows["desk"]["reason"]
        assert rows["pager"]["status"] == "ok" and rows["pager"]["ops"] is True
        async with http.get(f"{daemon.server.url}/") as r:
            page = await r.text()
        assert 'id="destinations"' in page and "DISABLED" in page and "the receiver is gone" in page
        port = int(daemon.server.url.rsplit(":", 1)[1])
        settings = load_settings(config).model_copy(update={"server": daemon.settings.server.model_copy(
            update={"listen": f"127.0.0.1:{port}"})})  # fmt: skip
        text, _ready = await daemon_status(settings, datetime.now(daemon.clock.now().tzinfo))
        assert "desk" in text and "DISABLED" in text and "the receiver is gone" in text
        # fixing the url in the file re-enables it on the reload, and the held alert goes out
        wire.hook_status["desk"] = 200
        config.write_text(config.read_text().replace("/hooks/desk", "/hooks/desk2"), encoding="utf-8")
        assert await daemon.reload()
        await daemon.deliver_due()
    assert [p.json()["story"]["title"] for p in wire.posts("desk2")] == [SNOW.title]
    (notice,) = notices(wire)
    assert notice["kind"] == "destination.disabled"


async def test_urgent_watchlists_skip_quiet_hours_in_the_daemon(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    assert clock.now().hour == 1
    quiet = "    quiet_hours: {from: '00:00', to: '12:00', timezone: UTC}\n"  # all around the fake clock's start
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire)
    text = config.read_text().replace(
        f"  - {{name: desk, type: webhook, url: '{wire.url('/hooks/desk')}'}}\n",
        f"  - name: desk\n    type: webhook\n    url: '{wire.url('/hooks/desk')}'\n{quiet}",
    )
    config.write_text(text, encoding="utf-8")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "weather.yaml").write_text(
        "watchlists:\n  - {name: floods, query: flood*, urgent: true, destinations: [desk]}\n"
        "  - {name: snow, query: snow, destinations: [desk]}\n",
        encoding="utf-8",
    )
    async with await start(config, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["a"] = [SNOW, FLOOD]
        await cycle(daemon, clock)
    assert [p.json()["story"]["title"] for p in wire.posts("desk")] == [FLOOD.title]


def test_urgent_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("watchlists:\n  - name: floods\n    query: flood*\n    urgent: yes please\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_watchlists(path)
    (problem,) = caught.value.problems
    assert problem.line == 4 and "urgent must be true or false" in problem.message
    path.write_text("watchlists:\n  - name: floods\n    query: flood*\n    urgent: true\n", encoding="utf-8")
    assert [w.urgent for w in load_watchlists(path).watchlists] == [True]


async def test_a_watchlist_digest_collects_its_alerts_and_others_go_at_once(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    config = write_config(tmp_path, wire)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "weather.yaml").write_text(
        "watchlists:\n  - {name: snow, query: snow OR icy, digest: 1h, destinations: [desk]}\n"
        "  - {name: floods, query: flood*, destinations: [desk]}\n",
        encoding="utf-8",
    )
    async with await start(config, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["a"] = [SNOW, FLOOD]
        await cycle(daemon, clock)
        assert [p.json()["story"]["title"] for p in wire.posts("desk")] == [FLOOD.title]  # snow waits
        clock.set(window_end(clock.now(), 3600))
        await daemon.deliver_due()
    digest = wire.posts("desk")[-1].json()
    assert digest["type"] == "wiremon.digest" and [a["story"]["title"] for a in digest["alerts"]] == [SNOW.title]


def test_a_watchlist_digest_is_a_period_and_never_urgent(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    for value, message in (("soon", "digest: expected a duration"), ("10s", "from 1m to 1d")):
        path.write_text(f"watchlists:\n  - name: floods\n    query: flood*\n    digest: {value}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_watchlists(path)
        (problem,) = caught.value.problems
        assert problem.line == 4 and message in problem.message
    path.write_text("watchlists:\n  - {name: f, query: flood*, digest: 1h, urgent: true}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="urgent watchlist is never held"):
        load_watchlists(path)
    path.write_text("watchlists:\n  - {name: f, query: flood*, digest: 30m}\n", encoding="utf-8")
    assert [w.digest for w in load_watchlists(path).watchlists] == [1800.0]
