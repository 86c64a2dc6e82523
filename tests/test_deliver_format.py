"""What each sink makes of an alert, without the network: Slack blocks, console text, the webhook body."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.deliver.console import render
from monitor.deliver.slack import slack_payload
from monitor.deliver.webhook import encode, webhook_body
from monitor.model import Alert, Story

SCHEMA = Path(__file__).resolve().parent.parent / "monitor" / "schemas" / "alert.schema.json"


def make_alert(**story_changes: Any) -> Alert:
    story = Story(
        id="urn:wire:2024:1187",
        feed_url="https://wire.example/feed.xml",
        source="Example Wire",
        title="Port strike halts grain exports from Odesa",
        summary="Dockworkers walked out on Tuesday, stopping grain loading at three terminals.",
        content="",
        link="https://wire.example/a/1187?src=rss&lang=en",
        published=datetime(2024, 11, 19, 0, 45, tzinfo=UTC),
        fetched_at=datetime(2024, 11, 19, 0, 59, tzinfo=UTC),
    )
    story = replace(story, **story_changes)
    return Alert(
        id=Alert.make_id(story.key, "ops"),
        destination="ops",
        story=story,
        watchlists=("grain", "ports"),
        terms=("port strike", "grain"),
        detected_at=datetime(2024, 11, 19, 1, 0, 30, tzinfo=UTC),
        cluster=story.key,
        also_carried_by=("Other Wire",),
    )


# --- Slack --------------------------------------------------------------------------------------------------

OUR_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>]*)>")


def mrkdwn_texts(payload: dict[str, Any]) -> Iterator[str]:
    yield payload["text"]
    for block in payload["blocks"]:
        if block["type"] == "section":
            yield block["text"]["text"]
        elif block["type"] == "context":
            yield from (e["text"] for e in block["elements"])


def assert_within_block_kit_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    assert len(payload["text"]) <= 300
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 1 <= len(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert 1 <= len(block["text"]["text"]) <= 3000
        elif block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(1 <= len(e["text"]) <= 3000 for e in block["elements"])
        else:
            pytest.fail(f"unexpected block {block['type']}")
    for text in mrkdwn_texts(payload):  # a cut never leaves half an entity behind
        assert re.search(r"&(?!amp;|lt;|gt;)", text) is None, text


def test_slack_message_shape() -> None:
    payload = slack_payload(make_alert())
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section", "section", "context"]
    header, story, summary, matched, context = payload["blocks"]
    assert header["text"] == {
        "type": "plain_text",
        "text": "Port strike halts grain exports from Odesa",
        "emoji": False,
    }
    assert story["text"]["text"] == (
        "<https://wire.example/a/1187?src=rss&amp;lang=en|Port strike halts grain exports from Odesa>\n"
        "Example Wire · 2024-11-19 00:45 UTC"
    )
    assert summary["text"]["text"].startswith("Dockworkers walked out")
    assert matched["text"]["text"] == "Matched: *port strike*, *grain*\nWatchlists: grain, ports"
    assert context["elements"][0]["text"].endswith(" · also carried by: Other Wire")
    assert payload["text"] == "ALERT grain, ports: Port strike halts grain exports from Odesa"
    assert_within_block_kit_limits(payload)


HOSTILE = [
    "<!channel> evacuate now",
    "&lt;!here&gt; drill",
    "ping <@U123> please",
    "see <https://x|y>",
    "1 < 2 > 0 & more",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_feed_text_can_neither_ping_nor_link(hostile: str) -> None:
    alert = make_alert(title=hostile, summary=hostile, source=hostile, link="https://wire.example/a/9")
    alert = replace(alert, terms=(hostile,), also_carried_by=(hostile,))
    payload = slack_payload(alert)

    links = []
    for text in mrkdwn_texts(payload):
        links += OUR_LINK.findall(text)
        rest = OUR_LINK.sub("", text)
        assert "<" not in rest and ">" not in rest, text
    escaped_title = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert links == [("https://wire.example/a/9", escaped_title)]  # the one link is ours
    assert escaped_title in payload["blocks"][2]["text"]["text"]  # the summary shows literally
    assert payload["blocks"][0]["text"]["text"] == hostile  # plain_text: shown as is, never parsed


def test_already_escaped_looking_text_is_escaped_again() -> None:
    payload = slack_payload(make_alert(title="&lt;!here&gt;"))
    assert "&amp;lt;!here&amp;gt;" in payload["blocks"][1]["text"]["text"]
    assert "&amp;lt;!here&amp;gt;" in payload["text"]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://evil.example/x>|<!channel>", "<https://evil.example/x%3E%7C%3C!channel%3E|"),
        ("https://wire.example/a b/é", "<https://wire.example/a%20b/%C3%A9|"),
        ("javascript:alert(1)", None),
        ("http://[broken/ipv6", None),
        ("https://wire.example/" + "x" * 3000, None),
    ],
)
def test_story_links_are_encoded_or_dropped(link: str, expected: str | None) -> None:
    text = slack_payload(make_alert(link=link))["blocks"][1]["text"]["text"]
    if expected is None:
        assert text.startswith("Port strike halts grain exports from Odesa\n")  # the title, unlinked
    else:
        assert text.startswith(expected)
    assert "<!channel>" not in text


def test_terms_cannot_break_the_bold_markers() -> None:
    alert = replace(make_alert(), terms=("a*b", "*x*", "  spaced\nout  ", "<@U1>"))
    matched = slack_payload(alert)["blocks"][3]["text"]["text"]
    assert matched.splitlines()[0] == "Matched: *a∗b*, *∗x∗*, *spaced out*, *&lt;@U1&gt;*"


def test_ten_thousand_character_summary_stays_within_limits() -> None:
    payload = slack_payload(make_alert(summary="word " * 2000))
    summary = payload["blocks"][2]["text"]["text"]
    assert 2900 < len(summary) <= 3000 and summary.endswith("word…")
    assert_within_block_kit_limits(payload)


@pytest.mark.parametrize("unit", ["&", "<", ">", "a&", "x>y "])
def test_cuts_never_split_an_escape(unit: str) -> None:
    payload = slack_payload(make_alert(summary=unit * (10_000 // len(unit)), title=unit * 500))
    assert_within_block_kit_limits(payload)


def test_everything_oversized_at_once_stays_within_limits() -> None:
    alert = make_alert(
        title="T" * 10_000, summary="S&" * 10_000, source="W" * 10_000, link="https://x.example/"
    )
    alert = replace(
        alert,
        terms=tuple(f"term{i}-" + "t" * 150 for i in range(500)),
        watchlists=tuple(f"list{i}" for i in range(500)),
        also_carried_by=tuple(f"Wire {i}" for i in range(500)),
    )
    payload = slack_payload(alert)
    assert_within_block_kit_limits(payload)
    matched, _ = payload["blocks"][3]["text"]["text"].splitlines()
    assert re.search(r"\*, \d+ more$", matched)
    assert payload["blocks"][4]["elements"][0]["text"].endswith("Wire 0, Wire 1, Wire 2, Wire 3, Wire 4, 495 more")


def test_empty_title_and_summary() -> None:
    payload = slack_payload(make_alert(title="  ", summary=""))
    assert payload["blocks"][0]["text"]["text"] == "(untitled)"
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section", "context"]
    assert_within_block_kit_limits(payload)


def test_slack_payload_is_json() -> None:
    json.dumps(slack_payload(make_alert(title="\u0000\ud7ff caf\u00e9")), ensure_ascii=False).encode()


# --- console ------------------------------------------------------------------------------------------------


def test_console_block_reads_well() -> None:
    assert render(make_alert()) == (
        "========================================================================\n"
        "ALERT grain, ports\n"
        "Port strike halts grain exports from Odesa\n"
        "Example Wire · 2024-11-19 00:45 UTC\n"
        "https://wire.example/a/1187?src=rss&lang=en\n"
        "matched: port strike, grain\n"
        "also carried by: Other Wire\n"
        "Dockworkers walked out on Tuesday, stopping grain loading at three terminals.\n"
    )


def test_console_strips_terminal_control_sequences() -> None:
    text = render(make_alert(title="\x1b[2J\x1b[31mRED\x07 alert\r\nsecond line", summary="a\x9bb\tc"))
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[2] == "[2J[31mRED alert second line"
    assert lines[-1] == "ab c"


def test_console_summary_is_trimmed_at_a_word() -> None:
    last = render(make_alert(summary="grain " * 200)).splitlines()[-1]
    assert len(last) <= 300 and last.endswith("grain…")


def test_console_published_time_is_shown_in_utc() -> None:
    from datetime import timedelta, timezone

    kyiv = datetime(2024, 11, 19, 2, 45, tzinfo=timezone(timedelta(hours=2)))
    assert "Example Wire · 2024-11-19 00:45 UTC" in render(make_alert(published=kyiv))


# --- webhook body and its JSON Schema -----------------------------------------------------------------------

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "array": list, "object": dict, "integer": int, "number": (int, float), "boolean": bool,
}  # fmt: skip
_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_CHECKED = {"type", "const", "required", "properties", "items", "pattern", "minLength", "format"}


def schema_errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """A tiny JSON Schema checker for the keywords alert.schema.json uses (and only those: see below)."""
    if "const" in schema and value != schema["const"]:
        return [f"{path}: expected {schema['const']!r}"]
    kind = schema.get("type")
    if kind and (not isinstance(value, _TYPES[kind]) or (isinstance(value, bool) and kind != "boolean")):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    errors: list[str] = []
    if isinstance(value, dict):
        errors += [f"{path}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += schema_errors(sub, value[key], f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(schema["items"], item, f"{path}[{i}]")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or not re.search(schema.get("pattern", ""), value):
            errors.append(f"{path}: {value!r} does not fit minLength/pattern")
        if schema.get("format") == "date-time" and not re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value
        ):
            errors.append(f"{path}: {value!r} is not a UTC date-time")
    return errors


def keywords(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, sub in schema.items():
        if key == "properties":
            found |= set().union(*(keywords(s) for s in sub.values()))
        elif key == "items":
            found |= keywords(sub)
    return found


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded


def test_schema_uses_only_keywords_the_checker_understands(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert keywords(schema) <= _CHECKED | _ANNOTATIONS


def test_webhook_body_fits_the_schema(schema: dict[str, Any]) -> None:
    body = json.loads(encode(webhook_body(make_alert())))
    assert schema_errors(schema, body) == []
    assert set(body) == set(schema["properties"])  # everything sent is documented
    assert set(body["story"]) == set(schema["properties"]["story"]["properties"])
    assert body["detected_at"] == "2024-11-19T01:00:30Z"
    assert body["story"]["published"] == "2024-11-19T00:45:00Z"
    assert body["story"]["key"] == make_alert().story.key


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b.pop("id"),
        lambda b: b.update(type="wiremon.other"),
        lambda b: b.update(terms="grain"),
        lambda b: b["story"].update(published="2024-11-19 00:45"),
        lambda b: b.update(id="evt_1"),
        lambda b: b.update(watchlists=[1]),
    ],
)
def test_the_schema_checker_can_fail(schema: dict[str, Any], breakage: Any) -> None:
    body = json.loads(encode(webhook_body(make_alert())))
    breakage(body)
    assert schema_errors(schema, body) != []


def test_webhook_body_is_compact_utf8() -> None:
    raw = encode(webhook_body(make_alert(title="Café — 東京")))
    assert "Café — 東京".encode() in raw
    assert b'"type":"wiremon.alert","id":"msg_' in raw  # no spaces after separators


def test_bidi_overrides_are_dropped() -> None:
    assert render(make_alert(title="invoice\u202eexe.pdf")).splitlines()[2] == "invoiceexe.pdf"
