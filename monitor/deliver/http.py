"""http: one JSON POST to a destination, its result classified. Shared by the Slack and webhook sinks."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from monitor import USER_AGENT
from monitor.clock import Clock
from monitor.deliver.classify import classify_exception, classify_response
from monitor.deliver.outcome import DeliveryOutcome

BODY_LIMIT = 4096  # bytes of a response read: enough for Slack's error string, never a hostile stream


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    request_timeout: aiohttp.ClientTimeout,
    clock: Clock,
    *,
    slack: bool = False,
) -> DeliveryOutcome:
    """POST `body` as is, never following redirects. With `slack`, a non-2xx body is Slack's error string."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        async with session.post(
            url, data=body, headers=sent, timeout=request_timeout, allow_redirects=False
        ) as response:
            text = await _read_capped(response)
            error = _slack_error(text) if slack and not 200 <= response.status < 300 else None
            return classify_response(response.status, response.headers, clock.now(), error)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return classify_exception(exc)


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


def _slack_error(body: bytes) -> str | None:
    """Slack answers a failed incoming-webhook post with a bare error string such as "channel_not_found"."""
    text = body.decode("utf-8", "replace").strip()
    return text if text and text.replace("_", "").isalnum() and len(text) <= 100 else None
