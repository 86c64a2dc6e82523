"""Checking `X-Hub-Signature: method=hexdigest` on content a hub distributes (W3C WebSub §8). Pure."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any, Final

# The methods the recommendation names; sha1 is still what many hubs send.
METHODS: Final[Mapping[str, Callable[..., Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The header value a hub sends for `body` (tests and tools use it to play the hub)."""
    return f"{method}={hmac.new(secret.encode('utf-8'), body, METHODS[method]).hexdigest()}"


def check_signature(header: str | None, secret: str, body: bytes) -> str | None:
    """None when the header signs `body` with `secret`; otherwise why the content must be ignored."""
    if not header:
        return "no X-Hub-Signature header"
    method, sep, offered = header.strip().partition("=")
    digest = METHODS.get(method.strip().lower())
    if not sep or digest is None:
        return f"unsupported signature method {method.strip()[:20]!r}"
    expected = hmac.new(secret.encode("utf-8"), body, digest).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), offered.strip().lower().encode("ascii", "replace")):
        return f"{method.strip().lower()} signature does not match the body"
    return None
