"""What the Discord and Teams sinks make of an alert, without the network: shapes, limits, inert feed text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from monitor.deliver.discord import discord_payload, embed_size
from monitor.deliver.teams import MESSAGE_BUDGET, teams_message
from tests.test_deliver_format import make_alert

HOSTILE = [
    "@everyone the port is closed",
    "@here drill",
    "ping <@123> and <@!124>",
    "role <@&456> and channel <#789>",
    "read [x](https://evil.example/steal) now",
    "[x]( https://evil.example ) and ![i](https://evil.example/i.png)",
    "**bold** __under__ ~~gone~~ ||spoiler|| `code` *it*",
    "<at>Someone</at> and <https://evil.example>",
    "emoji <:pepe:123456> time <t:1700000000:R>",
]
LEADING = ["# Big news", "### smaller", "-# subtext", "- a list", "+ a list", "1. a list", "> a quote"]


# --- Discord ------------------------------------------------------------------------------------------------


def discord_texts(payload: dict[str, Any]) -> Iterator[str]:
    """Every string Discord renders as markdown (footers are plain text and never parsed)."""
    yield payload["content"]
    for embed in payload["embeds"]:
        yield embed["title"]
        yield embed.get("description", "")
        for f in embed["fields"]:
            yield re.sub(r"\*\*((?:\\.|[^*\\])+)\*\*", r"\1", f["value"])  # our own bold markers


def assert_discord_inert(text: str) -> None:
    """Once every backslash escape is taken out, no markdown or mention syntax is left."""
    bare = re.sub(r"\\.", "", text, flags=re.S)
    assert not set("\\*_~`|<>[]()") & set(bare), text
    assert "@everyone" not in text and "@here" not in text, text
    assert not re.match(r"\s*(#|-|\+|\d+\.|>)", text), text  # a block marker at the start, unescaped


def assert_within_discord_limits(payload: dict[str, Any]) -> None:
    assert payload["allowed_mentions"] == {"parse": []}
    assert 1 <= len(payload["content"]) <= 2000
    [embed] = payload["embeds"]
    assert 1 <= len(embed["title"]) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert 1 <= len(embed["footer"]["text"]) <= 2048
    assert len(embed["fields"]) <= 25
    for f in embed["fields"]:
        assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
    total = len(embed["title"]) + len(embed.get("description", "")) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total == embed_size(embed) <= 6000
    for text in discord_texts(payload):  # a cut never leaves a lone backslash that would escape the "…"
        assert not re.sub(r"\\.", "", text).endswith("\\"), text


def test_discord_message_shape() -> None:
    payload = discord_payload(make_alert())
    assert payload["content"] == "ALERT grain, ports: Port strike halts grain exports from Odesa"
    assert payload["allowed_mentions"] == {"parse": []}
    [embed] = payload["embeds"]
    assert embed["title"] == "Port strike halts grain exports from Odesa"
    assert embed["url"] == "https://wire.example/a/1187?src=rss&lang=en"
    assert embed["description"].startswith("Dockworkers walked out on Tuesday")
    assert embed["footer"] == {"text": "Example Wire"}
    assert embed["timestamp"] == "2024-11-19T00:45:00+00:00"
    assert embed["fields"] == [
        {"name": "Matched", "value": "**port strike**, **grain**", "inline": False},
        {"name": "Watchlists", "value": "grain, ports", "inline": True},
        {"name": "Also carried by", "value": "Other Wire", "inline": True},
    ]
    assert_within_discord_limits(payload)


@pytest.mark.parametrize("hostile", HOSTILE + LEADING)
def test_discord_feed_text_renders_inert(hostile: str) -> None:
    alert = make_alert(title=hostile, summary=hostile, source=hostile, link="https://wire.example/a/9")
    alert = replace(alert, terms=(hostile,), watchlists=(hostile,), also_carried_by=(hostile,))
    payload = discord_payload(alert)
    for text in discord_texts(payload):
        assert_discord_inert(text)
    assert payload["embeds"][0]["url"] == "https://wire.example/a/9"  # the one link is ours
    assert payload["allowed_mentions"] == {"parse": []}
    assert_within_discord_limits(payload)


def test_discord_escapes_keep_the_text_readable() -> None:
    title = discord_payload(make_alert(title="@everyone <@&456> [x](https://evil)"))["embeds"][0]["title"]
    shown = re.sub(r"\\(.)", r"\1", title).replace("\u200b", "")  # what a reader sees
    assert shown == "@everyone <@&456> [x](https://evil)"


def test_discord_ten_thousand_character_summary_and_long_title() -> None:
    payload = discord_payload(make_alert(summary="word " * 2000, title="headline " * 45))
    embed = payload["embeds"][0]
    assert 4000 < len(embed["description"]) <= 4096 and embed["description"].endswith("word…")
    assert len(embed["title"]) <= 256 and embed["title"].endswith("headline…")
    assert_within_discord_limits(payload)


@pytest.mark.parametrize("unit", ["\\", "*", "a_", "@", "x> ", "é*"])
def test_discord_cuts_never_split_an_escape(unit: str) -> None:
    alert = make_alert(summary=unit * (10_000 // len(unit)), title=unit * 400, source=unit * 400)
    alert = replace(alert, terms=(unit * 300,), also_carried_by=(unit * 300,) * 9)
    assert_within_discord_limits(discord_payload(alert))


def test_discord_everything_oversized_stays_within_the_embed_total() -> None:
    alert = make_alert(title="T" * 10_000, summary="S*" * 10_000, source="W" * 10_000)
    alert = replace(
        alert,
        terms=tuple(f"term{i}-" + "t" * 150 for i in range(500)),
        watchlists=tuple(f"list{i}" for i in range(500)),
        also_carried_by=tuple(f"Wire {i}" for i in range(500)),
    )
    payload = discord_payload(alert)
    assert_within_discord_limits(payload)
    fields = {f["name"]: f["value"] for f in payload["embeds"][0]["fields"]}
    assert re.search(r"\*\*, \d+ more$", fields["Matched"])
    assert fields["Also carried by"] == "Wire 0, Wire 1, Wire 2, Wire 3, Wire 4, 495 more"
    assert len(payload["embeds"][0]["description"]) > 1000  # the summary gets what is left, not nothing


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("https://evil.example/x)](https://y", "https://evil.example/x%29%5D%28https://y"),
        ("https://wire.example/a b/é_1", "https://wire.example/a%20b/%C3%A9_1"),
        ("javascript:alert(1)", None),
        ("http://[broken/ipv6", None),
        ("https://wire.example/" + "x" * 3000, None),
    ],
)
def test_discord_story_links_are_encoded_or_dropped(link: str, url: str | None) -> None:
    assert discord_payload(make_alert(link=link))["embeds"][0].get("url") == url


def test_discord_without_summary_or_copies() -> None:
    payload = discord_payload(replace(make_alert(title=" ", summary=""), also_carried_by=()))
    embed = payload["embeds"][0]
    assert "description" not in embed and embed["title"] == "(untitled)"
    assert [f["name"] for f in embed["fields"]] == ["Matched", "Watchlists"]
    assert_within_discord_limits(payload)


# --- Teams --------------------------------------------------------------------------------------------------


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachment["content"]
    return card


def teams_texts(message: dict[str, Any]) -> Iterator[str]:
    """Every string Teams may read as markdown."""
    card = card_of(message)
    yield message["summary"]
    yield card["fallbackText"]
    for element in card["body"]:
        if element["type"] == "TextBlock":
            yield element["text"]
        else:
            yield from (f"{fact['title']} {fact['value']}" for fact in element["facts"])


def assert_teams_inert(text: str) -> None:
    assert "](" not in text and "]:" not in text, text  # no inline link, no link definition
    assert not re.search(r"<[A-Za-z/!]", text), text  # no <at>, no autolink, no tag
    bare = re.sub(r"\*\*((?:\\.|[^*\\])+)\*\*", r"\1", text)  # our own bold markers
    assert not set("*_~`") & set(re.sub(r"\\.", "", bare)), text


def test_teams_message_shape() -> None:
    message = teams_message(make_alert())
    assert message["type"] == "message"
    assert message["summary"] == "ALERT grain, ports: Port strike halts grain exports from Odesa"
    card = card_of(message)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    headline, facts, summary = card["body"]
    assert headline == {
        "type": "TextBlock", "text": "Port strike halts grain exports from Odesa", "wrap": True,
        "weight": "Bolder", "size": "Medium",
    }  # fmt: skip
    assert facts["type"] == "FactSet" and facts["facts"] == [
        {"title": "Source", "value": "Example Wire"},
        {"title": "Published", "value": "2024-11-19 00:45 UTC"},
        {"title": "Watchlists", "value": "grain, ports"},
        {"title": "Matched", "value": "**port strike**, **grain**"},
        {"title": "Also carried by", "value": "Other Wire"},
    ]
    assert summary["type"] == "TextBlock" and summary["wrap"] is True
    assert summary["text"].startswith("Dockworkers walked out")
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Read the story", "url": "https://wire.example/a/1187?src=rss&lang=en"}
    ]


@pytest.mark.parametrize("hostile", HOSTILE + LEADING)
def test_teams_feed_text_renders_inert(hostile: str) -> None:
    alert = make_alert(title=hostile, summary=hostile, source=hostile, link="https://wire.example/a/9")
    alert = replace(alert, terms=(hostile,), watchlists=(hostile,), also_carried_by=(hostile,))
    message = teams_message(alert)
    for text in teams_texts(message):
        assert_teams_inert(text)
    assert [a["url"] for a in card_of(message)["actions"]] == ["https://wire.example/a/9"]


def test_teams_text_still_reads_as_written() -> None:
    text = card_of(teams_message(make_alert(title="[x](https://evil) <at>Bob</at> a*b")))["body"][0]["text"]
    assert re.sub(r"\\(.)", r"\1", text).replace("\u2060", "") == "[x](https://evil) <at>Bob</at> a*b"


@pytest.mark.parametrize(
    "changes",
    [
        {"summary": "word " * 2000, "title": "headline " * 45},
        {"summary": "東京*" * 5000, "title": "東*" * 5000, "source": "\\" * 5000},
        {"summary": "\\" * 10_000},
    ],
)
def test_teams_card_stays_under_28_kb(changes: dict[str, str]) -> None:
    alert = replace(
        make_alert(**changes),
        terms=tuple(f"条件{i}*" * 30 for i in range(500)),
        watchlists=tuple(f"list_{i}" * 20 for i in range(500)),
        also_carried_by=tuple(f"Wire {i}" for i in range(500)),
    )
    message = teams_message(alert)
    size = len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= MESSAGE_BUDGET < 28 * 1024
    for text in teams_texts(message):
        assert not re.sub(r"\\.", "", text).endswith("\\"), text
    assert card_of(message)["body"][0]["text"]  # the headline always survives


def test_teams_keeps_a_long_summary_when_it_fits() -> None:
    card = card_of(teams_message(make_alert(summary="word " * 2000, title="headline " * 45)))
    assert card["body"][0]["text"] == ("headline " * 45).strip()  # 400 characters: under the 500 kept
    assert 3900 < len(card["body"][2]["text"]) <= 4000 and card["body"][2]["text"].endswith("word…")


def test_teams_without_a_web_link_has_no_button() -> None:
    card = card_of(teams_message(make_alert(link="javascript:alert(1)")))
    assert "actions" not in card


def test_teams_lists_copies_and_counts_the_rest() -> None:
    alert = replace(make_alert(), also_carried_by=("A", "B", "C", "D", "E", "F", "G"))
    facts = card_of(teams_message(alert))["body"][1]["facts"]
    assert facts[-1] == {"title": "Also carried by", "value": "A, B, C, D, E, 2 more"}
    no_copies = card_of(teams_message(replace(alert, also_carried_by=())))["body"][1]["facts"]
    assert [f["title"] for f in no_copies] == ["Source", "Published", "Watchlists", "Matched"]
