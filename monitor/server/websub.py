"""The WebSub callback, /websub/<callback id>: hubs verify subscriptions (GET) and push content (POST).

Hubs cannot hold the status token, so these paths are open (auth.py); the callback id is an unguessable
per-subscription value and pushed content must carry the subscription's HMAC signature. The answers come
from a `PushEndpoint` (the daemon's monitor.websub.Subscriber); a pushed body is processed after we answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

from aiohttp import web

from monitor.fetch.fetcher import CHUNK, DEFAULT_MAX_BYTES

PREFIX: Final = "/websub/"


class PushEndpoint(Protocol):
    async def verify(self, callback_id: str, query: Mapping[str, str]) -> tuple[int, str]:
        """(status, body) for a hub's verification of intent."""
        ...

    async def receive(self, callback_id: str, signature: str | None, body: bytes, content_type: str | None) -> int:
        """The status to answer a content distribution request with."""
        ...


ENDPOINT: web.AppKey[PushEndpoint] = web.AppKey("websub")
MAX_BYTES: web.AppKey[int] = web.AppKey("websub_max_bytes")


async def verify(request: web.Request) -> web.Response:
    status, text = await request.app[ENDPOINT].verify(request.match_info["callback"], request.query)
    return web.Response(status=status, text=text, content_type="text/plain")


async def content(request: web.Request) -> web.Response:
    body = await _read_capped(request, request.app[MAX_BYTES])
    if body is None:
        return web.Response(status=413, text=f"larger than {request.app[MAX_BYTES]:,} bytes")
    headers = request.headers
    status = await request.app[ENDPOINT].receive(
        request.match_info["callback"], headers.get("X-Hub-Signature"), body, headers.get("Content-Type")
    )
    return web.Response(status=status)


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it is longer than the cap (feeds polled have the same cap)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def add_websub_routes(app: web.Application, endpoint: PushEndpoint, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    app[ENDPOINT] = endpoint
    app[MAX_BYTES] = max_bytes
    app.router.add_get(PREFIX + "{callback}", verify)
    app.router.add_post(PREFIX + "{callback}", content)
