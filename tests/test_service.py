"""`wiremon run` as a real process: signals, reloads, a clean exit."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.test_reload import write_config, write_list
from tests.wire import Item, Wire

ROOT = Path(__file__).resolve().parents[1]


async def read_until(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> str:
    async def scan() -> str:
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream closed before {needle!r}; saw:\n{''.join(seen)}")
            seen.append(line)
            if needle in line:
                return line

    return await asyncio.wait_for(scan(), 30)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sighup_reloads_and_sigterm_exits_cleanly(tmp_path: Path, wire: Wire) -> None:
    wire.feeds["a"] = [Item("s-1", "Heavy snow expected in Seoul", "Icy roads.")]
    config = write_config(tmp_path, wire, ["a"], ["hook"])
    write_list(tmp_path, "snow")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "--config", str(config), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        await read_until(proc.stderr, "daemon.started", seen)
        await read_until(proc.stderr, "feed.fetched", seen)
        write_list(tmp_path, "rain AND (broken")
        proc.send_signal(signal.SIGHUP)
        failed = await read_until(proc.stderr, "config.reload_failed", seen)
        assert "desk.yaml:3" in failed
        write_list(tmp_path, "rain")
        await read_until(proc.stderr, "config.reloaded", seen)  # the watcher, or another SIGHUP
        proc.send_signal(signal.SIGTERM)
        await read_until(proc.stderr, "daemon.stopped", seen)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
