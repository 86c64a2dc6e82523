"""Disabled destinations survive restarts and come back when their config changes or an operator says so; the ops
destination is told, once, and never about itself. Real HTTP receivers, a real SQLite store file."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from monitor import alerts_admin
from monitor.clock import FakeClock
from monitor.deliver.notice import is_notice
from monitor.deliver.policy import DeliveryPolicy
from monitor.settings import load_settings
from monitor.settings.models import DestinationConfig, Settings
from tests.deliver_scene import Receiver, Scene, alert, settings_of

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = await Receiver().start()
    yield receiver
    await receiver.close()


def newsroom(receiver: Receiver, path: str = "newsroom") -> DestinationConfig:
    return DestinationConfig(name="newsroom", type="slack", url=receiver.url(path))


def ops_hook(receiver: Receiver) -> DestinationConfig:
    return DestinationConfig(name="ops", type="webhook", url=receiver.url("ops"))


async def test_a_disabled_destination_stays_disabled_across_a_restart_until_its_config_changes(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 404, "no_service")
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings_of(newsroom(receiver))).open()
    first, second = alert(1, "newsroom", START), alert(2, "newsroom", START + timedelta(seconds=1))
    await scene.queue(first, second)
    assert await scene.drain() == 0
    assert scene.deliverer and "no_service" in scene.deliverer.disabled["newsroom"]

    await scene.restart()  # the same config: still disabled, nothing sent, nothing lost
    scene.clock.advance(3600)
    assert await scene.drain() == 0
    assert len(receiver.to("newsroom")) == 1
    assert [r.alert.id for r in await scene.rows()] == [first.id, second.id]
    assert scene.store and set(await scene.store.disabled_destinations()) == {"newsroom"}

    await scene.restart(settings_of(newsroom(receiver, "newsroom-new")))  # a new url: enabled again
    assert scene.store and not await scene.store.disabled_destinations()
    assert await scene.drain() == 2
    assert [p.json()["blocks"][-1]["elements"][0]["text"].split("`")[1] for p in receiver.to("newsroom-new")] == [
        first.id, second.id,
    ]  # fmt: skip
    await scene.close()


async def test_a_config_change_while_running_re_enables_the_destination(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 410, "channel_is_archived")
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings_of(newsroom(receiver))).open()
    await scene.queue(alert(1, "newsroom", START))
    await scene.drain()
    assert scene.deliverer and "archived" in scene.deliverer.disabled["newsroom"]
    receiver.answer("newsroom", 200, "ok")
    await scene.deliverer.configure(scene.deliverer.policy)  # a reload that changed nothing
    assert await scene.drain() == 0
    edited = newsroom(receiver).model_copy(update={"timeout": 5})  # any change to its config
    await scene.deliverer.configure(DeliveryPolicy.of(settings_of(edited)))
    assert await scene.drain() == 1
    await scene.close()


async def test_wiremon_alerts_enable_lets_a_running_deliverer_send_again(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 404, "channel_not_found")
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings_of(newsroom(receiver))).open()
    await scene.queue(alert(1, "newsroom", START))
    await scene.drain()
    settings = Settings(store=str(tmp_path / "w.db"))
    listed = alerts_admin.render_disabled(await alerts_admin.disabled_destinations(settings))
    assert listed.startswith("newsroom") and "channel does not exist" in listed
    receiver.answer("newsroom", 200, "ok")
    assert await alerts_admin.enable_destination(settings, "newsroom")  # another process, the same store file
    assert not await alerts_admin.enable_destination(settings, "newsroom")
    assert await scene.drain() == 1
    await scene.close()


async def test_the_ops_destination_hears_once_that_a_destination_was_disabled(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 404, "no_service")
    settings = settings_of(newsroom(receiver), ops_hook(receiver), ops="ops")
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings).open()
    await scene.queue(alert(1, "newsroom", START))
    await scene.drain()
    (notice,) = receiver.to("ops")
    body = notice.json()
    assert body["type"] == "wiremon.notice" and body["kind"] == "destination.disabled"
    assert "newsroom" in body["title"] and any("no_service" in line for line in body["details"])
    assert notice.headers["webhook-id"] == body["id"]
    # enabled by hand, failing the same way again: the same warning is not repeated
    assert scene.store and await scene.store.enable_destination("newsroom")
    await scene.restart()
    scene.clock.advance(60)
    await scene.drain()
    assert len(receiver.to("newsroom")) == 2 and len(receiver.to("ops")) == 1
    await scene.close()


async def test_the_ops_destination_is_never_told_about_itself(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("ops", 410)
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings_of(ops_hook(receiver), ops="ops")).open()
    await scene.queue(alert(1, "ops", START))
    await scene.drain()
    await scene.drain()
    assert len(receiver.to("ops")) == 1
    rows = await scene.rows("pending", "delivered", "dead")
    assert [r.alert.id for r in rows] == [alert(1, "ops", START).id]
    assert not any(is_notice(r.alert) for r in rows)
    await scene.close()


async def test_a_notice_to_a_failing_ops_destination_is_retried_like_an_alert(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 404, "no_service")
    receiver.answer("ops", 503)
    settings = settings_of(newsroom(receiver), ops_hook(receiver).model_copy(update={"retry": [30.0]}), ops="ops")
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings).open()
    await scene.queue(alert(1, "newsroom", START))
    await scene.drain()
    (pending,) = [r for r in await scene.rows() if is_notice(r.alert)]
    assert pending.attempts == 1
    await scene.restart()
    receiver.answer("ops", 200)
    scene.clock.advance(40)
    await scene.drain()
    first, second = receiver.to("ops")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    await scene.close()


async def test_the_cli_lists_and_enables_disabled_destinations(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("newsroom", 404, "no_service")
    config = tmp_path / "wiremon.yaml"
    config.write_text(
        f"destinations:\n  - {{name: newsroom, type: slack, url: '{receiver.url('newsroom')}'}}\n"
        "store: w.db\nserver: {listen: 'off'}\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings).open()
    await scene.queue(alert(1, "newsroom", START))
    await scene.drain()
    await scene.close()

    async def wiremon(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", *args, "--config", str(config), cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    code, out = await wiremon("status")
    assert code == 1 and "newsroom" in out and "DISABLED" in out and "no_service" in out
    code, out = await wiremon("alerts", "--disabled")
    assert code == 0 and out.startswith("newsroom") and "no_service" in out
    code, out = await wiremon("alerts", "--enable", "newsroom")
    assert code == 0 and "newsroom enabled" in out
    code, out = await wiremon("alerts", "--enable", "newsroom")
    assert code == 1 and "not disabled" in out
    code, out = await wiremon("alerts", "--disabled")
    assert out.strip() == "no destination is disabled"
