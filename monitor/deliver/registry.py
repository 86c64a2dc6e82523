"""registry: destination types → sink factories, as data. A new sink type is one function and one row."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

import aiohttp

from monitor.clock import Clock
from monitor.deliver.console import DEFAULT_TEMPLATE as CONSOLE_TEXT
from monitor.deliver.console import ConsoleSink
from monitor.deliver.discord import DEFAULT_TEMPLATE as DISCORD_TEXT
from monitor.deliver.discord import DiscordSink
from monitor.deliver.outcome import Sink
from monitor.deliver.ratelimit import RateLimit, limiter_for
from monitor.deliver.slack import DEFAULT_TEMPLATE as SLACK_TEXT
from monitor.deliver.slack import SlackSink
from monitor.deliver.slack_api import API_URL, SlackApiSink, ThreadStore
from monitor.deliver.teams import DEFAULT_TEMPLATE as TEAMS_TEXT
from monitor.deliver.teams import TeamsSink
from monitor.deliver.template import Template
from monitor.deliver.webhook import WebhookSink
from monitor.errors import ConfigError, Problem
from monitor.settings.models import DestinationConfig

# A factory gets the destination, the one HTTP session, the clock, the console stream, and where threaded sinks
# keep their threads (the store; None: they never thread).
SinkFactory = Callable[[DestinationConfig, aiohttp.ClientSession, Clock, TextIO, ThreadStore | None], Sink]


def _console(
    dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO, threads: ThreadStore | None
) -> Sink:
    return ConsoleSink(dest.name, console, _template(dest, CONSOLE_TEXT), _limiter(dest))


def _slack(
    dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO, threads: ThreadStore | None
) -> Sink:
    template = _template(dest, SLACK_TEXT)
    if dest.token is not None:  # a bot token: chat.postMessage, threads (slack_api.py)
        if not dest.channel:  # the settings model already requires one; this keeps hand-built configs honest
            raise ConfigError([Problem("a slack token needs a channel", field=f"destinations.{dest.name}")])
        api = dest.api_url or API_URL
        return SlackApiSink(dest.name, dest.token, dest.channel, session, clock, _timeout(dest), api, template,
                            threads, _limiter(dest))  # fmt: skip
    return SlackSink(dest.name, _url(dest), session, clock, _timeout(dest), template, _limiter(dest))


def _discord(
    dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO, threads: ThreadStore | None
) -> Sink:
    template = _template(dest, DISCORD_TEXT)
    return DiscordSink(dest.name, _url(dest), session, clock, _timeout(dest), template, _limiter(dest))


def _teams(
    dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO, threads: ThreadStore | None
) -> Sink:
    template = _template(dest, TEAMS_TEXT)
    return TeamsSink(dest.name, _url(dest), session, clock, _timeout(dest), template, _limiter(dest))


def _webhook(
    dest: DestinationConfig, session: aiohttp.ClientSession, clock: Clock, console: TextIO, threads: ThreadStore | None
) -> Sink:
    return WebhookSink(dest.name, _url(dest), dest.secrets or None, session, clock, _timeout(dest), _limiter(dest))


SINK_TYPES: Mapping[str, SinkFactory] = {
    "console": _console,  # readable text on the daemon's console stream
    "slack": _slack,  # Block Kit message to a Slack incoming webhook, or posted with a bot token (threads copies)
    "discord": _discord,  # a content line and an embed to a Discord webhook; never pings anyone
    "teams": _teams,  # an Adaptive Card to a Teams incoming webhook or Workflows url
    "webhook": _webhook,  # JSON per alert.schema.json, Standard Webhooks headers, signed with a secret
}


def build_sinks(
    destinations: Sequence[DestinationConfig],
    session: aiohttp.ClientSession,
    clock: Clock,
    console: TextIO,
    threads: ThreadStore | None = None,
) -> dict[str, Sink]:
    """One sink per destination, by name. All share the one session; none opens a connection yet. `threads`
    (the store) is where Slack bot-token sinks keep each story's thread."""
    sinks: dict[str, Sink] = {}
    for i, dest in enumerate(destinations):
        factory = SINK_TYPES.get(dest.type)
        if factory is None:
            known = ", ".join(SINK_TYPES)
            raise ConfigError(
                [Problem(f"unknown type {dest.type!r}; expected {known}", field=f"destinations[{i}]")]
            )
        sinks[dest.name] = factory(dest, session, clock, console, threads)
    return sinks


def _url(dest: DestinationConfig) -> str:
    if not dest.url:  # the settings model already requires one; this keeps mypy and hand-built configs honest
        raise ConfigError(
            [Problem(f"a {dest.type} destination needs a url", field=f"destinations.{dest.name}")]
        )
    return dest.url


def _timeout(dest: DestinationConfig) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=dest.timeout)


def _template(dest: DestinationConfig, default: Template) -> Template:
    """The destination's template, else its type's. A bad one (only a hand-built config can have it) is a
    ConfigError here rather than a KeyError at the first alert."""
    if not dest.template:
        return default
    try:
        return Template.parse(dest.template)
    except ValueError as exc:
        raise ConfigError([Problem(str(exc), field=f"destinations.{dest.name}.template")]) from exc


def _limiter(dest: DestinationConfig) -> RateLimit | None:
    """A fresh bucket per destination: its rate_limit, else its type's default (DEFAULT_RATES)."""
    rate = dest.rate_limit
    return limiter_for(dest.type, (rate.per_second, rate.burst) if rate else None)
