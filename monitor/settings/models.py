"""The daemon config, validated. Unknown keys are errors; every setting is documented in README.md."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: object) -> float:
    """'90s', '5m', '1h', '2d', or a bare number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 60s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    else:
        raise ValueError(f"expected a duration such as 60s, 5m or 1h, got {value!r}")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Model):
    url: str
    name: str = ""  # defaults to the URL's host
    interval: Duration = 300.0
    alert_on_first_poll: bool = False  # false: the first poll records what is there without alerting

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @model_validator(mode="after")
    def _default_name(self) -> FeedConfig:
        if not self.name:
            object.__setattr__(self, "name", urlsplit(self.url).hostname or self.url)
        return self


class DestinationConfig(_Model):
    name: str = Field(min_length=1)
    type: Literal["console", "slack", "webhook"]
    url: str | None = None
    secret: str | None = None  # Standard Webhooks secret, "whsec_<base64>"; webhook only
    timeout: Duration = 10.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        raw = value.removeprefix("whsec_")
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
        if len(key) < 16:
            raise ValueError("a webhook secret must hold at least 16 bytes (24 base64 characters)")
        return value

    @model_validator(mode="after")
    def _needs(self) -> DestinationConfig:
        if self.type in ("slack", "webhook") and not self.url:
            raise ValueError(f"a {self.type} destination needs a url")
        if self.secret and self.type != "webhook":
            raise ValueError("only webhook destinations are signed; remove secret")
        return self


class Settings(_Model):
    feeds: list[FeedConfig] = []
    destinations: list[DestinationConfig] = []
    watchlists: Path = Path("watchlists")  # a file or a folder of *.yaml, relative to the config file
    store: str = "wiremon.db"  # SQLite path, relative to the config file
    tick: Duration = 5.0  # how often the scheduler looks for due feeds
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    base_dir: Path = Path(".")  # set by the loader: the config file's folder

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        for kind, names in (
            ("feed url", [f.url for f in self.feeds]),
            ("destination name", [d.name for d in self.destinations]),
        ):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"duplicate {kind} {name!r}")
                seen.add(name)
        return self

    @property
    def watchlists_path(self) -> Path:
        return self.watchlists if self.watchlists.is_absolute() else self.base_dir / self.watchlists

    @property
    def store_path(self) -> Path:
        path = Path(self.store)
        return path if path.is_absolute() else self.base_dir / path

    def effective_destinations(self) -> list[DestinationConfig]:
        """With none configured, alerts print to the console."""
        return self.destinations or [DestinationConfig(name="console", type="console")]
