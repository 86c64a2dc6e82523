"""`wiremon match` as a user runs it: a feed file, stdin, JSON stories, a URL, text and JSON output."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.explain_cli import run_match, snippet
from tests.wire import Item, Wire, rss

ROOT = Path(__file__).resolve().parents[1]
WATCHLISTS = """\
actors:
  kim_jong_un:
    names: ["Kim Jong-un", "Kim Chong-un"]
    fuzzy: true
  russia:
    names: ["Russia", "Russian*", "Moscow", "Kremlin"]
watchlists:
  - name: dprk-russia
    query: 'kim_jong_un AND (russia OR treaty)'
  - name: dprk-courts
    query: 'kim_jong_un AND NOT lawsuit*'
  - name: treaty-talk
    query: 'kim_jong_un NEAR/3 treaty'
  - name: games
    query: 'title:Olympic* AND russia'
  - name: crypto
    query: 'bitcoin OR ethereum'
"""
SEED = Item(
    guid="yonhap-1",
    title="Kim Jong-un meets Russia's natural resources minister",
    summary="<p>North Korean leader <b>Kim Jong-un</b> has met with Russia’s visiting natural resources minister, "
    "months after the conclusion of a new treaty between the countries. A lawsuit was not mentioned.</p>",
    link="https://yonhap.test/1",
    published=datetime(2026, 2, 18, 9, tzinfo=UTC),
)
OTHER = Item(guid="yonhap-2", title="Olympic committee meets in Lausanne", summary="Russia is not invited.")


def wiremon(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    path = tmp_path / "watchlists.yaml"
    path.write_text(WATCHLISTS, encoding="utf-8")
    return path


def test_feed_file_explains_every_entry(tmp_path: Path, lists: Path) -> None:
    feed = tmp_path / "yonhap.xml"
    feed.write_bytes(rss("Yonhap", [SEED, OTHER]))
    result = wiremon("match", "--watchlists", str(lists), str(feed))
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("\n\n")
    assert first.splitlines()[0] == "Kim Jong-un meets Russia's natural resources minister"
    assert "id yonhap-1 · from Yonhap · 1 of 5 watchlists match" in first
    assert "  MATCH dprk-russia: kim_jong_un AND (russia OR treaty)" in first
    assert "      kim_jong_un — title: 'Kim Jong-un'; summary: 'Kim Jong-un'" in first
    assert "      title: [[Kim Jong-un]] meets [[Russia]]'s natural resources minister" in first
    assert "  NEAR MISS dprk-courts: kim_jong_un AND NOT lawsuit*" in first
    assert "      excluded by NOT lawsuit* (summary: 'lawsuit')" in first
    assert "      NEAR/3: 15 words apart in summary" in first
    assert "crypto" not in first  # no term present: listed only with --all
    assert "  MATCH games: title:Olympic* AND russia" in second
    assert "  NEAR MISS dprk-russia: kim_jong_un AND (russia OR treaty)\n      missing: kim_jong_un" in second


def test_all_lists_watchlists_without_any_term(tmp_path: Path, lists: Path) -> None:
    feed = tmp_path / "yonhap.xml"
    feed.write_bytes(rss("Yonhap", [SEED]))
    result = wiremon("match", "--watchlists", str(lists), "--all", str(feed))
    assert "  no match crypto: bitcoin OR ethereum\n      none of the terms it looks for is present" in result.stdout


def test_stdin_plain_text_is_title_then_summary(lists: Path) -> None:
    text = "Olympic ban upheld\nKim Jong-nam was seen in Moscow, far from any Olympic venue.\n"
    result = wiremon("match", "--watchlists", str(lists), "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Olympic ban upheld"
    assert "  NEAR MISS dprk-russia" in result.stdout
    assert "      fuzzy: 'Kim Jong-nam' scored 87.0 < 88 against 'kim jong un' (summary)" in result.stdout
    assert "  MATCH games: title:Olympic* AND russia" in result.stdout


def test_stdin_scope_near_miss(lists: Path) -> None:
    result = wiremon("match", "--watchlists", str(lists), "-", stdin="Russia banned\nThe Olympic committee met.")
    assert "  NEAR MISS games: title:Olympic* AND russia\n      title:Olympic* — found only in summary" in result.stdout


def test_stdin_feed_and_jsonl(lists: Path) -> None:
    feed = wiremon("match", "--watchlists", str(lists), "-", stdin=rss("Yonhap", [SEED]).decode())
    assert "  MATCH dprk-russia" in feed.stdout
    items = [{"id": "jf-1", "title": SEED.title, "content_text": "The treaty holds."}]
    json_feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "items": items}
    parsed = wiremon("match", "--watchlists", str(lists), "--json", "-", stdin=json.dumps(json_feed))
    assert json.loads(parsed.stdout)["id"] == "jf-1"
    lines = "\n".join(json.dumps({"id": f"j{n}", "title": SEED.title, "source": "wire"}) for n in range(2))
    jsonl = wiremon("match", "--watchlists", str(lists), "--json", "-", stdin=lines)
    assert [json.loads(line)["id"] for line in jsonl.stdout.splitlines()] == ["j0", "j1"]


def test_json_shape(lists: Path) -> None:
    story = {"title": SEED.title, "summary": SEED.summary, "link": "https://yonhap.test/1"}
    result = wiremon("match", "--watchlists", str(lists), "--json", "-", stdin=json.dumps(story, indent=2))
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    out = json.loads(line)
    assert set(out) == {"id", "title", "source", "link", "matches", "watchlists"}
    assert out["id"] == "story 1" and out["matches"] == ["dprk-russia"]
    by_name = {w["name"]: w for w in out["watchlists"]}
    assert set(by_name) == {"dprk-russia", "dprk-courts", "treaty-talk", "games"}  # not crypto: nothing present
    match = by_name["dprk-russia"]
    assert set(match) == {"name", "query", "status", "terms", "hits", "proximity", "snippets", "reasons"}
    assert match["status"] == "match" and match["terms"] == ["Kim Jong-un", "Russia", "treaty"]
    assert match["hits"][0] == {"term": "kim_jong_un", "field": "title", "text": "Kim Jong-un", "start": 0, "end": 11}
    assert match["snippets"]["title"] == "[[Kim Jong-un]] meets [[Russia]]'s natural resources minister"
    assert by_name["dprk-courts"]["reasons"] == [
        {
            "kind": "not",
            "message": "excluded by NOT lawsuit* (summary: 'lawsuit')",
            "operand": "NOT lawsuit*",
            "fields": ["summary"],
            "found": ["lawsuit"],
        }
    ]
    near = by_name["treaty-talk"]["reasons"][0]
    assert (near["kind"], near["gap"], near["fields"]) == ("near", 15, ["summary"])


def test_errors_are_reported_without_a_traceback(tmp_path: Path, lists: Path) -> None:
    missing = wiremon("match", "--watchlists", str(lists), str(tmp_path / "nope.xml"))
    assert missing.returncode == 1 and "nope.xml" in missing.stderr and "Traceback" not in missing.stderr
    bad = wiremon("match", "--watchlists", str(lists), "-", stdin='{"id": "a"}\n{"id": 3}\n')
    assert bad.returncode == 1 and "input line 2" in bad.stderr


async def test_url_is_fetched_and_parsed(wire: Wire, lists: Path) -> None:
    wire.feeds["yonhap"] = [SEED]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        "match",
        "--watchlists",
        str(lists),
        wire.url("/feeds/yonhap"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "  MATCH dprk-russia" in out.decode()
    assert [name for name, _ in wire.feed_requests] == ["yonhap"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        "match",
        "--watchlists",
        str(lists),
        wire.url("/feeds/absent"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "404" in err.decode() and "Traceback" not in err.decode()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bold_on_a_terminal_unless_no_color(tmp_path: Path, lists: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    feed = tmp_path / "yonhap.xml"
    feed.write_bytes(rss("Yonhap", [SEED]))
    args = argparse.Namespace(input=str(feed), watchlists=lists, config=None, all=False, json=False, no_color=False)
    out = Terminal()
    run_match(args, out)
    assert "\x1b[1mKim Jong-un\x1b[0m meets" in out.getvalue() and "[[" not in out.getvalue()
    out = Terminal()
    run_match(argparse.Namespace(**{**vars(args), "no_color": True}), out)
    assert "[[Kim Jong-un]] meets" in out.getvalue() and "\x1b[" not in out.getvalue()


def test_snippet_quotes_passages_around_distant_matches() -> None:
    text = " ".join(f"w{i}" for i in range(200))
    first, last = text.index("w10 "), text.index("w195")
    got = snippet(text, [(first, first + 3), (last, last + 4)], ("[[", "]]"))
    assert got.startswith("w0 ") and "[[w10]]" in got and "[[w195]]" in got
    assert "… …" in got and not got.endswith("…") and "w100" not in got
