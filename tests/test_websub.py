"""WebSub end to end: a real publisher and hub (tests/hub.py), the daemon's real status server as the callback,
a real SQLite store and a local webhook receiving the alerts; time is a fake clock."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import FakeClock
from monitor.daemon import Daemon
from monitor.health import feed_rows, render_feeds
from monitor.settings import DestinationConfig, FeedConfig, ServerConfig, Settings
from monitor.websub import lease
from tests.hub import Hub, Request, atom, start_hub
from tests.wire import Item, Wire, rss

OLD = Item("old-1", "Markets open flat", "Nothing to see.", link="https://publisher.test/old")
SNOW = Item("snow-1", "Heavy snow expected in Seoul", "Forecasters warn of icy roads.", link="https://publisher.test/snow")
MORE = Item("snow-2", "More snow closes Seoul schools", "Schools shut as snow piles up.", link="https://publisher.test/more")
TOKEN = "status-token"


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    started = await start_hub()
    try:
        yield started
    finally:
        assert started.session is not None
        await started.session.close()
        await started.server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_for(tmp: Path, hub: Hub, wire: Wire, *, paths: tuple[str, ...] = ("/atom/a",), public: bool = True,
                 **feed_options: Any) -> Settings:  # fmt: skip
    (tmp / "w.yaml").write_text("watchlists:\n  - name: snow\n    query: snow\n", encoding="utf-8")
    port = free_port()
    return Settings(
        feeds=[FeedConfig(url=hub.url(p), name=p.rsplit("/", 1)[1], interval=60, **feed_options) for p in paths],
        destinations=[DestinationConfig(name="archive", type="webhook", url=wire.url("/hooks/archive"))],
        watchlists=Path("w.yaml"), store="w.db", base_dir=tmp,
        server=ServerConfig(listen=f"127.0.0.1:{port}", token=TOKEN,
                            public_url=f"http://127.0.0.1:{port}/" if public else None),
    )  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def running(clock: FakeClock) -> Callable[[Settings], Any]:
    @asynccontextmanager
    async def start(settings: Settings) -> AsyncIterator[Daemon]:
        async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
            yield daemon

    return start


async def poll(daemon: Daemon, clock: FakeClock) -> None:
    """Move the clock to when the feeds are due, poll them, then let the subscriber act (one tick's work)."""
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
    await daemon.poll_due()
    await daemon.websub_due()


async def subscribed(daemon: Daemon, clock: FakeClock, hub: Hub) -> Request:
    """First poll → discovery → subscription request → verified; returns the hub's record of the request."""
    await poll(daemon, clock)
    [request] = hub.subscriptions()
    assert (await hub.verify(request, challenge="c-123"))[0] == 200
    return request


def wait_of(daemon: Daemon, url: str, clock: FakeClock) -> float:
    return (daemon.states[url].next_poll - clock.now()).total_seconds()


async def test_discover_subscribe_verify_and_push_an_alert(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire)
    async with running(settings) as daemon:
        await poll(daemon, clock)
        [request] = hub.subscriptions()
        public = settings.server.public_url
        assert request.topic == "https://publisher.test/a.atom"  # rel="self", not the URL polled
        assert request.callback.startswith(f"{public}/websub/") and len(request.callback) > len(public) + 20
        assert len(request.form["hub.secret"]) >= 32 and int(request.form["hub.lease_seconds"]) > 0
        assert daemon.websub is not None and not daemon.websub.active(hub.url("/atom/a"))
        status, body = await hub.verify(request, challenge="c-123")  # no status token: hubs do not have it
        assert (status, body) == (200, "c-123")
        assert daemon.websub.active(hub.url("/atom/a"))
        assert hub.session is not None and daemon.server is not None
        async with hub.session.get(f"{daemon.server.url}/api/feeds", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert (await r.json())[0]["push"].startswith("active until ")
        async with hub.session.get(f"{daemon.server.url}/api/feeds") as r:
            assert r.status == 401  # the callback is open, the rest is not
        async with hub.session.get(f"{daemon.server.url}/?token={TOKEN}") as r:
            until = clock.now() + timedelta(seconds=hub.lease)
            assert f"push: active until {until:%Y-%m-%dT%H:%M:%S}" in await r.text()
        pushed = atom("a", [SNOW, OLD], hub=hub.hub_url, self_url=request.topic)
        assert await hub.distribute(request, pushed) == 202
        await daemon.websub.settle()
        await daemon.deliver_due()
    [alert] = wire.posts("archive")
    assert alert.json()["story"]["title"] == SNOW.title and alert.json()["watchlists"] == ["snow"]
    rows = await feed_rows(settings, clock.now())  # `wiremon feeds`, from the store, the daemon stopped
    assert rows[0]["push"] == f"active until {until:%Y-%m-%dT%H:%M:%S}+00:00 via {hub.hub_url}"
    assert "push" in render_feeds(rows, clock.now()).splitlines()[0]
    clock.advance(hub.lease + 1)
    assert (await feed_rows(settings, clock.now()))[0]["push"].startswith(f"lapsed at {until:%Y-%m-%dT%H:%M:%S}")


async def test_link_header_names_the_hub_and_topic(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["b"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire, paths=("/linked/b",))) as daemon:
        request = await subscribed(daemon, clock, hub)
        assert request.topic == "https://publisher.test/b.rss"
        assert await hub.distribute(request, rss("b", [SNOW]), content_type="application/rss+xml") == 202
        await daemon.websub.settle()  # type: ignore[union-attr]
        await daemon.deliver_due()
    assert [r.json()["story"]["title"] for r in wire.posts("archive")] == [SNOW.title]


async def test_a_hub_may_verify_before_it_answers(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    hub.verify_first = True
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await poll(daemon, clock)
        assert hub.early[0][0] == 200
        sub = daemon.websub.subscription(hub.url("/atom/a"))  # type: ignore[union-attr]
        assert sub is not None and sub.state == "active" and sub.requested_at is None


async def test_challenges_are_answered_only_for_pending_requests(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await poll(daemon, clock)
        [request] = hub.subscriptions()
        unknown = Request({**request.form, "hub.callback": request.callback.rsplit("/", 1)[0] + "/not-ours"})
        assert (await hub.verify(unknown))[0] == 404
        assert (await hub.verify(request, topic="https://publisher.test/other.atom"))[0] == 404
        assert (await hub.verify(request, lease=-5))[0] == 404  # an unreadable lease
        assert (await hub.verify(request, mode="unsubscribe"))[0] == 404  # we asked to subscribe, not to leave
        assert (await hub.verify(request, challenge="ok", omit_lease=True)) == (200, "ok")
        sub = daemon.websub.subscription(hub.url("/atom/a"))  # type: ignore[union-attr]
        assert sub is not None and sub.lease_seconds == lease.REQUESTED_LEASE  # what we asked for
        assert (await hub.verify(request, challenge="again"))[0] == 404  # nothing outstanding any more


async def test_bad_signatures_are_ignored_good_ones_processed(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        request = await subscribed(daemon, clock, hub)
        body = atom("a", [SNOW], hub=None, self_url=None)
        assert await hub.distribute(request, body, signature="") == 202  # missing: acknowledged, ignored
        assert await hub.distribute(request, body, secret="not-the-secret") == 202
        assert await hub.distribute(request, body, signature="md5=0123") == 202
        await daemon.websub.settle()  # type: ignore[union-attr]
        assert daemon.states[hub.url("/atom/a")].items_seen == 1  # only OLD, from the poll
        assert await hub.distribute(request, body, method="sha1") == 202
        await daemon.websub.settle()  # type: ignore[union-attr]
        assert daemon.states[hub.url("/atom/a")].items_seen == 2
        await daemon.deliver_due()
        exposed = daemon.metrics.render().decode()
    assert len(wire.posts("archive")) == 1
    assert 'wiremon_websub_pushes_total{outcome="bad-signature"} 3.0' in exposed
    assert 'wiremon_websub_pushes_total{outcome="accepted"} 1.0' in exposed


async def test_oversized_and_unknown_pushes(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        request = await subscribed(daemon, clock, hub)
        huge = b"<feed>" + b" " * 10_000_001 + b"</feed>"
        assert await hub.distribute(request, huge) == 413
        stranger = Request({**request.form, "hub.callback": request.callback + "x"})
        assert await hub.distribute(stranger, atom("a", [SNOW], hub=None, self_url=None)) == 410


async def test_lease_is_renewed_before_it_runs_out(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    hub.lease = 1000
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await subscribed(daemon, clock, hub)
        verified = clock.now()
        clock.set(verified + timedelta(seconds=800))
        await daemon.websub_due()
        assert len(hub.subscriptions()) == 1  # not yet
        clock.set(verified + timedelta(seconds=lease.RENEW_AT * 1000 + 1))
        await daemon.websub_due()
        assert len(hub.subscriptions()) == 2
        renewal = hub.subscriptions()[1]
        assert renewal.callback == hub.subscriptions()[0].callback and renewal.form["hub.secret"]
        assert daemon.websub.active(hub.url("/atom/a"))  # type: ignore[union-attr]  # the old lease still holds
        assert (await hub.verify(renewal))[0] == 200
        sub = daemon.websub.subscription(hub.url("/atom/a"))  # type: ignore[union-attr]
        assert sub is not None and sub.expires_at == clock.now() + timedelta(seconds=1000)


async def test_heartbeat_while_pushed_then_normal_polling_after_a_lapse(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    hub.lease = 7200
    url = hub.url("/atom/a")
    async with running(settings_for(tmp_path, hub, wire, websub_heartbeat=1800)) as daemon:
        await subscribed(daemon, clock, hub)
        assert wait_of(daemon, url, clock) < 100  # scheduled before the subscription: the normal interval
        await poll(daemon, clock)
        assert 1800 * 0.9 <= wait_of(daemon, url, clock) <= 1800 * 1.1  # the heartbeat, not 60 s
        hub.answer = 500  # renewals fail from now on
        expiry = daemon.websub.subscription(url).expires_at  # type: ignore[union-attr]
        while clock.now() < expiry:  # type: ignore[operator]
            clock.advance(600)
            await daemon.poll_due()
            await daemon.websub_due()
        assert not daemon.websub.active(url)  # type: ignore[union-attr]
        assert daemon.websub.subscription(url).state == "expired"  # type: ignore[union-attr]
        assert wait_of(daemon, url, clock) <= 0  # the lapse made the feed due at once
        await poll(daemon, clock)
        assert wait_of(daemon, url, clock) <= 60 * 1.1
    assert len(hub.subscriptions()) > 2, "renewals were attempted, and retried"


async def test_subscriptions_survive_a_restart(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire)
    async with running(settings) as daemon:
        request = await subscribed(daemon, clock, hub)
    async with running(settings) as daemon:
        assert daemon.websub.active(hub.url("/atom/a"))  # type: ignore[union-attr]
        await poll(daemon, clock)
        assert len(hub.subscriptions()) == 1  # already subscribed: no new request
        assert await hub.distribute(request, atom("a", [SNOW], hub=None, self_url=None)) == 202
        await daemon.websub.settle()  # type: ignore[union-attr]
        await daemon.deliver_due()
    assert len(wire.posts("archive")) == 1


async def test_pushes_in_progress_finish_at_shutdown(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire)
    async with running(settings) as daemon:
        request = await subscribed(daemon, clock, hub)
        assert await hub.distribute(request, atom("a", [SNOW, MORE], hub=None, self_url=None)) == 202
    async with running(settings) as daemon:  # nothing awaited the push above but the daemon's own shutdown
        assert daemon.states[hub.url("/atom/a")].items_seen == 3
        await daemon.deliver_due()
    assert len(wire.posts("archive")) == 2


async def test_unsubscribes_when_the_feed_leaves_the_config(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire)
    async with running(settings) as daemon:
        await subscribed(daemon, clock, hub)
    emptied = settings.model_copy(update={"feeds": []})
    async with running(emptied) as daemon:
        await daemon.websub_due()
        leave = hub.requests[-1]
        assert leave.mode == "unsubscribe" and "hub.secret" not in leave.form
        assert (await hub.verify(leave))[0] == 200
        assert daemon.websub.subscription(hub.url("/atom/a")) is None  # type: ignore[union-attr]
        assert await daemon.store.subscriptions() == []


async def test_a_denied_subscription_is_recorded(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await poll(daemon, clock)
        assert await hub.deny(hub.subscriptions()[0], "topic not found") == 200
        [stored] = await daemon.store.subscriptions()
        assert stored.state == "denied" and stored.last_error == "topic not found"
        await daemon.websub_due()
        assert len(hub.subscriptions()) == 1  # asked again only after lease.DENIED_RETRY


async def test_hub_refusals_are_retried_with_backoff(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    hub.answer = 503
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await poll(daemon, clock)
        sub = daemon.websub.subscription(hub.url("/atom/a"))  # type: ignore[union-attr]
        assert sub is not None and sub.state == "failed" and "503" in (sub.last_error or "")
        assert sub.next_attempt == clock.now() + timedelta(seconds=lease.retry_delay(1))
        clock.advance(lease.retry_delay(1))
        await daemon.websub_due()
        assert daemon.websub.subscription(hub.url("/atom/a")).attempts == 2  # type: ignore[union-attr]
        assert len(hub.subscriptions()) == 2


async def test_opt_out_and_no_public_url_mean_polling_only(tmp_path, hub, wire, clock, running, caplog) -> None:
    hub.feeds["a"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire, websub=False)) as daemon:
        await poll(daemon, clock)
    assert hub.requests == []
    async with running(settings_for(tmp_path, hub, wire, public=False)) as daemon:
        clock.advance(3600)
        hub.feeds["a"] = [SNOW, OLD]
        await poll(daemon, clock)
        clock.advance(3600)
        hub.feeds["a"] = [MORE, SNOW, OLD]
        await poll(daemon, clock)
        assert daemon.server is not None
    assert hub.requests == []
    assert sum("websub.unavailable" in r.getMessage() for r in caplog.records) == 1


async def test_the_scheduler_tick_subscribes_and_verification_arrives_while_running(tmp_path, hub, wire, clock) -> None:
    import asyncio

    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire).model_copy(update={"tick": 0.05})
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        clock.advance(60)  # every feed is due
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run(stop))
        await asyncio.wait_for(hub.poke.wait(), 10)  # the tick polled, discovered, and asked the hub
        [request] = hub.subscriptions()
        assert (await hub.verify(request, challenge="live"))[1] == "live"
        assert await hub.distribute(request, atom("a", [SNOW], hub=None, self_url=None)) == 202
        await daemon.websub.settle()  # type: ignore[union-attr]
        await asyncio.wait_for(wire.wait_until(lambda: bool(wire.posts("archive"))), 10)  # the deliverer woke
        stop.set()
        await running
    assert wire.posts("archive")[0].json()["story"]["title"] == SNOW.title


async def test_a_hub_that_does_not_answer_never_holds_up_polling(tmp_path, hub, wire, clock) -> None:
    import asyncio

    hub.feeds["a"] = [OLD]
    hub.hang = asyncio.Event()
    settings = settings_for(tmp_path, hub, wire).model_copy(update={"tick": 0.05})
    async with Daemon(settings, clock=clock, console=StringIO()) as daemon:
        clock.advance(60)  # every feed is due
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run(stop))
        await asyncio.wait_for(hub.poke.wait(), 10)  # asked the hub, which keeps the request waiting
        hub.feeds["a"] = [OLD, SNOW]
        clock.advance(120)  # due again: the next ticks poll it while the hub still says nothing
        await asyncio.wait_for(wire.wait_until(lambda: bool(wire.posts("archive"))), 10)
        assert len(hub.requests) == 1 and not daemon.websub.active(hub.url("/atom/a"))  # type: ignore[union-attr]
        hub.hang.set()
        stop.set()
        await running
    assert wire.posts("archive")[0].json()["story"]["title"] == SNOW.title


async def test_a_feed_with_several_hubs_moves_on_from_one_that_keeps_refusing(tmp_path, hub, wire, clock,
                                                                               running) -> None:  # fmt: skip
    hub.feeds["a"] = [OLD]
    hub.also = ["/hub2"]
    hub.answer = 503
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        await poll(daemon, clock)
        for _ in range(lease.SWITCH_HUB_AFTER):
            clock.set(daemon.websub.subscription(hub.url("/atom/a")).next_attempt)  # type: ignore[union-attr]
            await daemon.websub_due()
        assert hub.hub_paths == ["/hub"] * lease.SWITCH_HUB_AFTER + ["/hub2"]
        assert (await hub.verify(hub.requests[-1]))[0] == 200
        assert daemon.websub.active(hub.url("/atom/a"))  # type: ignore[union-attr]
    async with running(settings_for(tmp_path, hub, wire).model_copy(update={"store": "w.db"})) as daemon:
        sub = daemon.websub.subscription(hub.url("/atom/a"))  # type: ignore[union-attr]
        assert sub is not None and sub.hubs == (hub.hub_url, hub.url("/hub2"))  # kept in the store


async def test_a_new_topic_means_a_new_subscription_and_the_old_callback_is_gone(tmp_path, hub, wire, clock,
                                                                                  running) -> None:  # fmt: skip
    hub.feeds["b"] = [OLD]
    async with running(settings_for(tmp_path, hub, wire, paths=("/linked/b",))) as daemon:
        url = hub.url("/linked/b")
        first = await subscribed(daemon, clock, hub)
        hub.feeds["b"] = [SNOW, OLD]  # a changed body: parsed, and the Link header read again
        await poll(daemon, clock)
        assert len(hub.subscriptions()) == 1  # same hub, same topic: nothing to do
        assert wait_of(daemon, url, clock) > 1800  # pushed: the heartbeat pace
        hub.topics["b"] = "https://publisher.test/b-new.rss"
        hub.feeds["b"] = [MORE, SNOW, OLD]
        await poll(daemon, clock)
        second = hub.subscriptions()[-1]
        assert second.topic == "https://publisher.test/b-new.rss" and second.callback != first.callback
        assert wait_of(daemon, url, clock) <= 0  # no longer pushed: polled at once
        assert await hub.distribute(first, rss("b", [MORE]), content_type="application/rss+xml") == 410


async def test_a_hub_revoking_an_active_subscription_brings_polling_back(tmp_path, hub, wire, clock, running) -> None:
    hub.feeds["a"] = [OLD]
    url = hub.url("/atom/a")
    async with running(settings_for(tmp_path, hub, wire)) as daemon:
        request = await subscribed(daemon, clock, hub)
        await poll(daemon, clock)
        assert wait_of(daemon, url, clock) > 1800
        assert await hub.deny(request, "publisher left") == 200
        assert not daemon.websub.active(url)  # type: ignore[union-attr]
        assert wait_of(daemon, url, clock) <= 0


async def test_opting_out_unsubscribes_and_a_failed_unsubscribe_is_forgotten(tmp_path, hub, wire, clock,
                                                                              running) -> None:  # fmt: skip
    hub.feeds["a"] = [OLD]
    settings = settings_for(tmp_path, hub, wire)
    async with running(settings) as daemon:
        await subscribed(daemon, clock, hub)
        await poll(daemon, clock)
        assert wait_of(daemon, hub.url("/atom/a"), clock) > 1800  # pushed: the heartbeat
    opted_out = settings.model_copy(update={"feeds": [f.model_copy(update={"websub": False}) for f in settings.feeds]})
    hub.answer = 500
    async with running(opted_out) as daemon:
        clock.advance(120)
        await daemon.websub_due()
        assert hub.requests[-1].mode == "unsubscribe"
        assert wait_of(daemon, hub.url("/atom/a"), clock) <= 0  # no longer pushed: due at once
        await poll(daemon, clock)
        assert await daemon.store.subscriptions() == []  # best effort: the lease ends at the hub anyway
        assert wait_of(daemon, hub.url("/atom/a"), clock) <= 60 * 1.1  # polled normally
