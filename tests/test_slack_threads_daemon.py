"""Copies of a wire story across feeds, through the running daemon: one Slack message, the rest in its thread.

Feeds are served by the wire test server, Slack's Web API by another real server on 127.0.0.1, the store is a real
SQLite file and time a fake clock; a webhook destination beside it shows the unthreaded behaviour is unchanged.
"""

from __future__ import annotations

from pathlib import Path

from monitor.clock import FakeClock
from tests.slackweb import CHANNEL_ID, SlackWeb, formatted_logs
from tests.test_dedup_daemon import COPIES, LEDE, ORIGINAL, OTHER, WATCHLISTS, cycle, daemon_for
from tests.wire import Item, Wire

TOKEN = "xoxb-42-42-NeverLogMe"


def write(tmp: Path, wire: Wire, slack: SlackWeb) -> Path:
    (tmp / "lists.yaml").write_text(WATCHLISTS, encoding="utf-8")
    feeds = "".join(f"  - {{url: '{wire.url('/feeds/' + n)}', name: {n}, interval: 1m}}\n" for n in ("yna", "ws", "pw"))
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n{feeds}destinations:\n"
        f"  - {{name: desk, type: slack, token: '{TOKEN}', channel: {CHANNEL_ID}, api_url: '{slack.api_url}'}}\n"
        f"  - {{name: a, type: webhook, url: '{wire.url('/hooks/a')}'}}\n"
        "watchlists: lists.yaml\nstore: w.db\nserver: {listen: 'off'}\n",
        encoding="utf-8",
    )
    return path


async def test_three_feeds_carrying_one_story_make_one_post_and_two_replies(
    tmp_path: Path, wire: Wire, slack: SlackWeb
) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire, slack)
    with formatted_logs() as lines:
        await run_three_feeds(path, wire, clock)
    tops = slack.top_level()
    assert sorted(m["blocks"][0]["text"]["text"] for m in tops) == sorted([ORIGINAL.title, OTHER.title])
    [first] = [m for m in tops if m["blocks"][0]["text"]["text"] == ORIGINAL.title]
    replies = slack.replies()
    assert [(m["thread_ts"], m["channel"]) for m in replies] == [(first["ts"], CHANNEL_ID)] * 2
    assert [m["text"] for m in replies] == [
        f"Also carried by ws: {COPIES[0].title}",
        f"Also carried by pw: {COPIES[1].title}",
    ]
    # the webhook destination does not thread: one alert per story, as before
    assert sorted(p.json()["story"]["title"] for p in wire.posts("a")) == sorted([ORIGINAL.title, OTHER.title])
    text = "\n".join(lines)
    assert "alert.delivered" in text and "destination=desk" in text
    assert TOKEN not in text and "NeverLogMe" not in text


async def run_three_feeds(path: Path, wire: Wire, clock: FakeClock) -> None:
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)  # the first poll of each feed records, never alerts
        wire.feeds["yna"] = [ORIGINAL, OTHER]
        await cycle(daemon, clock)
        wire.feeds["ws"] = [COPIES[0]]
        await cycle(daemon, clock)
    async with daemon_for(path, clock) as daemon:  # a restart: the thread comes back from the store
        wire.feeds["pw"] = [COPIES[1]]
        await cycle(daemon, clock)
        await cycle(daemon, clock)  # nothing new: nothing more is sent


async def test_a_follow_up_replies_with_its_new_watchlist(tmp_path: Path, wire: Wire, slack: SlackWeb) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire, slack)
    trimmed = Item(ORIGINAL.guid, ORIGINAL.title, LEDE.split(" Kim praised", 1)[0], link=ORIGINAL.link)
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yna"] = [trimmed]  # dprk-russia only
        await cycle(daemon, clock)
        wire.feeds["pw"] = [COPIES[1]]  # also treaty-watch: a follow-up
        await cycle(daemon, clock)
    [top] = slack.top_level()
    [reply] = slack.replies()
    assert reply["thread_ts"] == top["ts"]
    assert reply["blocks"][0]["text"]["text"].startswith("Also carried by *pw*: <https://wire.test/pw/kim-kozlov|")
    matched = reply["blocks"][1]["text"]["text"]
    assert "Watchlists: treaty-watch" in matched and "*new strategic level*" in matched
    assert [p.json()["watchlists"] for p in wire.posts("a")] == [["dprk-russia"], ["treaty-watch"]]  # unchanged


async def test_copies_in_the_same_poll_as_the_original_reply_to_it(
    tmp_path: Path, wire: Wire, slack: SlackWeb
) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire, slack)
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yna"] = [ORIGINAL]
        wire.feeds["ws"] = [COPIES[0]]
        wire.feeds["pw"] = [COPIES[1]]
        await cycle(daemon, clock)
    [top] = slack.top_level()
    assert [m["thread_ts"] for m in slack.replies()] == [top["ts"]] * 2
    assert len(wire.posts("a")) == 1
