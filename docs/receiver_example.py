"""Receiving wiremon's webhooks: verify, dedupe, then act. Python standard library only.

    WIREMON_SECRETS="whsec_…" python receiver_example.py 8080

WIREMON_SECRETS holds one secret, or several separated by spaces while you rotate them.
wiremon signs per Standard Webhooks (https://www.standardwebhooks.com): the signature is
base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{raw body}")), with key the base64-decoded
secret after "whsec_", sent as "v1,<signature>" (space-separated when there are several).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

TOLERANCE = 5 * 60  # seconds: older (or future) timestamps are refused, which stops replays


class InvalidWebhook(Exception):
    pass


def verify_webhook(
    secrets: str | list[str], headers: Mapping[str, str], body: bytes, now: float | None = None
) -> dict[str, Any]:
    """Return the alert if a signature matches one of `secrets`; raise InvalidWebhook otherwise.

    Pass the body bytes exactly as received: re-serialized JSON would not match the signature.
    """
    h = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp, signatures = (
        h.get("webhook-id"),
        h.get("webhook-timestamp", ""),
        h.get("webhook-signature"),
    )
    if not msg_id or not (timestamp.isascii() and timestamp.isdigit()) or not signatures:
        raise InvalidWebhook("missing or malformed webhook headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        raise InvalidWebhook("timestamp outside the tolerance")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    offered = [s.removeprefix("v1,").encode() for s in signatures.split() if s.startswith("v1,")]
    for secret in secrets.split() if isinstance(secrets, str) else secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            alert: dict[str, Any] = json.loads(body)
            if alert.get("id") != msg_id:
                raise InvalidWebhook("body id does not match webhook-id")
            return alert
    raise InvalidWebhook("no signature matches")


class Receiver(BaseHTTPRequestHandler):
    secrets: ClassVar[list[str]] = []
    seen: ClassVar[OrderedDict[str, None]] = (
        OrderedDict()
    )  # recent webhook-ids: drop retries of delivered alerts

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            alert = verify_webhook(self.secrets, dict(self.headers.items()), body)
        except InvalidWebhook as exc:
            self.send_error(401, str(exc))  # wiremon retries a 401 later; fix the secret meanwhile
            return
        if alert["id"] not in self.seen:
            self.seen[alert["id"]] = None
            if len(self.seen) > 10_000:
                self.seen.popitem(last=False)
            story = alert["story"]
            print(f"ALERT {', '.join(alert['watchlists'])}: {story['title']} <{story['link']}>", flush=True)
        self.send_response(204)  # any 2xx means delivered
        self.end_headers()


if __name__ == "__main__":
    Receiver.secrets = os.environ.get("WIREMON_SECRETS", "").split()
    if not Receiver.secrets:
        sys.exit("set WIREMON_SECRETS to the destination's secret (whsec_…)")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
