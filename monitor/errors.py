"""The one exception tree. Every error a user can act on says where: file, line, field, feed, destination."""

from __future__ import annotations

from dataclasses import dataclass


class WiremonError(Exception):
    """Base of every error wiremon raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config or watchlist file, with its place."""

    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str | None = None  # dotted path, e.g. "feeds[2].interval"
    excerpt: str | None = None  # a source line with a caret under the column

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.excerpt:
            text += "\n" + self.excerpt
        return text


class ConfigError(WiremonError):
    """Config or watchlists are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(WiremonError):
    """The store could not be opened or migrated."""


class FeedError(WiremonError):
    """A feed could not be fetched or parsed (expected; recorded per feed)."""


class DeliveryError(WiremonError):
    """A destination could not be reached or refused an alert (expected; recorded per destination)."""
