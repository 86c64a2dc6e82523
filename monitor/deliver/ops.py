"""ops: operator warnings — a destination disabled, a config reload refused, a feed gone — sent as notices to
the destination named by the top-level `ops:` setting.

Notices go through the outbox (durable, retried, in order). Each has a stable id (notice.py), so a warning that
recurs — the same broken edit saved again, the same destination failing the same way — is queued only once. The
ops destination is never told about itself: a disabled ops destination could not receive it, and would only queue
more warnings about itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from monitor.clock import Clock
from monitor.deliver.notice import make_notice
from monitor.errors import Problem, StoreError
from monitor.logs import log_event
from monitor.store import Store

log = logging.getLogger("wiremon.ops")

MOST_PROBLEMS = 20  # problems listed in one reload notice; the rest are counted


class OpsNotifier:
    def __init__(
        self, store: Store, clock: Clock, destination: Callable[[], str | None], wake: Callable[[], None]
    ) -> None:
        self.store = store
        self.clock = clock
        self.destination = destination  # read per notice: a reload may change `ops:`
        self.wake = wake

    async def notify(self, kind: str, identity: tuple[str, ...], title: str, details: str) -> bool:
        """Queue a notice for the ops destination; returns whether a new one was queued."""
        destination = self.destination()
        if destination is None:
            return False
        notice = make_notice(kind, identity, destination, title, details, self.clock.now())
        try:
            queued = await self.store.enqueue([notice]) > 0
        except StoreError as exc:  # the store is unwell: the warning is still in the log
            log_event(log, "ops.notice_failed", logging.ERROR, kind=kind, reason=str(exc))
            return False
        if queued:
            log_event(log, "ops.notice_queued", kind=kind, destination=destination, notice=notice.id)
            self.wake()
        return queued

    async def destination_disabled(self, name: str, reason: str, fingerprint: str) -> bool:
        if name == self.destination():
            log_event(log, "ops.destination_disabled", logging.ERROR, destination=name,
                      note="this is the ops destination: no notice can reach it until it is fixed")  # fmt: skip
            return False
        details = (
            f"Reason: {reason}\n"
            "Its alerts stay queued. Fix its config (any change re-enables it) or run"
            f" `wiremon alerts --enable {name}`."
        )
        return await self.notify("destination.disabled", (name, fingerprint, reason),
                                 f"destination {name!r} disabled", details)  # fmt: skip

    async def reload_failed(self, problems: Sequence[Problem], running_since: datetime) -> bool:
        """`running_since`: when the configuration in force was loaded. The same problems again (the file saved
        twice, a SIGHUP) are one notice; the same mistake made again after a good reload is a new one."""
        texts = [str(p).splitlines()[0] for p in problems]
        details = "\n".join(texts[:MOST_PROBLEMS])
        if len(texts) > MOST_PROBLEMS:
            details += f"\n… and {len(texts) - MOST_PROBLEMS} more"
        details += "\nThe running configuration stays in force; fix the file and save it again."
        identity = (running_since.isoformat(), *texts)
        return await self.notify("config.reload_failed", identity, "config reload failed", details)

    async def feed_gone(self, url: str, name: str, reason: str, last_success: datetime | None) -> bool:
        """Once per disappearance: a feed retried by hand and still gone is not reported again, one that came back
        (a newer `last_success`) and went away again is."""
        details = f"Feed: {name} ({url})\n{reason}"
        since = last_success.isoformat() if last_success else ""
        return await self.notify("feed.gone", (url, since), f"feed {name!r} is gone", details)
