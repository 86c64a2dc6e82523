"""The status page as a person sees it: served over real HTTP, loaded by headless Chromium.

Skipped when no Chromium is installed (Debian: apt-get install chromium).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.server import RunningServer, build_app, start_server
from tests.test_server import NOW, TOKEN, broken_config, sample_source

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_TIMEOUT = 60.0  # seconds: a cold start in a small container is slow, a hang must not stall the suite
PNG = b"\x89PNG\r\n\x1a\n"


def find_chromium() -> str | None:
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium binary found (apt-get install chromium)")
    return binary


@pytest.fixture
async def page_url() -> AsyncIterator[str]:
    source = sample_source()
    source.config = broken_config()
    server: RunningServer = await start_server(build_app(source, token=TOKEN, clock=FakeClock(NOW)), "127.0.0.1", 0)
    try:
        yield f"{server.url}/?token={TOKEN}"
    finally:
        await server.close()


async def run_chromium(binary: str, profile: Path, *args: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), BROWSER_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT:.0f}s")
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out


async def test_the_page_shows_feeds_alerts_and_the_config_error(chromium: str, page_url: str, tmp_path: Path) -> None:
    dom = (await run_chromium(chromium, tmp_path / "profile", "--dump-dom", page_url)).decode("utf-8")
    assert "The last config reload failed" in dom
    assert "feeds[2].interval" in dom
    for name in ("Yonhap English", "KCNA Watch", "korea", "russia-energy"):
        assert name in dom
    assert "North Korea fires ballistic missile into East Sea" in dom
    assert "also carried by KCNA Watch, NK News" in dom
    assert "&lt;script&gt;alert('feed')&lt;/script&gt; Wire" in dom  # the feed's markup stayed text:
    assert "<script>" not in dom  # the browser made no script element of it


async def test_a_screenshot_of_the_page(chromium: str, page_url: str, tmp_path: Path) -> None:
    shot = tmp_path / "status.png"
    await run_chromium(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,900", page_url)
    assert shot.is_file()
    data = shot.read_bytes()
    assert data.startswith(PNG)
    assert len(data) > 20_000  # a blank or error page compresses to a few kB
