"""server: the daemon's read-only HTTP status server — health, readiness, metrics, a JSON API, a status page.

    app = build_app(source, token=settings.server.token)   # source: the daemon, a StatusSource
    server = await start_server(app, host, port)           # server.port, server.url; await server.close()

Modules: ``source`` (the StatusSource protocol and its row types), ``rows`` (rows from the store and config),
``auth`` (the token), ``app`` (routes), ``page`` (the HTML), ``run`` (listening).
README.md ("Status server") is the reference.
"""

from monitor.server.app import build_app
from monitor.server.rows import alert_rows, config_row, problem_row, watchlist_rows
from monitor.server.run import RunningServer, ServerError, start_server
from monitor.server.source import (
    AlertRow,
    ConfigRow,
    DeliveryRow,
    FeedRow,
    ProblemRow,
    StatusSource,
    WatchlistRow,
)

__all__ = [
    "AlertRow",
    "ConfigRow",
    "DeliveryRow",
    "FeedRow",
    "ProblemRow",
    "RunningServer",
    "ServerError",
    "StatusSource",
    "WatchlistRow",
    "alert_rows",
    "build_app",
    "config_row",
    "problem_row",
    "start_server",
    "watchlist_rows",
]
