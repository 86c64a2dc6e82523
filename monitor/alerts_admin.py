"""`wiremon alerts`: what is in the outbox — pending, failing, dead — and an operator's retry or drop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.settings import Settings
from monitor.store import OutboxRow, opened_store

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
