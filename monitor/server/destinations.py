"""The destinations view: each configured destination, how it is paced, and whether it is disabled.

Served as /api/destinations and as a section of the status page; `wiremon status` prints it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, TypedDict

from monitor.settings import Settings
from monitor.store import DisabledDestination


class DestinationRow(TypedDict):
    name: str
    type: str
    status: str  # "ok" or "disabled"
    reason: str | None  # why it was disabled
    since: datetime | None  # when it was disabled
    ops: bool  # it receives the operator notices
    digest: float | None  # seconds per digest window
    quiet_hours: str | None  # "22:00-07:00 Europe/Paris"


class DestinationSource(Protocol):
    """Implemented by a StatusSource that knows its destinations (the daemon's)."""

    async def destinations(self) -> list[DestinationRow]: ...


def destination_rows(settings: Settings, disabled: Mapping[str, DisabledDestination]) -> list[DestinationRow]:
    rows: list[DestinationRow] = []
    for dest in settings.effective_destinations():
        off = disabled.get(dest.name)
        quiet = dest.quiet_hours
        rows.append(
            DestinationRow(
                name=dest.name, type=dest.type, status="disabled" if off else "ok",
                reason=off.reason if off else None, since=off.since if off else None,
                ops=settings.ops == dest.name, digest=dest.digest,
                quiet_hours=f"{quiet.start}-{quiet.end} {quiet.timezone}" if quiet else None,
            )
        )  # fmt: skip
    return rows


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def destinations_section(rows: list[DestinationRow]) -> str:
    """The status page's section: a red badge and the reason for a disabled destination."""
    if not rows:
        return ""
    disabled = sum(1 for r in rows if r["status"] != "ok")
    count = f"{len(rows)} · {disabled} disabled" if disabled else f"{len(rows)} · all sending"
    body = "".join(_row(r) for r in rows)
    return (
        f'<section id="destinations"><h2>Destinations <span class="count">({count})</span></h2>'
        "<table><tr><th>Destination</th><th>Status</th><th>Pace</th><th>Why disabled</th></tr>"
        f"{body}</table></section>"
    )


def _row(r: DestinationRow) -> str:
    badge = '<span class="badge good">ok</span>' if r["status"] == "ok" else '<span class="badge dead">DISABLED</span>'
    pace = [f"digest every {r['digest'] / 60:g} min" if r["digest"] else "",
            f"quiet {r['quiet_hours']}" if r["quiet_hours"] else "", "ops notices" if r["ops"] else ""]
    why = ""
    if r["reason"]:
        since = r["since"].strftime("%Y-%m-%d %H:%M UTC") if r["since"] else ""
        why = f'<span class="error">{_e(r["reason"])}</span> <span class="small">since {_e(since)}</span>'
    return (
        f'<tr><td>{_e(r["name"])} <span class="small">{_e(r["type"])}</span></td><td>{badge}</td>'
        f'<td class="small">{_e(", ".join(p for p in pace if p) or "immediate")}</td><td>{why}</td></tr>'
    )
