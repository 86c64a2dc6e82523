"""template: a destination's short text for an alert, from an operator's format string. Pure.

The template is the operator's and is trusted; every placeholder holds feed text, made safe by the destination's
own `Markup` before it is put in. Templates are split with string.Formatter().parse and joined by hand:
str.format is never called, so neither the template nor a feed can reach attributes or format specs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Final

from monitor.deliver.text import clean, clip, utc
from monitor.model import Alert


@dataclass(frozen=True, slots=True)
class Markup:
    """How one destination makes feed text safe to show."""

    text: Callable[[str], str]  # one line of cleaned feed text → shown literally at this destination
    link: Callable[[str], str]  # a story URL → a safe URL for this destination, "" when it is not http(s)
    clip: Callable[[str, int], str]  # shorten text made by `text` without cutting an escape in half


PLAIN: Final = Markup(text=lambda s: s, link=clean, clip=clip)  # a terminal: clean() is all it needs

# Characters of feed text a placeholder keeps before its destination's escaping (which may lengthen it).
FIELD_LIMIT: Final = 300
Fill = Callable[[Alert, Markup], str]

# fmt: off
FIELDS: Final[Mapping[str, Fill]] = {
    # the headline; "(untitled)" rather than nothing, so a template never reads "ALERT grain: "
    "title": lambda a, m: m.text(clip(clean(a.story.title), FIELD_LIMIT) or "(untitled)"),
    "source": lambda a, m: m.text(clip(clean(a.story.source), FIELD_LIMIT)),  # the feed's name
    "link": lambda a, m: m.link(a.story.link),  # the story URL, percent-encoded as the destination needs
    "published": lambda a, m: utc(a.story.published),  # "2024-11-19 00:45 UTC": our text, nothing to escape
    "watchlists": lambda a, m: m.text(clip(clean(", ".join(a.watchlists)), FIELD_LIMIT)),
    "terms": lambda a, m: m.text(clip(clean(", ".join(a.terms)), FIELD_LIMIT)),  # as written in the story
    "summary": lambda a, m: m.text(clip(clean(a.story.summary), FIELD_LIMIT)),  # its start; the link has more
}
# fmt: on
_KNOWN: Final = ", ".join(f"{{{name}}}" for name in FIELDS)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, in order."""

    source: str
    pieces: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Raises ValueError naming a placeholder that is not in FIELDS (the settings model checks this too)."""
        pieces: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in Formatter().parse(text):
            if name is not None and (name not in FIELDS or spec or conversion):
                raise ValueError(f"unknown placeholder {{{name}}} in template; expected one of {_KNOWN}")
            pieces.append((literal, name))
        return cls(text, tuple(pieces))

    def render(self, alert: Alert, markup: Markup) -> str:
        """The template with each placeholder filled by `markup`; each placeholder is worked out once."""
        filled: dict[str, str] = {}
        out: list[str] = []
        for literal, name in self.pieces:
            out.append(literal)
            if name is not None:
                if name not in filled:
                    filled[name] = FIELDS[name](alert, markup)
                out.append(filled[name])
        return "".join(out)

    def line(self, alert: Alert, markup: Markup, limit: int) -> str:
        """The rendered template as one line of at most `limit` characters, cut without breaking an escape."""
        return markup.clip(clean(self.render(alert, markup)), limit)
