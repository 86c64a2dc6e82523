"""The daemon config, validated. Unknown keys are errors; every setting is documented in README.md."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from string import Formatter
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

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
    server_pace: bool = True  # never poll sooner than the server's Cache-Control max-age or the feed's <ttl>
    websub: bool = True  # subscribe at the feed's WebSub hub when it names one (needs server.public_url)
    websub_heartbeat: Duration = 3600.0  # poll interval while pushes arrive (never below `interval`)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @model_validator(mode="after")
    def _default_name(self) -> FeedConfig:
        if not self.name:
            object.__setattr__(self, "name", urlsplit(self.url).hostname or self.url)
        return self


class RateLimitConfig(_Model):
    """How fast alerts may go to one destination: `burst` at once, then `per_second` (0.5: one every 2 s)."""

    per_second: float = Field(gt=0, allow_inf_nan=False)
    burst: int = Field(default=1, ge=1)


_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class QuietHoursConfig(_Model):
    """A daily span when a destination gets only urgent alerts; the rest wait until it ends."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: str = Field(alias="from")  # "22:00", local time in `timezone`
    end: str = Field(alias="to")  # "07:00"; before `from` means the span crosses midnight
    timezone: str = "UTC"  # an IANA zone name, e.g. Europe/Paris

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK_TIME.match(value):
            raise ValueError(f"expected a time of day HH:MM (00:00 to 23:59), got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name such as Europe/Paris") from exc
        return value

    @model_validator(mode="after")
    def _span(self) -> QuietHoursConfig:
        if self.start == self.end:
            raise ValueError("quiet hours need different from and to times")
        return self


def _retry_schedule(value: list[float]) -> list[float]:
    if not 1 <= len(value) <= 30:
        raise ValueError("retry takes 1 to 30 durations, e.g. [5s, 5m, 30m, 2h]")
    if any(delay > 7 * 86400 for delay in value):
        raise ValueError("a retry delay is at most 7d")
    return value


class DestinationConfig(_Model):
    # The placeholders a `template` may use; monitor/deliver/template.py fills each (a test keeps the two equal).
    TEMPLATE_PLACEHOLDERS: ClassVar[tuple[str, ...]] = (
        "title", "source", "link", "published", "watchlists", "terms", "summary",
    )  # fmt: skip

    name: str = Field(min_length=1)
    type: Literal["console", "slack", "webhook", "discord", "teams"]
    url: str | None = None
    secret: str | list[str] | None = None  # Standard Webhooks "whsec_<base64>", or several (rotation); webhook only
    timeout: Duration = 10.0
    template: str | None = Field(default=None, min_length=1)  # the alert's short text, e.g. "{source}: {title}"
    rate_limit: RateLimitConfig | None = None  # None: the type's default (monitor/deliver/ratelimit.py)
    # slack with a bot token instead of a webhook url: chat.postMessage, copies threaded under the first alert
    token: str | None = Field(default=None, repr=False)  # "xoxb-…"; never shown in a message or a log
    channel: str | None = None  # the channel id, "C…" (a public channel's name works too)
    api_url: str | None = None  # the Slack Web API base; None: https://slack.com/api/ (tests point it elsewhere)
    retry: list[Duration] | None = None  # waits after the 1st, 2nd, … failed send; None: the standard schedule
    digest: Duration | None = None  # send held alerts as one message every this long (1m to 1d)
    quiet_hours: QuietHoursConfig | None = None  # hold non-urgent alerts during this daily span

    @field_validator("retry")
    @classmethod
    def _retry(cls, value: list[float] | None) -> list[float] | None:
        return None if value is None else _retry_schedule(value)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: float | None) -> float | None:
        if value is not None and not 60 <= value <= 86400:
            raise ValueError("digest is a period from 1m to 1d, e.g. 15m")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value is None:
            return None
        for one in [value] if isinstance(value, str) else value:
            raw = one.removeprefix("whsec_")
            try:
                key = base64.b64decode(raw, validate=True)
            except ValueError as exc:
                raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
            if len(key) < 16:
                raise ValueError("a webhook secret must hold at least 16 bytes (24 base64 characters)")
        if not isinstance(value, str) and not 1 <= len(value) <= 5:
            raise ValueError("list one to five secrets: the new one and those receivers may still hold")
        return value

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secrets alerts are signed with: one, or several while receivers move to a new one."""
        if self.secret is None:
            return ()
        return (self.secret,) if isinstance(self.secret, str) else tuple(self.secret)

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        # the message never quotes the value: it is a secret
        if value is not None and (not value or not value.isprintable() or any(c.isspace() for c in value)):
            raise ValueError("a Slack token is one word such as xoxb-…, without spaces or control characters")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and (not value or not value.isprintable() or any(c.isspace() for c in value)):
            raise ValueError(f"expected a Slack channel id such as C0123456789, got {value!r}")
        return value

    @field_validator("template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        """Placeholders are checked here, at load time; the text is never given to str.format."""
        if value is None:
            return None
        known = ", ".join(f"{{{name}}}" for name in cls.TEMPLATE_PLACEHOLDERS)
        try:
            parsed = list(Formatter().parse(value))
        except ValueError as exc:  # a lone { or }
            raise ValueError(f"template: {exc}; write {{{{ and }}}} for literal braces") from exc
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in cls.TEMPLATE_PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}} in template; expected one of {known}")
            if spec or conversion:
                raise ValueError(f"placeholder {{{name}}} in template takes no format spec or conversion")
        return value

    @property
    def threaded(self) -> bool:
        """A Slack bot-token destination: a story's later copies and follow-ups reply in its first alert's thread."""
        return self.type == "slack" and self.token is not None

    @model_validator(mode="after")
    def _needs(self) -> DestinationConfig:
        self._slack_api()
        if self.type in ("webhook", "discord", "teams") and not self.url:
            raise ValueError(f"a {self.type} destination needs a url")
        if self.secret and self.type != "webhook":
            raise ValueError("only webhook destinations are signed; remove secret")
        if self.template and self.type == "webhook":
            raise ValueError("a webhook destination sends data, not text; remove template")
        return self

    def _slack_api(self) -> None:
        """slack takes a webhook `url`, or a bot `token` with a `channel` (and maybe `api_url`); nothing else does."""
        bot = [name for name in ("token", "channel", "api_url") if getattr(self, name) is not None]
        if self.type != "slack":
            if bot:
                pronoun = "it" if len(bot) == 1 else "them"
                raise ValueError(f"only slack destinations take {', '.join(bot)}; remove {pronoun}")
            return
        if self.url and bot:
            raise ValueError("a slack destination takes a webhook url or a bot token and channel, not both")
        if not self.url and not (self.token and self.channel):
            raise ValueError("a slack destination needs a webhook url, or a bot token and a channel")


class DedupSettings(_Model):
    enabled: bool = True  # false: only exact copies (same link, or same headline and summary) collapse
    window: Duration = 72 * 3600.0  # how long a story gathers copies
    preset: Literal["default", "strict", "loose"] = "default"  # how alike two texts must be to be one story


class ServerConfig(_Model):
    listen: str = "127.0.0.1:8787"  # host:port of the status server, or "off"
    token: str | None = None  # when set, every endpoint but /healthz needs "Authorization: Bearer <token>"
    public_url: str | None = None  # how hubs reach this server (WebSub callbacks), e.g. https://wiremon.example.org

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(_http_url(value))
        if parts.query or parts.fragment:
            raise ValueError(f"public_url is a base URL without ?query or #fragment, got {value!r}")
        return value.rstrip("/")

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if value == "off":
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"expected host:port (e.g. 127.0.0.1:8787) or off, got {value!r}")
        return value

    @property
    def address(self) -> tuple[str, int] | None:
        if self.listen == "off":
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class Settings(_Model):
    feeds: list[FeedConfig] = []
    destinations: list[DestinationConfig] = []
    watchlists: Path = Path("watchlists")  # a file or a folder of *.yaml, relative to the config file
    store: str = "wiremon.db"  # SQLite path, relative to the config file
    tick: Duration = 5.0  # how often the scheduler looks for due feeds
    lease: Duration = 60.0  # how long a feed or destination stays claimed by one instance of a shared store
    concurrency: int = Field(default=16, ge=1, le=1000)  # polls in flight at once, all feeds together
    per_host: int = Field(default=2, ge=1, le=16)  # polls in flight at once to one host
    parse_workers: int | None = Field(default=None, ge=0, le=64)  # parsing processes; None: the cores; 0: a thread
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    server: ServerConfig = ServerConfig()
    dedup: DedupSettings = DedupSettings()
    ops: str | None = None  # the destination that gets operator warnings (a destination disabled, a bad reload)
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

    @field_validator("ops")
    @classmethod
    def _ops(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        destinations = info.data.get("destinations")
        if destinations is None:  # destinations had their own error, reported already
            return value
        names = [d.name for d in destinations] or ["console"]  # none configured: alerts go to the console
        if value not in names:
            raise ValueError(f"ops names destination {value!r}, which is not configured; expected one of "
                             + ", ".join(names))  # fmt: skip
        return value

    @property
    def watchlists_path(self) -> Path:
        return self.watchlists if self.watchlists.is_absolute() else self.base_dir / self.watchlists

    @property
    def store_location(self) -> str:
        """What open_store takes: a PostgreSQL URL as written, else the SQLite file's path."""
        if self.store.startswith(("postgresql://", "postgres://")):
            return self.store
        return str(self.store_path)

    @property
    def store_path(self) -> Path:
        path = Path(self.store)
        return path if path.is_absolute() else self.base_dir / path

    def effective_destinations(self) -> list[DestinationConfig]:
        """With none configured, alerts print to the console."""
        return self.destinations or [DestinationConfig(name="console", type="console")]
