"""A real HTTP server on 127.0.0.1 playing the Slack Web API's chat.postMessage for the bot-token sink.

It records every request and answers `{"ok": true, "channel", "ts"}` with a new ts each time, unless a queued
answer says otherwise (an error, a 429 with Retry-After, a 5xx, a page that is not JSON).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.logs import JSONFormatter, ReadableFormatter
from tests.wire import Received

CHANNEL_ID = "C0TESTCHAN"


@dataclass
class Answer:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SlackWeb:
    server: TestServer
    requests: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)  # used first, one per request; then ok
    posted: list[dict[str, Any]] = field(default_factory=list)  # the messages Slack accepted, with their ts

    @property
    def api_url(self) -> str:
        return str(self.server.make_url("/api/"))

    def fail(self, error: str, status: int = 200, **headers: str) -> None:
        self.answers.append(Answer(status, json.dumps({"ok": False, "error": error}), headers))

    def top_level(self) -> list[dict[str, Any]]:
        return [m for m in self.posted if "thread_ts" not in m]

    def replies(self) -> list[dict[str, Any]]:
        return [m for m in self.posted if "thread_ts" in m]


async def start_slack_web() -> SlackWeb:
    app = web.Application()
    slack = SlackWeb(server=TestServer(app, host="127.0.0.1"))

    async def post_message(request: web.Request) -> web.Response:
        body = await request.read()
        slack.requests.append(Received(request.path, dict(request.headers), body))
        if slack.answers:
            answer = slack.answers.pop(0)
            return web.Response(status=answer.status, text=answer.body, headers=answer.headers)
        message = json.loads(body)
        ts = f"1732000000.{len(slack.posted) + 1:06d}"
        slack.posted.append({**message, "ts": ts})
        channel = CHANNEL_ID if message["channel"].startswith("#") else message["channel"]
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": {"text": message["text"]}})

    app.router.add_post("/api/chat.postMessage", post_message)
    await slack.server.start_server()
    return slack


@contextmanager
def formatted_logs() -> Iterator[list[str]]:
    """Every log line of wiremon and aiohttp while inside, formatted both ways the daemon prints them (with the
    key=value context that pytest's caplog.text leaves out)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(ReadableFormatter().format(record))
            lines.append(JSONFormatter().format(record))

    handler = Keep(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("wiremon", "aiohttp", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
