"""ratelimit: how fast one destination may be sent to, as a token bucket. Pure: time is passed in.

Each sink carries `limiter: RateLimit | None` (None: no limit; read it with `limiter_of(sink)`). The deliverer,
for each alert of a destination, in order:

    limiter = limiter_of(sink)
    if limiter is not None and (wait := limiter.delay(now)) > 0:
        stop sending to this destination; come back in `wait` seconds (the alert is not an attempt: no retry count)
    outcome = await sink.send(alert)
    if limiter is not None:
        limiter.spend(now)            # every request counts against the bucket, whatever came of it

A sink also feeds the destination's own rate-limit answers into its limiter (`hold`), so `delay` covers them too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

# Sends per second and burst for each destination type when its config sets no rate_limit. A bucket of burst b
# refilling at r per second lets through at most b + r·t sends in any t seconds; the rows are sized by that.
# fmt: off
DEFAULT_RATES: Final[Mapping[str, tuple[float, int] | None]] = {
    "slack": (1.0, 3),    # Slack: one message per second per webhook, short bursts tolerated
    "discord": (1.0, 3),  # Discord: 5 requests per 2 s per webhook; 3 + 1·2 = 5 in any 2 s window
    "teams": (1.9, 2),    # Teams connectors: 4 per second and 60 per 30 s; 2 + 1.9 < 4 and 2 + 1.9·30 = 59
    "webhook": None,      # our own receivers: unlimited unless the config sets rate_limit
    "console": None,      # a local stream: unlimited
}
# fmt: on
EPSILON: Final = 1e-9  # tokens: float sums of elapsed·rate land a hair under a whole token
MAX_HOLD: Final = 86_400.0  # seconds: a longer hold from a server is capped (and could overflow a datetime)


@dataclass(slots=True)
class RateLimit:
    """A token bucket: `burst` sends at once, then `rate_per_s` sends per second.

    `delay(now)` says how long until a send is allowed (0: go now) and changes nothing; `spend(now)` takes a
    token for a send made (the bucket may go into debt if sends ignore `delay`); `hold(now, seconds)` records
    a destination saying it has no capacity left for a while. A clock that steps back never adds tokens.
    """

    rate_per_s: float
    burst: int
    _tokens: float = field(init=False)
    _updated: datetime | None = field(default=None, init=False)
    _held_until: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_per_s) and self.rate_per_s > 0) or self.burst < 1:
            rate, burst = self.rate_per_s, self.burst
            raise ValueError(f"a rate limit needs a positive rate and a burst of at least 1, got {rate}, {burst}")
        self._tokens = float(self.burst)

    def delay(self, now: datetime) -> float:
        """Seconds until one send is allowed; 0.0 means go.

        Rounded up to whole microseconds, a datetime's resolution: waiting exactly this long always ends in 0.0,
        never in a wait too short for a clock to move.
        """
        tokens = self._tokens_at(now)
        wait = 0.0 if tokens >= 1.0 - EPSILON else (1.0 - tokens) / self.rate_per_s
        if self._held_until is not None:
            wait = max(wait, (self._held_until - now).total_seconds())
        return math.ceil(wait * 1e6) / 1e6 if wait > 0 else 0.0

    def spend(self, now: datetime) -> None:
        """Count one send made at `now`."""
        self._tokens = self._tokens_at(now) - 1.0
        if self._updated is None or now > self._updated:
            self._updated = now

    def hold(self, now: datetime, seconds: float) -> None:
        """The destination said it takes nothing more for `seconds`: no sends until then (the later hold wins),
        and then one at a time at the rate — the burst it refused is not tried again at once."""
        if not math.isfinite(seconds) or seconds <= 0:
            return
        until = now + timedelta(seconds=min(seconds, MAX_HOLD))
        if self._held_until is None or until > self._held_until:
            self._held_until = until
            self._tokens, self._updated = 1.0, until  # the bucket refills from the end of the hold

    def _tokens_at(self, now: datetime) -> float:
        if self._updated is None:
            return self._tokens
        elapsed = max((now - self._updated).total_seconds(), 0.0)
        return min(float(self.burst), self._tokens + elapsed * self.rate_per_s)


def limiter_for(kind: str, override: tuple[float, int] | None = None) -> RateLimit | None:
    """A fresh limiter for a destination: its config's (per_second, burst), else its type's default, else none."""
    rate = override or DEFAULT_RATES.get(kind)
    return None if rate is None else RateLimit(*rate)


def limiter_of(sink: object) -> RateLimit | None:
    """A sink's limiter; a sink without the attribute (a test fake, an older sink) is unlimited."""
    limiter = getattr(sink, "limiter", None)
    return limiter if isinstance(limiter, RateLimit) else None
