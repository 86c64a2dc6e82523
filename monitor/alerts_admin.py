"""`wiremon alerts`: what is in the outbox — pending, failing, dead — and an operator's retry or drop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from monitor.settings import Settings
from monitor.store import DisabledDestination, OutboxRow, opened_store

STATUSES = ("pending", "failed", "dead", "delivered", "dropped")


async def list_alerts(settings: Settings, statuses: Sequence[str], limit: int) -> list[OutboxRow]:
    async with opened_store(settings.store_location) as store:
        return await store.list_alerts(statuses, limit)


async def retry_alerts(settings: Settings, alert_ids: Sequence[str] | None, now: datetime) -> int:
    async with opened_store(settings.store_location) as store:
        return await store.requeue(alert_ids, now)


async def drop_alerts(settings: Settings, alert_ids: Sequence[str]) -> int:
    async with opened_store(settings.store_location) as store:
        return await store.drop(alert_ids)


def render_alerts(rows: Sequence[OutboxRow]) -> str:
    if not rows:
        return "no alerts in those states"
    lines = []
    for row in rows:
        alert = row.alert
        state = row.status if row.status != "pending" or not row.attempts else f"failing ×{row.attempts}"
        lines.append(f"{alert.id}  {state:<12} {alert.destination:<14} {alert.detected_at:%Y-%m-%d %H:%M}  "
                     f"{alert.story.title[:70]}")  # fmt: skip
        if row.last_error:
            due = f"; next attempt {row.next_attempt:%Y-%m-%d %H:%M:%S} UTC" if row.status == "pending" else ""
            lines.append(f"    last error: {row.last_error[:160]}{due}")
    return "\n".join(lines)


async def disabled_destinations(settings: Settings) -> dict[str, DisabledDestination]:
    async with opened_store(settings.store_location) as store:
        return await store.disabled_destinations()


async def enable_destination(settings: Settings, name: str) -> bool:
    """Forget that `name` was disabled; a running daemon sends to it again within half a minute."""
    async with opened_store(settings.store_location) as store:
        return await store.enable_destination(name)


def render_disabled(disabled: dict[str, DisabledDestination]) -> str:
    if not disabled:
        return "no destination is disabled"
    lines = []
    for d in sorted(disabled.values(), key=lambda d: d.name):
        lines.append(f"{d.name:<14} disabled since {d.since:%Y-%m-%d %H:%M} UTC: {d.reason}")
    return "\n".join(lines)


def destinations_command(settings: Settings, enable: str | None) -> int:
    """`wiremon alerts --disabled` lists; `--enable NAME` re-enables. Exit 1 when NAME was not disabled."""
    if enable is None:
        print(render_disabled(asyncio.run(disabled_destinations(settings))))
        return 0
    if asyncio.run(enable_destination(settings, enable)):
        print(f"{enable} enabled: its queued alerts go out again (a running daemon within half a minute)")
        return 0
    print(f"{enable} is not disabled")
    return 1
