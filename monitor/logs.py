"""Logging is configured here and only here. Modules log stable event names with key=value context:

    log_event(log, "feed.failed", feed=url, reason="timeout")
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

_CONTEXT = "wiremon_fields"


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={_CONTEXT: fields})


class ReadableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        fields: dict[str, Any] = getattr(record, _CONTEXT, {})
        context = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        text = f"{stamp} {record.levelname:<7} {record.getMessage()}" + (f" {context}" if context else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "logger": record.name,
            **getattr(record, _CONTEXT, {}),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or " " in text or '"' in text) else text


def configure(level: str = "INFO", *, json_logs: bool = False, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter() if json_logs else ReadableFormatter())
    root = logging.getLogger("wiremon")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
