"""One story, one alert: copies of a wire story across feeds, through the running daemon and a restart."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from monitor.clock import FakeClock
from monitor.config import load_all
from monitor.daemon import Daemon
from tests.wire import Item, Wire

LEDE = (
    "North Korean leader Kim Jong-un received Russia's visiting natural resources minister, Alexander Kozlov, in "
    "Pyongyang on Monday and called for more extensive and diversified cooperation between the two countries, "
    "the Korean Central News Agency said on Tuesday. Kim praised ties that have deepened in many fields since "
    "the two countries signed a new partnership treaty in June, which includes a mutual defence clause. Kozlov "
    "led a government delegation to the 11th meeting of the intergovernmental committee on trade, economy, "
    "science and technology."
)
ORIGINAL = Item("yna-1", "N. Korea's Kim calls for broader cooperation with Russia: KCNA", LEDE,
                link="https://wire.test/yonhap/kim-kozlov")  # fmt: skip
COPIES = [
    Item("ws-9", "UPDATE 1-North Korea's Kim urges wider Russia ties, state media says",
         "SEOUL, Nov 19 (Wire Service) - " + LEDE.rsplit(" Kozlov led", 1)[0] + " (Reporting by Desk)",
         link="https://wire.test/ws/kim-russia"),
    Item("pw-3", "Kim Jong Un hails 'new strategic level' of ties as Russian minister visits",
         "By Pyongyang Watch staff. " + LEDE + " (Pyongyang Watch)", link="https://wire.test/pw/kim-kozlov"),
]  # fmt: skip
OTHER = Item("yna-2", "N. Korea fires short-range ballistic missiles into East Sea",
             "North Korea launched several short-range ballistic missiles off its east coast on Tuesday, the Joint "
             "Chiefs of Staff said, days after leader Kim Jong-un met a Russian minister in Pyongyang.",
             link="https://wire.test/yonhap/srbm")  # fmt: skip

WATCHLISTS = """\
actors:
  kim_jong_un:
    names: ["Kim Jong-un"]
    fuzzy: true
  russia:
    names: ["Russia", "Russian*"]
watchlists:
  - name: dprk-russia
    query: 'kim_jong_un AND russia'
  - name: treaty-watch
    query: '"mutual defence" OR "new strategic level"'
"""


def write(tmp: Path, wire: Wire, window: str = "72h") -> Path:
    (tmp / "lists.yaml").write_text(WATCHLISTS, encoding="utf-8")
    feeds = "".join(f"  - {{url: '{wire.url('/feeds/' + n)}', name: {n}, interval: 1m}}\n" for n in ("yna", "ws", "pw"))
    hooks = "".join(f"  - {{name: {n}, type: webhook, url: '{wire.url('/hooks/' + n)}'}}\n" for n in ("a", "b"))
    path = tmp / "wiremon.yaml"
    path.write_text(
        f"feeds:\n{feeds}destinations:\n{hooks}watchlists: lists.yaml\nstore: w.db\nserver: {{listen: 'off'}}\n"
        f"dedup: {{window: {window}}}\n",
        encoding="utf-8",
    )
    return path


async def cycle(daemon: Daemon, clock: FakeClock) -> None:
    clock.set(max(clock.now(), *(s.next_poll for s in daemon.states.values())))
    await daemon.poll_due()
    await daemon.deliver_due()


def daemon_for(path: Path, clock: FakeClock) -> Daemon:
    settings, matcher = load_all(path)
    return Daemon(settings, matcher=matcher, clock=clock, console=StringIO())


def titles(wire: Wire, hook: str) -> list[str]:
    return [p.json()["story"]["title"] for p in wire.posts(hook)]


async def test_copies_across_three_feeds_alert_once_per_destination(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire)
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yna"] = [ORIGINAL, OTHER]
        await cycle(daemon, clock)
        wire.feeds["ws"] = [COPIES[0]]
        await cycle(daemon, clock)
    for hook in ("a", "b"):
        posts = [p.json() for p in wire.posts(hook)]
        first = [p for p in posts if p["story"]["title"] == ORIGINAL.title]
        assert len(first) == 1 and first[0]["watchlists"] == ["dprk-russia", "treaty-watch"]
        assert ORIGINAL.title in titles(wire, hook) and COPIES[0].title not in titles(wire, hook)
        assert OTHER.title in titles(wire, hook)  # a different story about the same people stays apart


async def test_later_copy_matching_a_new_watchlist_alerts_for_it_only(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire)
    trimmed = Item(ORIGINAL.guid, ORIGINAL.title, LEDE.split(" Kim praised", 1)[0], link=ORIGINAL.link)
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yna"] = [trimmed]  # matches dprk-russia only: no "mutual defence" in the trimmed lede
        await cycle(daemon, clock)
        wire.feeds["pw"] = [COPIES[1]]  # the full copy also matches treaty-watch
        await cycle(daemon, clock)
    posts = [p.json() for p in wire.posts("a")]
    assert [p["watchlists"] for p in posts] == [["dprk-russia"], ["treaty-watch"]]
    assert posts[0]["cluster"] == posts[1]["cluster"] and posts[0]["id"] != posts[1]["id"]
    assert posts[1]["also_carried_by"] == ["yna"]


async def test_restart_keeps_clusters_and_the_window_expires(tmp_path: Path, wire: Wire) -> None:
    clock = FakeClock()
    for name in ("yna", "ws", "pw"):
        wire.feeds[name] = []
    path = write(tmp_path, wire, window="6h")
    async with daemon_for(path, clock) as daemon:
        await cycle(daemon, clock)
        wire.feeds["yna"] = [ORIGINAL]
        await cycle(daemon, clock)
    async with daemon_for(path, clock) as daemon:  # the index is rebuilt from the store
        wire.feeds["ws"] = [COPIES[0]]
        await cycle(daemon, clock)
        assert len(wire.posts("a")) == 1
        clock.advance(7 * 3600)  # past the window: a copy now is news again
        wire.feeds["pw"] = [COPIES[1]]
        await cycle(daemon, clock)
    assert titles(wire, "a") == [ORIGINAL.title, COPIES[1].title]
