"""registry: destination types → sink factories, as data. A new sink type is one function and one row."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

import aiohttp

from monitor.clock import Clock
from monitor.deliver.console import ConsoleSink
from monitor.deliver.outcome import Sink
from monitor.deliver.slack import SlackSink
from monitor.deliver.webhook import WebhookSink
from monitor.errors import ConfigError, Problem
from monitor.settings.models import DestinationConfig

SinkFactory = Callable[[DestinationConfig, aiohttp.ClientSession, Clock, TextIO], Sink]


def _console(dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO) -> Sink:
    return ConsoleSink(dest.name, console)


def _slack(dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO) -> Sink:
    return SlackSink(dest.name, _url(dest), session, clock, aiohttp.ClientTimeout(total=dest.timeout))


def _webhook(dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO) -> Sink:
    timeout = aiohttp.ClientTimeout(total=dest.timeout)
    return WebhookSink(dest.name, _url(dest), dest.secret, session, clock, timeout)


SINK_TYPES: Mapping[str, SinkFactory] = {
    "console": _console,  # readable text on the daemon's console stream
    "slack": _slack,  # Block Kit message to a Slack incoming webhook
    "webhook": _webhook,  # JSON per alert.schema.json, Standard Webhooks headers, signed with a secret
}


def build_sinks(
    destinations: Sequence[DestinationConfig], session: aiohttp.ClientSession, clock: Clock, console: TextIO
) -> dict[str, Sink]:
    """One sink per destination, by name. All share the one session; none opens a connection yet."""
    sinks: dict[str, Sink] = {}
    for i, dest in enumerate(destinations):
        factory = SINK_TYPES.get(dest.type)
        if factory is None:
            known = ", ".join(SINK_TYPES)
            raise ConfigError(
                [Problem(f"unknown type {dest.type!r}; expected {known}", field=f"destinations[{i}]")]
            )
        sinks[dest.name] = factory(dest, session, clock, console)
    return sinks


def _url(dest: DestinationConfig) -> str:
    if not dest.url:  # the settings model already requires one; this keeps mypy and hand-built configs honest
        raise ConfigError(
            [Problem(f"a {dest.type} destination needs a url", field=f"destinations.{dest.name}")]
        )
    return dest.url
