from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.slackweb import SlackWeb, start_slack_web
from tests.wire import Wire, start_wire

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    server = await start_wire()
    try:
        yield server
    finally:
        await server.server.close()


@pytest.fixture
async def slack() -> AsyncIterator[SlackWeb]:
    """A local server playing the Slack Web API (tests/slackweb.py)."""
    server = await start_slack_web()
    try:
        yield server
    finally:
        await server.server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session (the tests that need wiremon's own use monitor.fetch.make_session)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED
