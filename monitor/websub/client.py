"""Talking to a hub: the subscription request of W3C WebSub §5.1, over the daemon's one session.

A 202 (or any 2xx) means the hub accepted the request and will verify it by calling us back; anything else
is a refusal with the hub's reason. Redirects are not followed: a hub that moved is reported, not chased.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aiohttp

from monitor.fetch.fetcher import describe

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=20)
MAX_REASON: Final = 200  # characters of a hub's error body kept as the reason


@dataclass(frozen=True, slots=True)
class HubAnswer:
    accepted: bool
    reason: str  # "HTTP 202" or what went wrong


class HubClient:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def request(
        self, hub: str, *, mode: str, topic: str, callback: str, secret: str | None = None, lease: int | None = None
    ) -> HubAnswer:
        form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback}
        if secret is not None:
            form["hub.secret"] = secret
        if lease is not None:
            form["hub.lease_seconds"] = str(lease)
        try:
            async with self._session.post(
                hub, data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT, headers={"Accept": "*/*"}
            ) as response:
                if 200 <= response.status < 300:
                    return HubAnswer(True, f"HTTP {response.status}")
                text = (await response.text(errors="replace"))[:MAX_REASON].strip()
                status = f"HTTP {response.status} {response.reason or ''}".strip()
                return HubAnswer(False, f"{status}: {text}" if text else status)
        except (aiohttp.ClientError, TimeoutError, UnicodeError) as exc:
            return HubAnswer(False, describe(exc))
