"""Message templates: checked when the config loads, filled with each destination's own escaping."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from monitor.clock import FakeClock
from monitor.deliver import SINK_TYPES, build_sinks
from monitor.deliver.console import render
from monitor.deliver.discord import discord_payload
from monitor.deliver.slack import slack_payload
from monitor.deliver.teams import teams_message
from monitor.deliver.template import FIELDS, PLAIN, Template
from monitor.errors import ConfigError
from monitor.settings import load_settings
from monitor.settings.models import DestinationConfig, RateLimitConfig
from tests.test_deliver_format import make_alert

DOCS = Path(__file__).resolve().parent.parent / "README.md"
EVERY = "{title}|{source}|{link}|{published}|{watchlists}|{terms}|{summary}"


def write(tmp: Path, text: str) -> Path:
    path = tmp / "wiremon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_and_the_renderer_know_the_same_placeholders() -> None:
    assert set(DestinationConfig.TEMPLATE_PLACEHOLDERS) == set(FIELDS)


def test_every_placeholder_is_filled() -> None:
    text = Template.parse(EVERY).render(make_alert(), PLAIN)
    assert text == (
        "Port strike halts grain exports from Odesa|Example Wire|https://wire.example/a/1187?src=rss&lang=en|"
        "2024-11-19 00:45 UTC|grain, ports|port strike, grain|"
        "Dockworkers walked out on Tuesday, stopping grain loading at three terminals."
    )


def test_literal_braces_and_repeats() -> None:
    template = Template.parse("{{wire}} {title} / {title}")
    assert template.render(make_alert(title="A"), PLAIN) == "{wire} A / A"


def test_feed_text_is_never_formatted_again() -> None:
    hostile = "{summary} {0} {title.__class__} {{x}} %s"
    text = Template.parse("{title}: {summary}").render(make_alert(title=hostile, summary="S"), PLAIN)
    assert text == f"{hostile}: S"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{source}: {headline}", "unknown placeholder {headline} in template; expected one of {title}, "),
        ("{title.__class__}", "unknown placeholder {title.__class__}"),
        ("{title[0]}", "unknown placeholder {title[0]}"),
        ("{0}", "unknown placeholder {0}"),
        ("{}", "unknown placeholder {}"),
        ("{title!r}", "placeholder {title} in template takes no format spec or conversion"),
        ("{title:>40}", "placeholder {title} in template takes no format spec or conversion"),
        ("{title", "template: expected '}' before end of string; write {{ and }} for literal braces"),
        ("a } b", "template: Single '}' encountered"),
        ("", "String should have at least 1 character"),
    ],
)
def test_a_bad_template_is_a_config_error_at_load_time(tmp_path: Path, template: str, message: str) -> None:
    quoted = template.replace("'", "''")
    path = write(tmp_path, f"destinations:\n  - name: chat\n    type: console\n    template: '{quoted}'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    [problem] = caught.value.problems
    assert problem.field == "destinations[0].template" and problem.line == 4, problem
    assert message in problem.message, problem.message


def test_a_webhook_takes_no_template(tmp_path: Path) -> None:
    text = "destinations:\n  - {name: h, type: webhook, url: 'https://x.test/h', template: '{title}'}\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="a webhook destination sends data, not text; remove template"):
        load_settings(path)


def test_templates_and_rate_limits_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "destinations:\n"
        "  - name: desk\n    type: discord\n    url: https://discord.test/api/webhooks/1/x\n"
        "    template: '**{source}**: {title} {link}'\n"
        "    rate_limit: {per_second: 0.5, burst: 2}\n"
        "  - name: room\n    type: teams\n    url: https://teams.test/workflows/1\n",
    )
    desk, room = load_settings(path).destinations
    assert desk.template == "**{source}**: {title} {link}"
    assert desk.rate_limit == RateLimitConfig(per_second=0.5, burst=2)
    assert room.template is None and room.rate_limit is None


def test_a_hand_built_config_with_a_bad_template_fails_when_sinks_are_built() -> None:
    bad = DestinationConfig.model_construct(name="c", type="console", template="{nope}")
    with pytest.raises(ConfigError, match=r"unknown placeholder \{nope\}"):
        build_sinks([bad], None, FakeClock(), io.StringIO())  # type: ignore[arg-type]


# --- each destination fills placeholders with its own escaping ----------------------------------------------

HOSTILE_TITLE = "<!channel> @everyone <@123> [x](https://evil) *b* & more"


def test_slack_fallback_uses_the_template_with_slack_escaping() -> None:
    alert = make_alert(title=HOSTILE_TITLE)
    text = slack_payload(alert, Template.parse("*{source}*: {title} <{link}|read>"))["text"]
    # the template's own markup stays; the feed's is entity-escaped
    assert text == (
        "*Example Wire*: &lt;!channel&gt; @everyone &lt;@123&gt; [x](https://evil) *b* &amp; more "
        "<https://wire.example/a/1187?src=rss&amp;lang=en|read>"
    )


def test_discord_content_uses_the_template_with_discord_escaping() -> None:
    payload = discord_payload(make_alert(title=HOSTILE_TITLE), Template.parse("**{source}**: {title} {link}"))
    assert payload["content"] == (
        "**Example Wire**: \\<!channel\\> @\u200beveryone \\<@\u200b123\\> \\[x\\]\\(https://evil\\) \\*b\\* & more "
        "https://wire.example/a/1187?src=rss&lang=en"
    )
    assert payload["allowed_mentions"] == {"parse": []}


def test_teams_summary_uses_the_template_with_teams_escaping() -> None:
    message = teams_message(make_alert(title=HOSTILE_TITLE), Template.parse("{source} · {title}"))
    assert message["summary"] == (
        "Example Wire · <\u2060!channel> @everyone <\u2060@123> [x]\u2060(https://evil) \\*b\\* & more"
    )
    assert message["attachments"][0]["content"]["fallbackText"] == message["summary"]


def test_console_headline_line_uses_the_template() -> None:
    block = render(make_alert(title="Strike\x1b[2J"), Template.parse(">> {watchlists} | {title} | {published}"))
    assert block.splitlines()[1] == ">> grain, ports | Strike[2J | 2024-11-19 00:45 UTC"


@pytest.mark.parametrize("kind", ["slack", "discord", "teams", "console"])
def test_a_long_template_is_clipped_without_breaking_escapes(kind: str) -> None:
    alert = replace(make_alert(title="&*<" * 400, summary="*_" * 400), terms=("@x",) * 50)
    template = Template.parse("{title} {summary} {terms} " * 5)
    short_text: dict[str, Callable[[], str]] = {
        "slack": lambda: slack_payload(alert, template)["text"],
        "discord": lambda: discord_payload(alert, template)["content"],
        "teams": lambda: teams_message(alert, template)["summary"],
        "console": lambda: render(alert, template).splitlines()[1],
    }
    text = short_text[kind]()
    assert 200 <= len(text) <= 500 and text.endswith("…")
    assert re.search(r"&(?!amp;|lt;|gt;)", text) is None or kind != "slack"  # no entity cut in half
    assert not re.sub(r"\\.", "", text).endswith("\\…")  # no backslash left to escape the ellipsis


async def test_build_sinks_gives_each_sink_its_template() -> None:
    stream = io.StringIO()
    dest = DestinationConfig(name="console", type="console", template="NEWS {source}: {title}")
    async with aiohttp.ClientSession() as session:
        sinks = build_sinks([dest], session, FakeClock(), stream)
        await sinks["console"].send(make_alert())
    assert stream.getvalue().splitlines()[1] == "NEWS Example Wire: Port strike halts grain exports from Odesa"


def test_a_link_that_is_not_http_fills_nothing() -> None:
    alert = make_alert(link="javascript:alert(1)")
    assert discord_payload(alert, Template.parse("{title} {link}"))["content"].endswith("Odesa")


# --- README.md documents what the code offers ---------------------------------------------------------


def test_destinations_reference_covers_every_type_setting_and_placeholder() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind in SINK_TYPES:
        assert f"`{kind}`" in text, kind
    for name in DestinationConfig.model_fields:
        assert f"`{name}`" in text, name
    for name in RateLimitConfig.model_fields:
        assert f"`{name}`" in text, name
    for name in FIELDS:
        assert f"`{{{name}}}`" in text, name
