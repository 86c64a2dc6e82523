"""Standard Webhooks signing: our signer, our verifier and the docs' standalone receiver must all agree."""

from __future__ import annotations

import base64
import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from monitor.deliver.signing import SignatureError, sign, verify, webhook_headers

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + base64.b64encode(b"wiremon-test-secret-32-bytes-xx!").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-secret-before-rotate").decode()
NOW = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
BODY = b'{"type":"wiremon.alert","id":"msg_abc","title":"caf\xc3\xa9 \xe2\x80\x94 <!channel>"}'


def load_receiver_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("receiver_example", ROOT / "docs" / "receiver_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


receiver_example = load_receiver_example()


def signed(secret: str = SECRET, msg_id: str = "msg_abc", ts: int = TS, body: bytes = BODY) -> dict[str, str]:
    return webhook_headers(msg_id, ts, body, secret)


def test_matches_the_standard_webhooks_reference_vector() -> None:
    # the test vector published with the Standard Webhooks reference libraries
    body = b'{"test": 2432232314}'
    got = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_carry_id_timestamp_and_signature() -> None:
    headers = signed()
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-timestamp"] == str(TS)
    assert headers["webhook-signature"].startswith("v1,")
    assert "webhook-signature" not in webhook_headers("msg_abc", TS, BODY, None)


def test_round_trip_with_both_verifiers() -> None:
    headers = signed()
    assert verify(SECRET, headers, BODY, NOW) == "msg_abc"
    alert = receiver_example.verify_webhook(SECRET, headers, BODY, now=NOW.timestamp())
    assert alert["id"] == "msg_abc"


def test_header_names_are_case_insensitive() -> None:
    headers = {k.upper(): v for k, v in signed().items()}
    assert verify(SECRET, headers, BODY, NOW) == "msg_abc"
    receiver_example.verify_webhook(SECRET, headers, BODY, now=NOW.timestamp())


def test_any_of_several_secrets_may_match_during_rotation() -> None:
    headers = signed(secret=OLD_SECRET)
    assert verify([SECRET, OLD_SECRET], headers, BODY, NOW) == "msg_abc"
    receiver_example.verify_webhook(f"{SECRET} {OLD_SECRET}", headers, BODY, now=NOW.timestamp())
    with pytest.raises(SignatureError):
        verify([SECRET], headers, BODY, NOW)


def test_any_of_several_signatures_may_match() -> None:
    good = signed()["webhook-signature"]
    other = signed(secret=OLD_SECRET)["webhook-signature"]
    headers = signed() | {"webhook-signature": f"v1a,c2lnbmF0dXJl {other} v2,{good[3:]} {good}"}
    assert verify(SECRET, headers, BODY, NOW) == "msg_abc"
    receiver_example.verify_webhook(SECRET, headers, BODY, now=NOW.timestamp())


def test_a_signature_under_another_version_is_not_accepted() -> None:
    good = signed()["webhook-signature"]
    headers = signed() | {"webhook-signature": "v2," + good[3:]}
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(SECRET, headers, BODY, NOW)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamps_within_five_minutes_pass(skew: int) -> None:
    now = NOW + timedelta(seconds=skew)
    verify(SECRET, signed(), BODY, now)
    receiver_example.verify_webhook(SECRET, signed(), BODY, now=now.timestamp())


@pytest.mark.parametrize("skew", [-301, 301, 86400])
def test_timestamps_outside_five_minutes_fail(skew: int) -> None:
    now = NOW + timedelta(seconds=skew)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, signed(), BODY, now)
    with pytest.raises(receiver_example.InvalidWebhook):
        receiver_example.verify_webhook(SECRET, signed(), BODY, now=now.timestamp())


def _tampered() -> list[tuple[str, dict[str, str], bytes]]:
    h = signed()
    return [
        ("body changed", h, BODY.replace(b"msg_abc", b"msg_abd")),
        ("body re-serialized", h, json.dumps(json.loads(BODY)).encode()),
        ("id changed", h | {"webhook-id": "msg_other"}, BODY),
        ("timestamp changed", h | {"webhook-timestamp": str(TS + 1)}, BODY),
        ("timestamp not a number", h | {"webhook-timestamp": "17e8"}, BODY),
        ("timestamp not ascii", h | {"webhook-timestamp": "１７"}, BODY),
        ("signed with another secret", signed(secret=OLD_SECRET), BODY),
        ("signature missing", {k: v for k, v in h.items() if k != "webhook-signature"}, BODY),
        ("id missing", {k: v for k, v in h.items() if k != "webhook-id"}, BODY),
        ("signature garbage", h | {"webhook-signature": "v1,,, v1 nonsense"}, BODY),
    ]


@pytest.mark.parametrize(("case", "headers", "body"), _tampered(), ids=[c[0] for c in _tampered()])
def test_tampering_is_rejected_by_both_verifiers(case: str, headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, headers, body, NOW)
    with pytest.raises(receiver_example.InvalidWebhook):
        receiver_example.verify_webhook(SECRET, headers, body, now=NOW.timestamp())


def test_a_malformed_secret_is_a_clear_error() -> None:
    with pytest.raises(SignatureError, match="whsec_"):
        sign("whsec_not base64!", "msg_abc", TS, BODY)
