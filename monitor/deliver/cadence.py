"""cadence: when a destination's alerts may go — retries with jitter, quiet hours, digest windows. Pure.

Everything here is a function of stored data (the alert, its attempts, its detection time) and `now`, so a
restart plans exactly what the previous run would have: the same digest holds the same alerts, under the same id.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.deliver.notice import is_notice
from monitor.model import Alert, digest
from monitor.settings.models import DestinationConfig, QuietHoursConfig
from monitor.store import OutboxRow

# Seconds to wait after the n-th failed attempt (the Standard Webhooks schedule: after the immediate first
# try, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h); the last row repeats.
STANDARD_RETRY: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.10  # each planned wait is moved by up to ±10 %, so retries of many alerts do not arrive together


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time  # earlier than start: the span crosses midnight
    zone: ZoneInfo

    @classmethod
    def of(cls, config: QuietHoursConfig) -> QuietHours:
        return cls(time.fromisoformat(config.start), time.fromisoformat(config.end), ZoneInfo(config.timezone))


@dataclass(frozen=True, slots=True)
class Cadence:
    """How one destination is paced; the default sends at once and retries on the standard schedule."""

    retry: tuple[float, ...] = STANDARD_RETRY
    digest: float | None = None  # seconds per digest window
    quiet: QuietHours | None = None

    @classmethod
    def of(cls, config: DestinationConfig) -> Cadence:
        return cls(
            retry=tuple(config.retry) if config.retry else STANDARD_RETRY,
            digest=config.digest,
            quiet=QuietHours.of(config.quiet_hours) if config.quiet_hours else None,
        )


def jitter(key: str, spread: float = JITTER) -> float:
    """A factor in [1 - spread, 1 + spread), the same for the same key (an alert id and an attempt number)."""
    unit = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    return 1.0 + spread * (2.0 * unit - 1.0)


def retry_delay(attempts: int, server_says: float | None, schedule: Sequence[float], key: str) -> float:
    """Seconds to wait after `attempts` failed sends: the schedule's row, jittered by `key`; a server's
    Retry-After wins when it is longer."""
    if attempts <= 0:
        return max(0.0, server_says or 0.0)
    planned = schedule[min(attempts, len(schedule)) - 1] * jitter(f"{key}#{attempts}")
    return max(planned, server_says or 0.0)


def quiet_until(moment: datetime, quiet: QuietHours) -> datetime | None:
    """When the quiet span holding `moment` ends (UTC), or None when `moment` is outside it."""
    local = moment.astimezone(quiet.zone)
    now = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside, end_day = quiet.start <= now < quiet.end, local.date()
    elif now >= quiet.start:  # crossing midnight, before it: ends tomorrow
        inside, end_day = True, local.date() + timedelta(days=1)
    else:
        inside, end_day = now < quiet.end, local.date()
    if not inside:
        return None
    end = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone).astimezone(UTC)
    # An end inside a daylight-saving gap can land before `moment`: then the span is over (a hold must be in the
    # future, or the deliverer would find the alert due again at once).
    return end if end > moment else None


def window_end(moment: datetime, period: float) -> datetime:
    """The end of the digest window holding `moment`: windows are `period` long, aligned to the Unix epoch
    (15m: :00, :15, :30, :45 UTC); a moment on a boundary closes that window."""
    stamp = moment.timestamp()
    return datetime.fromtimestamp(math.ceil(stamp / period) * period, UTC)


@dataclass(frozen=True, slots=True)
class Single:
    """One alert (or one operator notice) sent on its own."""

    row: OutboxRow


@dataclass(slots=True)
class Batch:
    """The alerts of one digest window, sent as one message."""

    window_end: datetime
    rows: list[OutboxRow] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Stable for the same alerts: a retried or re-planned digest keeps its id (receivers dedupe on it)."""
        return "msg_" + digest("digest", *(r.alert.id for r in self.rows), size=32)


Unit = Single | Batch


@dataclass(slots=True)
class Plan:
    send: list[Unit] = field(default_factory=list)  # in detection order of their first alert
    hold: dict[datetime, list[str]] = field(default_factory=dict)  # until → alert ids held until then


def is_urgent(alert: Alert, urgent: frozenset[str]) -> bool:
    return not is_notice(alert) and not urgent.isdisjoint(alert.watchlists)


def digest_period(alert: Alert, cadence: Cadence, digests: Mapping[str, float]) -> float | None:
    """How often the alert's digest goes, or None to send it at once. A watchlist's own `digest` applies when
    every watchlist the alert matched has one (the shortest wins, and the destination's when shorter still);
    otherwise the destination's `digest`."""
    own = [digests.get(name) for name in alert.watchlists]
    if own and all(period is not None for period in own):
        return min(p for p in (*own, cadence.digest) if p is not None)
    return cadence.digest


def plan(
    rows: Sequence[OutboxRow], cadence: Cadence, now: datetime, urgent: frozenset[str],
    digests: Mapping[str, float] | None = None,
) -> Plan:  # fmt: skip
    """What to send now and what to hold, for one destination's due rows in detection order.

    Urgent alerts (a watchlist marked `urgent: true`) go at once, through quiet hours and digests. Others wait
    out quiet hours; with a digest (the destination's, or their watchlists', see `digest_period`) they wait for
    the end of their window — counted from the end of the quiet span they were detected in, so a night's alerts
    make one morning digest. Notices never join a digest.
    """
    out = Plan()
    batches: dict[datetime, Batch] = {}
    for row in rows:
        alert = row.alert
        if is_urgent(alert, urgent):
            out.send.append(Single(row))
            continue
        if cadence.quiet and (until := quiet_until(now, cadence.quiet)):
            out.hold.setdefault(until, []).append(alert.id)
            continue
        period = None if is_notice(alert) else digest_period(alert, cadence, digests or {})
        if period is None:
            out.send.append(Single(row))
            continue
        start = alert.detected_at
        if cadence.quiet and (after_quiet := quiet_until(start, cadence.quiet)):
            start = after_quiet
        end = window_end(start, period)
        if end > now:
            out.hold.setdefault(end, []).append(alert.id)
            continue
        if end not in batches:
            batches[end] = Batch(end)
            out.send.append(batches[end])
        batches[end].rows.append(row)
    return out
