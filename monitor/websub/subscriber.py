"""The WebSub subscriber: subscriptions kept in the store, requests to hubs, the callback's answers.

The daemon owns it: it tells it what each poll discovered, calls `step` on every scheduler tick (subscribe,
renew, retry, unsubscribe), serves `verify` and `receive` on /websub/<callback id>, and `close`s it at
shutdown, which waits for the pushed bodies still being processed. Every change of a subscription is made in
memory and written to the store under one lock, so the callback and the tick never see half of one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, Final

from monitor.clock import Clock
from monitor.logs import log_event
from monitor.metrics import Metrics
from monitor.store.base import Store, Subscription
from monitor.websub import lease
from monitor.websub.client import HubClient
from monitor.websub.discover import Discovery
from monitor.websub.lease import Step
from monitor.websub.signature import check_signature

log = logging.getLogger("wiremon.websub")

CLOSE_DEADLINE: Final = 20.0  # seconds pushed bodies still being processed get at shutdown

Process = Callable[[str, bytes, str | None], Coroutine[Any, Any, None]]  # (feed URL, body, Content-Type)
Lapsed = Callable[[str], Awaitable[None]]  # a feed whose push stopped: poll it normally again


class Subscriber:
    def __init__(
        self,
        *,
        store: Store,
        hubs: HubClient,
        clock: Clock,
        callback_base: str | None,
        process: Process,
        lapsed: Lapsed,
        unavailable: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.hubs = hubs
        self.clock = clock
        self.callback_base = callback_base.rstrip("/") if callback_base else None
        self.unavailable = unavailable  # why push cannot work here (no server, no public_url), if so
        self._process = process
        self._lapsed = lapsed
        self.metrics = metrics or Metrics()
        self._subs: dict[str, Subscription] = {}  # by feed URL
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._told_unavailable = False

    async def load(self) -> None:
        self._subs = {s.feed_url: s for s in await self.store.subscriptions()}

    # --- what the daemon asks --------------------------------------------------------------------------

    def subscription(self, feed_url: str) -> Subscription | None:
        return self._subs.get(feed_url)

    def active(self, feed_url: str) -> bool:
        sub = self._subs.get(feed_url)
        return self.unavailable is None and sub is not None and lease.is_active(sub, self.clock.now())

    def describe(self, feed_url: str) -> str | None:
        """The feed's push state for people: None when it has no subscription."""
        sub = self._subs.get(feed_url)
        if sub is None or self.unavailable is not None:
            return None
        return lease.describe(sub, self.clock.now())

    def callback_url(self, sub: Subscription) -> str:
        assert self.callback_base is not None
        return f"{self.callback_base}/websub/{sub.callback_id}"

    async def discovered(self, feed_url: str, found: Discovery) -> None:
        """A poll found the feed's hubs: subscribe (at the next step) unless already subscribed there."""
        if not found.pushable or found.topic is None:
            return
        if self.unavailable is not None:
            if not self._told_unavailable:
                self._told_unavailable = True
                log_event(log, "websub.unavailable", logging.WARNING, feed=feed_url, hub=found.hubs[0],
                          reason=self.unavailable, note="feeds are polled as usual")  # fmt: skip
            return
        current = self._subs.get(feed_url)
        if current is not None and current.topic == found.topic and current.hub in found.hubs:
            if current.hubs != found.hubs:
                await self._save(replace(current, hubs=found.hubs))
            return
        sub = Subscription(
            feed_url=feed_url, topic=found.topic, hub=found.hubs[0], callback_id=secrets.token_urlsafe(18),
            secret=secrets.token_urlsafe(32), state="pending", next_attempt=self.clock.now(), hubs=found.hubs,
        )  # fmt: skip
        log_event(log, "websub.discovered", feed=feed_url, hub=sub.hub, topic=sub.topic)
        await self._save(sub)  # a subscription elsewhere is dropped: its callback id now answers 410
        if current is not None and lease.is_active(current, self.clock.now()):
            await self._lapsed(feed_url)

    async def step(self, wanted: Collection[str]) -> None:
        """Subscribe, renew, retry and unsubscribe whatever is due; `wanted`: the feeds that want push."""
        if self.unavailable is not None:
            return
        actions = lease.plan(list(self._subs.values()), wanted, self.clock.now())
        await asyncio.gather(*(self._act(a) for a in actions))

    async def _act(self, action: lease.Action) -> None:
        sub = action.subscription
        match action.step:
            case Step.LAPSE:
                await self._lapse(sub)
            case Step.SUBSCRIBE:
                await self._request(sub.feed_url, "subscribe")
            case Step.UNSUBSCRIBE:
                await self._request(sub.feed_url, "unsubscribe")
                if lease.is_active(sub, self.clock.now()):
                    await self._lapsed(sub.feed_url)  # an opted-out feed goes back to its own pace now
            case Step.FORGET:
                await self._forget(sub.feed_url)

    async def _lapse(self, sub: Subscription) -> None:
        async with self._lock:
            if self._subs.get(sub.feed_url) is not sub:
                return
            await self._save_locked(replace(sub, state="expired"))
        log_event(log, "websub.lapsed", logging.WARNING, feed=sub.feed_url, hub=sub.hub,
                  note="the lease ran out; polling at the feed's own interval")  # fmt: skip
        await self._lapsed(sub.feed_url)

    async def _request(self, feed_url: str, mode: str) -> None:
        """Send a (un)subscription request. The hub may verify it before it even answers: the row says a
        request is outstanding (`requested_at`) before the request leaves."""
        now = self.clock.now()
        async with self._lock:
            sub = self._subs.get(feed_url)
            if sub is None:
                return
            state = "unsubscribing" if mode == "unsubscribe" else sub.state
            if mode == "subscribe" and state == "unsubscribing":
                state = "pending"
            sent = replace(sub, state=state, requested_at=now)
            if mode == "subscribe" and (other := lease.next_hub(sub)) is not None:
                log_event(log, "websub.switch_hub", logging.WARNING, feed=feed_url, hub=other, previous=sub.hub,
                          reason=sub.last_error or "no verification")  # fmt: skip
                sent = replace(sent, hub=other, state="pending", attempts=0)
            await self._save_locked(sent)
        answer = await self.hubs.request(
            sent.hub, mode=mode, topic=sent.topic, callback=self.callback_url(sent),
            secret=sent.secret if mode == "subscribe" else None,
            lease=lease.REQUESTED_LEASE if mode == "subscribe" else None,
        )  # fmt: skip
        if mode == "unsubscribe":
            await self._unsubscribe_sent(sent, answer.accepted, answer.reason)
            return
        async with self._lock:
            current = self._still_outstanding(sent)
            if current is None:
                return  # verified or denied while we waited for the answer: that outcome stands
            attempts = current.attempts + 1
            if answer.accepted:
                new = replace(current, attempts=attempts, next_attempt=lease.after_accepted(now, attempts))
            else:
                state = current.state if current.state in ("active", "expired") else "failed"
                new = replace(current, state=state, attempts=attempts, requested_at=None, last_error=answer.reason,
                              next_attempt=lease.after_failure(now, attempts))  # fmt: skip
            await self._save_locked(new)
        if answer.accepted:
            log_event(log, "websub.requested", feed=feed_url, hub=sent.hub, renewal=sent.state == "active")
        else:
            log_event(log, "websub.request_failed", logging.WARNING, feed=feed_url, hub=sent.hub,
                      reason=answer.reason, attempts=attempts,
                      next_attempt=new.next_attempt.isoformat(timespec="seconds"))  # fmt: skip

    async def _unsubscribe_sent(self, sent: Subscription, accepted: bool, reason: str) -> None:
        log_event(log, "websub.unsubscribe", feed=sent.feed_url, hub=sent.hub, accepted=accepted,
                  reason=None if accepted else reason)  # fmt: skip
        async with self._lock:
            current = self._still_outstanding(sent)
            if current is None:
                return
            if not accepted:  # best effort: the lease will run out at the hub anyway
                await self._delete_locked(sent.feed_url)
                return
            wait = self.clock.now() + timedelta(seconds=lease.UNSUBSCRIBE_WAIT)
            await self._save_locked(replace(current, next_attempt=wait))

    def _still_outstanding(self, sent: Subscription) -> Subscription | None:
        """The subscription as it is now, if the request `sent` is still the one awaiting verification
        (a poll may have updated its list of hubs meanwhile; a verification or denial ends the request)."""
        current = self._subs.get(sent.feed_url)
        if current is None or (current.callback_id, current.hub, current.state, current.requested_at) != (
            sent.callback_id, sent.hub, sent.state, sent.requested_at,
        ):  # fmt: skip
            return None
        return current

    async def _forget(self, feed_url: str) -> None:
        async with self._lock:
            await self._delete_locked(feed_url)

    # --- the callback (served on /websub/<id>, without the status token: hubs call it) -----------------

    def _by_callback(self, callback_id: str) -> Subscription | None:
        return next((s for s in self._subs.values() if s.callback_id == callback_id), None)

    async def verify(self, callback_id: str, query: Mapping[str, str]) -> tuple[int, str]:
        """A hub's verification of intent (§5.3): the challenge, only for a request we have outstanding."""
        mode, topic, challenge = query.get("hub.mode", ""), query.get("hub.topic", ""), query.get("hub.challenge", "")
        async with self._lock:
            sub = self._by_callback(callback_id)
            if sub is None or sub.topic != topic:
                return _refuse(callback_id, mode, "no subscription to this topic at this callback")
            now = self.clock.now()
            if mode == "subscribe" and sub.requested_at is not None and sub.state != "unsubscribing":
                granted = _lease_seconds(query.get("hub.lease_seconds", str(lease.REQUESTED_LEASE)))
                if granted is None or not challenge:
                    return _refuse(callback_id, mode, "no hub.challenge or no valid hub.lease_seconds")
                await self._save_locked(replace(
                    sub, state="active", lease_seconds=granted, expires_at=now + timedelta(seconds=granted),
                    requested_at=None, attempts=0, last_error=None, next_attempt=lease.renew_at(now, granted),
                ))  # fmt: skip
                log_event(log, "websub.active", feed=sub.feed_url, hub=sub.hub, lease_seconds=granted)
                return 200, challenge
            if mode == "unsubscribe" and sub.state == "unsubscribing" and challenge:
                await self._delete_locked(sub.feed_url)
                log_event(log, "websub.unsubscribed", feed=sub.feed_url, hub=sub.hub)
                return 200, challenge
            if mode != "denied":
                return _refuse(callback_id, mode, "no such request outstanding")
            reason = query.get("hub.reason", "")[:200] or "denied by the hub"
            await self._save_locked(replace(sub, state="denied", requested_at=None, last_error=reason,
                                            next_attempt=now + timedelta(seconds=lease.DENIED_RETRY)))  # fmt: skip
        log_event(log, "websub.denied", logging.WARNING, feed=sub.feed_url, hub=sub.hub, reason=reason)
        if lease.is_active(sub, now):
            await self._lapsed(sub.feed_url)
        return 200, ""

    async def receive(self, callback_id: str, signature: str | None, body: bytes, content_type: str | None) -> int:
        """Content distribution (§7): a signed body is processed like a polled one, after we answer.

        410 tells a hub to drop a callback we no longer know; a missing or wrong signature is answered 202
        like a good one (the spec's advice: a forger learns nothing) and the body is dropped.
        """
        sub = self._by_callback(callback_id)
        if sub is None or sub.state == "unsubscribing":
            log_event(log, "websub.unknown_callback", logging.WARNING, callback=callback_id)
            self.metrics.push("unknown-callback")
            return 410
        problem = check_signature(signature, sub.secret, body)
        if problem is not None:
            log_event(log, "websub.bad_signature", logging.WARNING, feed=sub.feed_url, reason=problem,
                      bytes=len(body), note="content ignored")  # fmt: skip
            self.metrics.push("bad-signature")
            return 202
        log_event(log, "websub.content", feed=sub.feed_url, bytes=len(body))
        self.metrics.push("accepted")
        task = asyncio.create_task(self._process(sub.feed_url, body, content_type), name="wiremon-websub-push")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return 202

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("websub.process_bug", exc_info=exc)

    async def settle(self) -> None:
        """Wait until every pushed body received so far has been processed."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        if not self._tasks:
            return
        _done, late = await asyncio.wait(set(self._tasks), timeout=CLOSE_DEADLINE)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    # --- keeping memory and the store in step ----------------------------------------------------------

    async def _save(self, sub: Subscription) -> None:
        async with self._lock:
            await self._save_locked(sub)

    async def _save_locked(self, sub: Subscription) -> None:
        await self.store.save_subscription(sub)
        self._subs[sub.feed_url] = sub

    async def _delete_locked(self, feed_url: str) -> None:
        await self.store.delete_subscription(feed_url)
        self._subs.pop(feed_url, None)


def _refuse(callback_id: str, mode: str, why: str) -> tuple[int, str]:
    log_event(log, "websub.verify_refused", logging.WARNING, callback=callback_id, mode=mode[:20], reason=why)
    return 404, ""


def _lease_seconds(text: str) -> int | None:
    """The lease a hub granted. Required by the recommendation; a hub that leaves it out (some older
    PubSubHubbub hubs) is taken to grant what we asked for — the heartbeat polls cover a shorter lease."""
    if not text.strip().isascii() or not text.strip().isdigit():
        return None
    value = int(text.strip())
    return value if value > 0 else None
