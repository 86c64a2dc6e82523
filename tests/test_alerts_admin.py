"""`wiremon alerts`: an operator sees failing and dead alerts, and retries or drops them."""

from __future__ import annotations

import asyncio
import sys
from io import StringIO
from pathlib import Path

from monitor.alerts_admin import drop_alerts, list_alerts, retry_alerts
from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from tests.test_reload import write_config, write_list
from tests.wire import Item, Wire

ROOT = Path(__file__).resolve().parents[1]
SNOW = Item("s-1", "Heavy snow expected in Seoul", "Icy roads.", link="https://wire.test/snow")
MORE = Item("s-2", "More snow on the way", "Another front.", link="https://wire.test/more")


async def test_dead_and_failing_alerts_listed_retried_and_dropped(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    wire.feeds["a"] = []
    wire.hook_status["dead"] = 400
    wire.hook_status["flaky"] = 503
    config = write_config(tmp_path, wire, ["a"], ["dead", "flaky"])
    write_list(tmp_path, "snow")
    settings, matcher = load_all(config)
    async with Daemon(settings, matcher=matcher, clock=clock, console=StringIO()) as daemon:
        clock.set(max(s.next_poll for s in daemon.states.values()))
        await daemon.poll_due()
        wire.feeds["a"] = [SNOW, MORE]
        clock.advance(120)
        await daemon.poll_due()
        await daemon.deliver_due()
        dead = await list_alerts(settings, ["dead"], 10)
        failing = await list_alerts(settings, ["failed"], 10)
        assert {r.alert.destination for r in dead} == {"dead"} and len(dead) == 2
        assert [r.alert.destination for r in failing] == ["flaky"]  # the second waits behind the first
        assert "HTTP 503" in (failing[0].last_error or "")

        listing = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", "alerts", "--config", str(config), "--status", "dead",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await listing.communicate()
        assert listing.returncode == 0
        assert out.decode().count("dead") >= 2 and SNOW.title in out.decode()

        wire.hook_status["dead"] = 200
        assert await drop_alerts(settings, [dead[0].alert.id]) == 1
        assert await retry_alerts(settings, None, clock.now()) == 1  # only the one still dead
        await daemon.deliver_due()
    assert len(wire.posts("dead")) == 1
    assert wire.posts("dead")[0].json()["id"] == dead[1].alert.id
    assert [r.alert.id for r in await list_alerts(settings, ["dropped"], 10)] == [dead[0].alert.id]
