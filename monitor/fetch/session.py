"""The process's one HTTP session, configured for polling feeds. The daemon owns and closes it."""

from __future__ import annotations

from typing import Final

import aiohttp

from monitor import USER_AGENT

# Feed formats first; generic XML/JSON lower; anything else last (some servers 406 without */*).
ACCEPT: Final = ", ".join(
    (
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml;q=0.9",
        "application/feed+json;q=0.9",
        "application/xml;q=0.8",
        "text/xml;q=0.8",
        "application/json;q=0.7",
        "*/*;q=0.1",
    )
)
SESSION_TIMEOUT: Final = aiohttp.ClientTimeout(total=30, connect=10, sock_read=15)
CONNECTION_LIMIT: Final = 64  # sockets open at once, across all hosts
CONNECTION_LIMIT_PER_HOST: Final = 4  # be polite to a publisher serving many of our feeds


def make_session(
    *,
    timeout: aiohttp.ClientTimeout = SESSION_TIMEOUT,
    limit: int = CONNECTION_LIMIT,
    limit_per_host: int = CONNECTION_LIMIT_PER_HOST,
) -> aiohttp.ClientSession:
    """A session that sends our User-Agent and Accept, keeps no cookies and decompresses bodies.

    Call it from inside the running event loop; the caller closes it.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        cookie_jar=aiohttp.DummyCookieJar(),  # a feed poller has no business holding cookies
        timeout=timeout,
        auto_decompress=True,  # size caps apply to the decompressed body
        raise_for_status=False,  # statuses are classified in fetch.classify, not raised
    )
