"""When the subscriber acts on a subscription, and how a feed is paced while pushed. Pure: `now` passed in.

A verified subscription is renewed at RENEW_AT of its lease; a request the hub refused or never verified is
retried with exponential backoff; a lease that ran out lapses (normal polling resumes at once).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from monitor.store.base import Subscription

REQUESTED_LEASE: Final = 10 * 86400  # hub.lease_seconds we ask for; the hub decides
RENEW_AT: Final = 0.85  # renew when this share of the granted lease has passed
MIN_RENEW_AFTER: Final = 30.0  # seconds: a hub granting a tiny lease is not renewed in a tight loop
VERIFY_WAIT: Final = 3600.0  # seconds a hub gets to verify an accepted request before it is sent again
FIRST_RETRY: Final = 60.0  # seconds before the first retry of a failed request; doubles per failure
MAX_RETRY: Final = 6 * 3600.0
DENIED_RETRY: Final = 86400.0  # a hub that denied a subscription is asked again a day later
UNSUBSCRIBE_WAIT: Final = 3600.0  # an unsubscription left unverified this long is forgotten
SWITCH_HUB_AFTER: Final = 3  # requests in a row a hub may leave unverified before the feed's next hub is tried


class Step(Enum):
    SUBSCRIBE = "subscribe"  # first subscription, renewal, or a retry
    LAPSE = "lapse"  # the lease ran out before a renewal was verified
    UNSUBSCRIBE = "unsubscribe"  # the feed left the config (or opted out): tell the hub, best effort
    FORGET = "forget"  # nothing left to tell anyone: drop the row


@dataclass(frozen=True, slots=True)
class Action:
    step: Step
    subscription: Subscription


def is_active(sub: Subscription, now: datetime) -> bool:
    """Content is being pushed: the hub verified the subscription and its lease has not run out."""
    return sub.state == "active" and sub.expires_at is not None and sub.expires_at > now


def describe(sub: Subscription, now: datetime) -> str:
    """A subscription's state for people (`wiremon feeds`, /api/feeds, the status page)."""
    if sub.state == "active" and sub.expires_at is not None:
        until = sub.expires_at.isoformat(timespec="seconds")
        return f"{'active until' if is_active(sub, now) else 'lapsed at'} {until} via {sub.hub}"
    detail = f": {sub.last_error}" if sub.last_error and sub.state in ("failed", "denied") else ""
    return f"{sub.state}{detail} via {sub.hub}"


# States in which the hub may hold a subscription for us, so that leaving deserves an unsubscribe.
_HELD: Final = frozenset({"active", "pending", "expired"})


def plan(subscriptions: Iterable[Subscription], wanted: Collection[str], now: datetime) -> list[Action]:
    """What to do now, given the feeds that want push (`wanted`: feed URLs)."""
    actions: list[Action] = []
    for sub in subscriptions:
        if sub.feed_url not in wanted:
            if sub.state == "unsubscribing":
                if sub.next_attempt <= now:
                    actions.append(Action(Step.FORGET, sub))
            elif sub.state in _HELD:
                actions.append(Action(Step.UNSUBSCRIBE, sub))
            else:
                actions.append(Action(Step.FORGET, sub))
            continue
        if sub.state == "active" and not is_active(sub, now):
            actions.append(Action(Step.LAPSE, sub))
        if sub.next_attempt <= now or sub.state == "unsubscribing":
            actions.append(Action(Step.SUBSCRIBE, sub))
    return actions


def next_hub(sub: Subscription) -> str | None:
    """Another of the feed's hubs to try, when the current one keeps refusing or ignoring us; else None."""
    hubs = sub.hubs
    if sub.state not in ("pending", "failed", "denied", "expired") or sub.attempts < SWITCH_HUB_AFTER or len(hubs) < 2:
        return None
    at = hubs.index(sub.hub) if sub.hub in hubs else -1
    return hubs[(at + 1) % len(hubs)]


def retry_delay(attempts: int) -> float:
    """Seconds before trying again after `attempts` requests in a row came to nothing."""
    return min(FIRST_RETRY * 2.0 ** max(attempts - 1, 0), MAX_RETRY)


def renew_at(verified: datetime, lease_seconds: float) -> datetime:
    return verified + timedelta(seconds=max(lease_seconds * RENEW_AT, MIN_RENEW_AFTER))


def after_accepted(now: datetime, attempts: int) -> datetime:
    """When to ask again if the hub accepted a request but never verifies it."""
    return now + timedelta(seconds=max(VERIFY_WAIT, retry_delay(attempts)))


def after_failure(now: datetime, attempts: int) -> datetime:
    return now + timedelta(seconds=retry_delay(attempts))


def poll_interval(interval: float, heartbeat: float, pushed: bool) -> float:
    """A pushed feed is still polled, as a slow heartbeat; never more often than its own interval."""
    return max(interval, heartbeat) if pushed else interval
