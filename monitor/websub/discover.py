"""Where a feed says it is pushed from: its hubs and its own topic URL (W3C WebSub §4, discovery). Pure.

The HTTP `Link:` header is consulted first, then the document's own links (`<link rel="hub">` in Atom,
`<atom:link rel="hub">` in RSS, `hubs` in JSON Feed). The topic is the `rel="self"` URL; a feed that names
hubs but no self URL is subscribed to under the URL it was fetched from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from monitor.parse.fields import absolute_url

MAX_HUBS: Final = 5  # a feed naming more hubs than this is odd; only the first few are remembered

_TOKEN: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED: Final = r'"(?:[^"\\]|\\.)*"'
# One link-value of RFC 8288: <target> followed by ;-separated parameters (quoted values may hold commas).
_LINK: Final = re.compile(rf"<([^>]*)>((?:\s*;\s*{_TOKEN}\s*(?:=\s*(?:{_QUOTED}|[^;,]*))?)*)")
_PARAM: Final = re.compile(rf";\s*({_TOKEN})\s*(?:=\s*({_QUOTED}|[^;,]*))?")


@dataclass(frozen=True, slots=True)
class Discovery:
    hubs: tuple[str, ...]  # absolute http(s) URLs, in the order the publisher gave them
    topic: str | None  # the self URL; None when no hub was found (nothing to subscribe to)

    @property
    def pushable(self) -> bool:
        return bool(self.hubs) and self.topic is not None


NOTHING: Final = Discovery((), None)


def parse_link_header(values: Iterable[str]) -> list[tuple[str, frozenset[str]]]:
    """Every (target, rels) in one or more `Link:` header values; rel tokens lower-cased."""
    found: list[tuple[str, frozenset[str]]] = []
    for value in values:
        for link in _LINK.finditer(value):
            rels: frozenset[str] = frozenset()
            for name, raw in _PARAM.findall(link.group(2)):
                if name.lower() == "rel" and not rels:  # RFC 8288: only the first rel counts
                    text = raw.strip()
                    if text.startswith('"'):
                        text = re.sub(r"\\(.)", r"\1", text[1:-1])
                    rels = frozenset(text.lower().split())
            found.append((link.group(1).strip(), rels))
    return found


def _urls(candidates: Iterable[str], base: str) -> list[str]:
    urls = (absolute_url(c, base) for c in candidates)
    return list(dict.fromkeys(u for u in urls if u))[:MAX_HUBS]


def discover(
    link_headers: Iterable[str], doc_hubs: Iterable[str], doc_self: str | None, *, base: str
) -> Discovery:
    """The hubs and topic of a feed fetched from `base`; NOTHING when it names no usable hub."""
    links = parse_link_header(link_headers)
    header_hubs = _urls((target for target, rels in links if "hub" in rels), base)
    header_self = _urls((target for target, rels in links if "self" in rels), base)
    hubs = header_hubs or _urls(doc_hubs, base)
    if not hubs:
        return NOTHING
    selves = header_self or _urls([doc_self] if doc_self else [], base)
    return Discovery(tuple(hubs), selves[0] if selves else base)
