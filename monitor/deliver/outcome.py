"""What a send can come to, and the protocol every sink implements.

The outbox switches on these four outcomes; nothing else leaves a sink for an expected failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from monitor.model import Alert


@dataclass(frozen=True, slots=True)
class Delivered:
    """The destination accepted the alert."""


@dataclass(frozen=True, slots=True)
class Retry:
    """A passing failure: send the same alert again later. `after` is the server's Retry-After, in seconds.
    `throttled`: the destination said it is taking too much (429): the whole destination waits, not only this
    alert, and for exactly as long as it asked."""

    reason: str
    after: float | None = None
    throttled: bool = False


@dataclass(frozen=True, slots=True)
class Dead:
    """This alert can never be delivered as it is (the destination rejected its content): dead-letter it."""

    reason: str


@dataclass(frozen=True, slots=True)
class Disabled:
    """The destination itself is gone or misconfigured: stop sending to it and tell the operator."""

    reason: str


DeliveryOutcome = Delivered | Retry | Dead | Disabled


class Sink(Protocol):
    """One configured destination. `send` never raises for an expected failure; CancelledError propagates.

    A sink may also carry `limiter: RateLimit | None`, how fast its destination may be sent to. It is not part
    of this protocol, so fakes need not have one: read it with `ratelimit.limiter_of(sink)`, which says how the
    deliverer uses it.
    """

    name: str

    async def send(self, alert: Alert) -> DeliveryOutcome: ...
