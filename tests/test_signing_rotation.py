"""Rotating a webhook secret: while `secret` lists the new and the old one, every alert (and digest) carries a
signature for each, so a receiver still holding the old secret and one already on the new both verify it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from monitor.clock import FakeClock
from monitor.deliver.signing import SignatureError, verify
from monitor.settings.models import DestinationConfig
from tests.deliver_scene import Receiver, Scene, alert, settings_of

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
NEW = "whsec_" + base64.b64encode(b"the-new-secret-after-rotation!!").decode()
OLD = "whsec_" + base64.b64encode(b"the-old-secret-before-rotation!").decode()
OTHER = "whsec_" + base64.b64encode(b"a-secret-nobody-was-ever-given").decode()


@pytest.mark.parametrize("digest", [None, 900.0])
async def test_every_listed_secret_signs_alerts_and_digests(tmp_path: Path, digest: float | None) -> None:
    receiver = await Receiver().start()
    try:
        dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), secret=[NEW, OLD],
                                 digest=digest)  # fmt: skip
        async with aiohttp.ClientSession() as session:
            scene = await Scene(tmp_path / "w.db", session, FakeClock(START), settings_of(dest)).open()
            await scene.queue(alert(1, "hook", START))
            scene.clock.set(START + timedelta(minutes=15))
            assert await scene.drain() == 1
            await scene.close()
    finally:
        await receiver.close()
    (request,) = receiver.to("hook")
    assert len(request.headers["webhook-signature"].split()) == 2
    now = START + timedelta(minutes=15)
    for holder in (NEW, OLD):  # a receiver on either side of the rotation
        assert verify(holder, request.headers, request.body, now) == request.headers["webhook-id"]
    with pytest.raises(SignatureError):
        verify(OTHER, request.headers, request.body, now)


def test_secrets_are_checked_one_by_one() -> None:
    assert DestinationConfig(name="h", type="webhook", url="https://x.test/", secret=NEW).secrets == (NEW,)
    assert DestinationConfig(name="h", type="webhook", url="https://x.test/", secret=[NEW, OLD]).secrets == (NEW, OLD)
    with pytest.raises(ValidationError, match="whsec_"):
        DestinationConfig(name="h", type="webhook", url="https://x.test/", secret=[NEW, "whsec_not base64!"])
    with pytest.raises(ValidationError, match="one to five"):
        DestinationConfig(name="h", type="webhook", url="https://x.test/", secret=[])
