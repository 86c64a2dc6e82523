"""The optional token: with one set, every path but the open ones needs it, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

OPEN_PATHS = frozenset({"/healthz"})  # liveness probes carry no secrets
OPEN_PREFIXES = ("/websub/",)  # WebSub hubs call back without our token; the callback checks them itself
QUERY_TOKEN_PATHS = frozenset({"/"})  # a browser cannot send a header: the page also takes ?token=


def _digest(text: str) -> bytes:
    # Comparing fixed-size digests keeps the token's length out of the timing too.
    return hashlib.sha256(text.encode("utf-8")).digest()


def presented_token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.path in QUERY_TOKEN_PATHS:
        return request.query.get("token")
    return None


def token_guard(token: str) -> Middleware:
    expected = _digest(token)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return await handler(request)
        given = presented_token(request)
        if given is None or not hmac.compare_digest(_digest(given), expected):
            raise web.HTTPUnauthorized(
                text="a valid token is needed: send Authorization: Bearer <token>, or open the page as /?token=<token>",
                headers={"WWW-Authenticate": 'Bearer realm="wiremon"'},
            )
        return await handler(request)

    return guard
