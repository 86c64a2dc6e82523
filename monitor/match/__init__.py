"""match: watchlists (actors + boolean/proximity queries) compiled into one immutable Matcher.

    from monitor.match import Matcher, load_watchlists
    matcher = load_watchlists(path)      # a file or a folder; raises ConfigError(list[Problem])
    hits = matcher.match(story)          # tuple[Hit, ...], sorted by watchlist name

The query language is described in LANGUAGE.md: words, "phrases", actor ids, AND / OR / NOT, NEAR/n,
``word*`` prefixes and ``title:`` / ``summary:`` / ``content:`` scopes. Matching ignores case and accents,
except for a term written with a leading ``=``: ``=UN`` matches "UN" but not the "Un" of "Kim Jong Un".
``monitor.match.text`` is the word folding (``tokens``, ``normalize``) shared with the dedup stage.
"""

from monitor.match.compile import compile_matcher
from monitor.match.load import load_watchlists
from monitor.match.matcher import Matcher
from monitor.match.query import QueryError, parse_query
from monitor.match.spec import ActorSpec, WatchlistInfo, WatchlistSpec
from monitor.match.text import Token, normalize, tokens

__all__ = [
    "ActorSpec",
    "Matcher",
    "QueryError",
    "Token",
    "WatchlistInfo",
    "WatchlistSpec",
    "compile_matcher",
    "load_watchlists",
    "normalize",
    "parse_query",
    "tokens",
]
