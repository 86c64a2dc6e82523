"""Fetch one feed URL: conditional GET, redirects followed by hand, a streamed size cap, one deadline.

Expected failures come back as a `Failed` outcome; only bugs raise, and cancellation always propagates.
"""

from __future__ import annotations

import asyncio
from typing import Final

import aiohttp
from multidict import CIMultiDictProxy

from monitor.clock import Clock, SystemClock
from monitor.fetch.classify import Disposition, Head, disposition, fetched, head_outcome, redirect_target
from monitor.fetch.outcomes import Failed, FetchOutcome, Validators

CHUNK: Final = 64 * 1024
DEFAULT_MAX_BYTES: Final = 10_000_000
TOTAL_TIMEOUT: Final = 30.0  # seconds for the whole fetch: every redirect hop and the body

# Expected network failures and how we describe them; first match wins, so subclasses come first.
_FAILURES: Final[tuple[tuple[type[BaseException], str], ...]] = (
    (aiohttp.ClientConnectorDNSError, "DNS lookup failed"),
    (aiohttp.ClientConnectorCertificateError, "TLS certificate rejected"),
    (aiohttp.ClientSSLError, "TLS handshake failed"),
    (aiohttp.ClientConnectorError, "connection failed"),  # refused, unreachable
    (TimeoutError, "timed out"),  # our deadline, or aiohttp's connect / sock_read timeouts
    (aiohttp.ServerDisconnectedError, "server closed the connection"),
    (aiohttp.ClientPayloadError, "response body broken"),  # truncated, bad chunking or compression
    (aiohttp.NonHttpUrlClientError, "unsupported URL scheme"),
    (aiohttp.InvalidURL, "invalid URL"),
    (aiohttp.ClientResponseError, "malformed HTTP response"),
    (aiohttp.ClientError, "HTTP client error"),
    (UnicodeError, "invalid host name"),  # IDNA encoding of the host failed
)
_EXPECTED: Final = tuple(exc_type for exc_type, _ in _FAILURES)


def describe(exc: BaseException) -> str:
    """A short, actionable reason for an expected failure."""
    label = next(text for exc_type, text in _FAILURES if isinstance(exc, exc_type))
    detail = str(exc).strip()
    return f"{label}: {detail}" if detail else label


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


class Fetcher:
    """Fetches feeds over the daemon's one session; safe to share between tasks.

    `timeout` bounds the whole fetch (all redirect hops and the body), on top of the session's own
    connect / sock_read timeouts, so a server dripping a byte at a time cannot hold a poll slot.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 5,
        timeout: float = TOTAL_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        self._session = session
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._timeout = timeout
        self._clock: Clock = clock or SystemClock()

    async def fetch(self, url: str, validators: Validators) -> FetchOutcome:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url, validators)
        except _EXPECTED as exc:
            return Failed(describe(exc), None)

    async def _follow(self, url: str, validators: Validators) -> FetchOutcome:
        current, seen = url, {url}
        hops: list[int] = []
        while True:
            async with self._session.get(
                current, headers=validators.request_headers(), allow_redirects=False
            ) as response:
                status = response.status
                if disposition(status) is not Disposition.REDIRECT:
                    return await self._finish(response, current, validators, tuple(hops))
                target = redirect_target(current, response.headers.get("Location"), status=status)
            if isinstance(target, Failed):
                return target
            hops.append(status)
            if len(hops) > self._max_redirects or target in seen:
                loop = " (redirect loop)" if target in seen else ""
                return Failed(f"too many redirects{loop}: gave up at {target}", status)
            seen.add(target)
            current = target

    async def _finish(
        self, response: aiohttp.ClientResponse, url: str, sent: Validators, hops: tuple[int, ...]
    ) -> FetchOutcome:
        headers: CIMultiDictProxy[str] = response.headers
        head = Head(response.status, response.reason or "", headers, sent, self._clock.now(),
                    links=tuple(headers.getall("Link", ())))  # fmt: skip
        if disposition(response.status) is not Disposition.BODY:
            return head_outcome(head, final_url=url, hops=hops)
        body = await self._read_capped(response)
        if body is None:
            return Failed(f"response larger than {_megabytes(self._max_bytes)}", response.status)
        return fetched(head, body, final_url=url, hops=hops)

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes | None:
        """The decompressed body, or None as soon as it grows past the cap (memory stays flat)."""
        declared = response.content_length
        if declared is not None and declared > self._max_bytes and "Content-Encoding" not in response.headers:
            response.close()
            return None
        body = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > self._max_bytes:
                response.close()  # drop the connection rather than drain the rest
                return None
        return bytes(body)
