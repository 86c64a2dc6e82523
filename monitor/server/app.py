"""The status server's routes: liveness, readiness, Prometheus metrics, a JSON API and the status page.

Everything is read-only and served from a `StatusSource`; the daemon owns the server's lifecycle.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from functools import partial
from typing import Any

from aiohttp import web

from monitor.clock import Clock, SystemClock
from monitor.metrics import CONTENT_TYPE
from monitor.server.auth import token_guard
from monitor.server.destinations import DestinationRow
from monitor.server.page import PageData, render_page
from monitor.server.source import StatusSource
from monitor.server.websub import PushEndpoint, add_websub_routes

SOURCE: web.AppKey[StatusSource] = web.AppKey("source")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")

DEFAULT_ALERTS = 50  # /api/alerts without ?limit=
MAX_ALERTS = 500
PAGE_ALERTS = 25

# Sent with every response: nothing here may be cached or framed, and the page runs no script at all.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page's URL may hold ?token=: never pass it on to a story's site
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


def _jsonable(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_dumps = partial(json.dumps, default=_jsonable, ensure_ascii=False)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks = await request.app[SOURCE].readiness()
    failing = sorted(name for name, ok in checks.items() if not ok)
    return _json({"ready": not failing, "failing": failing, "checks": checks}, status=503 if failing else 200)


async def metrics(request: web.Request) -> web.Response:
    source = request.app[SOURCE]
    source.metrics.outbox(await source.outbox_depth())  # a gauge read fresh on every scrape
    return web.Response(body=source.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def api_feeds(request: web.Request) -> web.Response:
    return _json(await request.app[SOURCE].feeds())


def _limit(request: web.Request) -> int:
    text = request.query.get("limit", str(DEFAULT_ALERTS))
    if not text.isdigit() or not 1 <= int(text) <= MAX_ALERTS:
        raise web.HTTPBadRequest(text=f"limit must be a whole number from 1 to {MAX_ALERTS}, got {text!r}")
    return int(text)


async def api_alerts(request: web.Request) -> web.Response:
    return _json(await request.app[SOURCE].alerts(_limit(request)))


async def api_watchlists(request: web.Request) -> web.Response:
    return _json(await request.app[SOURCE].watchlists())


async def api_config(request: web.Request) -> web.Response:
    return _json(request.app[SOURCE].config_status())


async def _destinations(source: StatusSource) -> list[DestinationRow]:
    """From a source that knows its destinations (see server/destinations.py); none from one that does not."""
    read = getattr(source, "destinations", None)
    rows: list[DestinationRow] = await read() if read is not None else []
    return rows


async def api_destinations(request: web.Request) -> web.Response:
    return _json(await _destinations(request.app[SOURCE]))


async def page(request: web.Request) -> web.Response:
    source = request.app[SOURCE]
    feeds, alerts, watchlists, readiness, destinations = await asyncio.gather(
        source.feeds(), source.alerts(PAGE_ALERTS), source.watchlists(), source.readiness(), _destinations(source)
    )
    now = request.app[CLOCK].now()
    data = PageData(feeds, alerts, watchlists, source.config_status(), readiness, now, destinations)
    return web.Response(text=render_page(data), content_type="text/html", charset="utf-8")


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def build_app(
    source: StatusSource, *, token: str | None, clock: Clock | None = None, websub: PushEndpoint | None = None
) -> web.Application:
    """The status app over `source`. With a `token`, every path but /healthz and the WebSub callback needs it
    (see auth.py). With `websub`, /websub/<id> is the callback WebSub hubs call (see websub.py)."""
    app = web.Application(middlewares=[token_guard(token)] if token else [])
    app[SOURCE] = source
    app[CLOCK] = clock or SystemClock()
    app.on_response_prepare.append(_secure)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/feeds", api_feeds)
    app.router.add_get("/api/alerts", api_alerts)
    app.router.add_get("/api/watchlists", api_watchlists)
    app.router.add_get("/api/config", api_config)
    app.router.add_get("/api/destinations", api_destinations)
    app.router.add_get("/", page)
    if websub is not None:
        add_websub_routes(app, websub)
    return app
