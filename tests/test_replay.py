"""replay: JSON lines in, normalized and matched, one JSON result line out per story, with exact clusters."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from monitor.errors import WiremonError
from monitor.match import ActorSpec, WatchlistSpec, compile_matcher
from monitor.replay import ReplayInputError, parse_date, replay

NOW = datetime(2026, 2, 18, 12, tzinfo=UTC)
MATCHER = compile_matcher(
    [ActorSpec("kim_jong_un", ("Kim Jong-un",), fuzzy=88.0), ActorSpec("russia", ("Russia", "Kremlin"))],
    [
        WatchlistSpec("dprk-russia", "kim_jong_un AND (russia OR treaty)"),
        WatchlistSpec("any-russia", "russia"),
        WatchlistSpec("headline-only", "title:treaty"),
    ],
)


def story(story_id: str, title: str, summary: str = "", link: str = "", **more: str) -> str:
    data = {"id": story_id, "title": title, "summary": summary, "link": link, "source": "Wire", **more}
    data.setdefault("published", "Wed, 18 Feb 2026 06:05:26 +0530")
    return json.dumps(data)


def run(lines: list[str]) -> list[dict[str, object]]:
    out = io.StringIO()
    replay(MATCHER, lines, out, NOW)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_matches_sorted_and_html_is_stripped() -> None:
    [result] = run([story("s1", "<b>Kim</b> Jong&#8209;un signs treaty", "in the <i>Kremlin</i>")])
    assert result == {
        "id": "s1",
        "matches": ["any-russia", "dprk-russia", "headline-only"],
        "cluster": "s1",
        "duplicate_of": None,
    }


def test_content_is_searched_and_optional() -> None:
    results = run([story("a", "Talks", content="<p>Russia</p>"), story("b", "Talks again")])
    assert [r["matches"] for r in results] == [["any-russia"], []]


@pytest.mark.parametrize(
    ("lines", "clusters"),
    [
        # same link: one cluster, whatever the text
        ([story("a", "One", link="https://x/1"), story("b", "Two", link="https://x/1")], ["a", "a"]),
        # same folded title + summary, different links
        (
            [
                story("a", "Kim Jong-un visits", "Text.", "https://x/1"),
                story("b", "KIM JONG-UN VISITS", "TEXT.", "https://y/2"),
            ],
            ["a", "a"],
        ),
        # different links and texts
        ([story("a", "One", link="https://x/1"), story("b", "Two", link="https://x/2")], ["a", "b"]),
        # empty links never join stories
        ([story("a", "One"), story("b", "Two")], ["a", "b"]),
        # a headline alone is no identity: the shared link decides, and later copies follow it
        (
            [
                story("a", "One", link="https://x/1"),
                story("b", "Two", link="https://x/2"),
                story("c", "One", link="https://x/2"),
                story("d", "Three", link="https://x/2"),
            ],
            ["a", "b", "b", "b"],
        ),
    ],
)
def test_exact_identity_clusters(lines: list[str], clusters: list[str]) -> None:
    results = run(lines)
    assert [r["cluster"] for r in results] == clusters
    assert [r["duplicate_of"] for r in results] == [
        None if c == r["id"] else c for r, c in zip(results, clusters, strict=True)
    ]


def test_blank_lines_are_skipped() -> None:
    assert [r["id"] for r in run([story("a", "One"), "\n", story("b", "Two")])] == ["a", "b"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"title": "no id"}', "'id' must be a non-empty string"),
        ('{"id": 7, "title": "x"}', "'id' must be a non-empty string"),
        ('{"id": "x", "title": ["list"]}', "'title' must be a string"),
    ],
)
def test_bad_line_names_its_number(bad: str, message: str) -> None:
    with pytest.raises(ReplayInputError) as caught:
        run([story("a", "One"), bad])
    assert caught.value.line == 2
    assert str(caught.value).startswith("input line 2: ") and message in str(caught.value)
    assert isinstance(caught.value, WiremonError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 18 Feb 2026 06:05:26 +0530", datetime(2026, 2, 18, 0, 35, 26, tzinfo=UTC)),
        ("2026-02-18T06:05:26Z", datetime(2026, 2, 18, 6, 5, 26, tzinfo=UTC)),
        ("2026-02-18T06:05:26", None),  # no zone: not trusted
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_dates(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected
