"""http: one JSON POST to a destination, its answer read by the destination's service and classified.

Shared by the Slack, Discord, Teams and webhook sinks; each passes a `Reader` that knows how its service
answers (Slack's error strings, Discord's JSON codes and rate-limit headers, Teams' errors wrapped in a 200).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from monitor import USER_AGENT
from monitor.clock import Clock
from monitor.deliver.classify import classify_exception, classify_response
from monitor.deliver.outcome import DeliveryOutcome

BODY_LIMIT = 4096  # bytes of a response read: enough for an error string or JSON, never a hostile stream


@dataclass(frozen=True, slots=True)
class Reply:
    """What came back: the status, the headers (any case) and at most BODY_LIMIT bytes of the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


Reader = Callable[[Reply, datetime], DeliveryOutcome]


def read_plain(reply: Reply, now: datetime) -> DeliveryOutcome:
    """A receiver whose body says nothing we act on: the status and Retry-After decide."""
    return classify_response(reply.status, reply.headers, now)


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    request_timeout: aiohttp.ClientTimeout,
    clock: Clock,
    read: Reader = read_plain,
) -> DeliveryOutcome:
    """POST `body` as is, never following redirects; `read` turns the answer into an outcome."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        async with session.post(
            url, data=body, headers=sent, timeout=request_timeout, allow_redirects=False
        ) as response:
            reply = Reply(response.status, response.headers.copy(), await _read_capped(response))
    except (aiohttp.ClientError, TimeoutError) as exc:
        return classify_exception(exc)
    return read(reply, clock.now())


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """Read at most BODY_LIMIT bytes (a fully read small body lets the connection be reused)."""
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        chunk = await response.content.read(BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
