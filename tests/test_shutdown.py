"""SIGTERM while an alert is being sent: the daemon lets the send finish and records it, or — told twice —
leaves at once with the alert still pending, and the next run delivers it under the same webhook-id."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from monitor.store import opened_store
from tests.test_crash import STORY, config, kill, start
from tests.test_service import read_until
from tests.wire import Wire

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def outbox(tmp: Path) -> dict[str, int]:
    async with opened_store(tmp / "w.db") as store:
        return {status: n for status, n in (await store.outbox_counts()).items() if n}


async def sending(tmp: Path, wire: Wire) -> tuple[asyncio.subprocess.Process, asyncio.StreamReader, list[str]]:
    """A daemon whose one alert is in flight: the receiver holds the request without answering."""
    wire.feeds["a"] = []
    wire.hook_hang.add("hook")
    seen: list[str] = []
    proc, err = await start(config(tmp, wire))
    await read_until(err, "feed.fetched", seen)
    wire.feeds["a"] = [STORY]
    await wire.wait_until(lambda: bool(wire.attempts))
    return proc, err, seen


async def test_sigterm_during_a_send_finishes_it_records_it_and_exits_0(tmp_path: Path, wire: Wire) -> None:
    proc, err, seen = await sending(tmp_path, wire)
    try:
        proc.send_signal(signal.SIGTERM)
        await read_until(err, "daemon.stopping", seen)
        wire.unhang.set()  # the receiver answers while the daemon is shutting down
        await read_until(err, "alert.delivered", seen)
        await read_until(err, "daemon.stopped", seen)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            await kill(proc)
    assert await outbox(tmp_path) == {"delivered": 1}
    assert len(wire.received) == 1


async def test_second_sigterm_during_a_send_leaves_the_alert_pending_for_the_next_run(
    tmp_path: Path, wire: Wire
) -> None:
    proc, err, seen = await sending(tmp_path, wire)
    try:
        proc.send_signal(signal.SIGTERM)
        await read_until(err, "daemon.stopping", seen)
        proc.send_signal(signal.SIGTERM)  # impatient: leave now
        assert await asyncio.wait_for(proc.wait(), 30) == 128 + signal.SIGTERM
        assert await outbox(tmp_path) == {"pending": 1}
        wire.hook_hang.clear()
        proc, err = await start(config(tmp_path, wire))
        await read_until(err, "alert.delivered", seen)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            await kill(proc)
    assert await outbox(tmp_path) == {"delivered": 1}
    assert [a.headers["webhook-id"] for a in wire.attempts] == [wire.attempts[0].headers["webhook-id"]] * 2
    assert len(wire.received) == 1
