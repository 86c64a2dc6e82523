"""Serving the status app on a TCP address; the daemon starts it and closes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from monitor.errors import WiremonError
from monitor.logs import log_event

log = logging.getLogger("wiremon.server")

SHUTDOWN_TIMEOUT = 5.0  # seconds open requests get to finish when the server closes


class ServerError(WiremonError):
    """The status server could not listen on its address."""


@dataclass
class RunningServer:
    runner: web.AppRunner
    host: str
    port: int  # the bound port (the OS picks one when asked for 0)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        await self.runner.cleanup()
        log_event(log, "server.stopped", url=self.url)


async def start_server(app: web.Application, host: str, port: int) -> RunningServer:
    """Listen on host:port (port 0: any free port). Raises ServerError when the address cannot be used."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ServerError(
            f"the status server cannot listen on {host}:{port}: {exc.strerror or exc};"
            " set server.listen to a free host:port, or to off"
        ) from exc
    server = RunningServer(runner, host, int(runner.addresses[0][1]))
    log_event(log, "server.started", url=server.url)
    return server
