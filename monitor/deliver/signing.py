"""signing: Standard Webhooks (v1, HMAC-SHA256) signatures, for sending and for receivers to check.

signed content: f"{webhook-id}.{webhook-timestamp}.{body}" over the exact body bytes sent;
key: base64-decode(secret without "whsec_"); header: "v1,<base64 signature>", several space-separated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from monitor.errors import WiremonError

SECRET_PREFIX = "whsec_"
VERSION = "v1"
TOLERANCE = 300.0  # seconds a timestamp may be off from the receiver's clock (replay window)


class SignatureError(WiremonError):
    """A webhook failed verification; the message says which check."""


def secret_key(secret: str) -> bytes:
    """The HMAC key a "whsec_<base64>" secret (or bare base64) stands for."""
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise SignatureError("a webhook secret is 'whsec_' followed by base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature value for one secret: "v1,<base64 HMAC-SHA256>"."""
    return f"{VERSION},{_digest(secret_key(secret), msg_id, timestamp, body)}"


def webhook_headers(
    msg_id: str, timestamp: int, body: bytes, secret: str | Sequence[str] | None
) -> dict[str, str]:
    """webhook-id and webhook-timestamp always; webhook-signature when there are secrets: one signature per
    secret, space-separated, so a receiver holding any of them (during a rotation) can verify."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    secrets = [secret] if isinstance(secret, str) else list(secret or ())
    if secrets:
        headers["webhook-signature"] = " ".join(sign(s, msg_id, timestamp, body) for s in secrets)
    return headers


def verify(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: float = TOLERANCE,
) -> str:
    """Check a received webhook; returns its webhook-id, raises SignatureError saying what failed.

    `secrets`: one or several (during a rotation any may match). `headers`: any case.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    raw_ts = lower.get("webhook-timestamp")
    raw_sigs = lower.get("webhook-signature")
    if not msg_id or raw_ts is None or not raw_sigs:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not (raw_ts.isascii() and raw_ts.isdigit()):
        raise SignatureError(f"webhook-timestamp is not an integer: {raw_ts!r}")
    timestamp = int(raw_ts)
    if abs(now.timestamp() - timestamp) > tolerance:
        raise SignatureError(f"webhook-timestamp {timestamp} is outside the {tolerance:.0f}s tolerance")
    offered = [sig for version, _, sig in (p.partition(",") for p in raw_sigs.split()) if version == VERSION]
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        expected = _digest(secret_key(secret), msg_id, timestamp, body).encode()
        if any(hmac.compare_digest(expected, sig.encode()) for sig in offered):
            return msg_id
    raise SignatureError("no webhook-signature matches")


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
