"""A daemon killed with SIGKILL at the worst moments loses no alert; a repeat carries the same webhook-id."""

from __future__ import annotations

import asyncio
import base64
import signal
import sys
from pathlib import Path

import pytest

from tests.test_service import ROOT, read_until
from tests.wire import Item, Wire

SECRET = "whsec_" + base64.b64encode(b"crash-test-secret-0123456789").decode()
STORY = Item("s-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.", link="https://wire.test/snow")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def config(tmp: Path, wire: Wire) -> Path:
    (tmp / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: snow\n", encoding="utf-8")
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n  - {{url: '{wire.url('/feeds/a')}', name: a, interval: 1s}}\n"
        f"destinations:\n  - {{name: hook, type: webhook, url: '{wire.url('/hooks/hook')}', secret: '{SECRET}',"
        " timeout: 20s}\n"
        "watchlists: w.yaml\nstore: w.db\ntick: 200ms\nserver: {listen: 'off'}\n"
        # no worker processes: a SIGKILL would orphan them, and they would hold our stderr pipe open
        "parse_workers: 0\n",
        encoding="utf-8",
    )
    return path


async def start(path: Path) -> tuple[asyncio.subprocess.Process, asyncio.StreamReader]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "--config", str(path), "--log-level", "DEBUG", cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    return proc, proc.stderr


async def kill(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGKILL)
    await proc.wait()


async def test_killed_between_detection_and_delivery(tmp_path: Path, wire: Wire) -> None:
    wire.feeds["a"] = []
    wire.hook_status["hook"] = 503
    path = config(tmp_path, wire)
    seen: list[str] = []
    proc, err = await start(path)
    try:
        await read_until(err, "feed.fetched", seen)
        wire.feeds["a"] = [STORY]
        await read_until(err, "alert.retry", seen)  # detected, committed, refused once
        await kill(proc)
        wire.hook_status["hook"] = 200
        proc, err = await start(path)
        await wire.wait_until(lambda: len(wire.posts("hook")) >= 1)
        await read_until(err, "alert.delivered", seen)
        await asyncio.sleep(0.5)  # a few more ticks: nothing else may arrive
    finally:
        if proc.returncode is None:
            await kill(proc)
    assert len(wire.posts("hook")) == 1
    ids = {a.headers["webhook-id"] for a in wire.attempts}
    assert len(ids) == 1


async def test_killed_during_a_send(tmp_path: Path, wire: Wire) -> None:
    wire.feeds["a"] = []
    wire.hook_hang.add("hook")
    path = config(tmp_path, wire)
    seen: list[str] = []
    proc, err = await start(path)
    try:
        await read_until(err, "feed.fetched", seen)
        wire.feeds["a"] = [STORY]
        await wire.wait_until(lambda: bool(wire.attempts))
        await kill(proc)  # the request reached the receiver; its success was never recorded
        wire.hook_hang.clear()
        proc, err = await start(path)
        await wire.wait_until(lambda: len(wire.posts("hook")) >= 1)
        await asyncio.sleep(0.5)
    finally:
        if proc.returncode is None:
            await kill(proc)
    assert len(wire.posts("hook")) == 1
    assert len(wire.attempts) == 2
    assert wire.attempts[0].headers["webhook-id"] == wire.attempts[1].headers["webhook-id"]
    assert wire.attempts[0].body == wire.attempts[1].body
