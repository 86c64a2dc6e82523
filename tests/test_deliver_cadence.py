"""Retry schedules with jitter, digests and quiet hours: the pure rules, then over real HTTP and a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from monitor.clock import FakeClock
from monitor.deliver.cadence import STANDARD_RETRY, QuietHours, jitter, quiet_until, retry_delay, window_end
from monitor.deliver.message import MOST_LINES, console_text, digest_message
from monitor.errors import ConfigError
from monitor.settings import load_settings
from monitor.settings.models import DestinationConfig, QuietHoursConfig
from tests.deliver_scene import Receiver, Scene, alert, settings_of

START = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)  # on a 15-minute boundary
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = await Receiver().start()
    yield receiver
    await receiver.close()


async def scene_of(tmp_path: Path, session: aiohttp.ClientSession, *dests: DestinationConfig,
                   urgent: frozenset[str] = frozenset(), start: datetime = START) -> Scene:  # fmt: skip
    return await Scene(tmp_path / "w.db", session, FakeClock(start), settings_of(*dests), urgent).open()


# --- the rules ------------------------------------------------------------------------------------------


def test_jitter_is_fixed_per_key_and_within_ten_percent() -> None:
    factors = [jitter(f"msg_{n}#1") for n in range(2000)]
    assert all(0.9 <= f < 1.1 for f in factors)
    assert min(factors) < 0.92 and max(factors) > 1.08  # it really spreads
    assert jitter("msg_7#3") == jitter("msg_7#3")
    assert jitter("msg_7#3") != jitter("msg_7#4")


def test_retry_delay_follows_the_schedule_and_repeats_its_last_row() -> None:
    schedule = (5.0, 300.0, 1800.0)
    for attempts, planned in [(1, 5.0), (2, 300.0), (3, 1800.0), (4, 1800.0), (9, 1800.0)]:
        delay = retry_delay(attempts, None, schedule, "msg_a")
        assert planned * 0.9 <= delay <= planned * 1.1
    assert retry_delay(1, 3600.0, schedule, "msg_a") == 3600.0  # a longer Retry-After wins
    assert retry_delay(3, 1.0, schedule, "msg_a") >= 1800.0 * 0.9  # a shorter one does not
    assert STANDARD_RETRY[:4] == (5, 300, 1800, 7200) and STANDARD_RETRY[-1] == 86400


def test_quiet_hours_across_midnight_in_a_time_zone() -> None:
    quiet = QuietHours.of(QuietHoursConfig.model_validate({"from": "22:00", "to": "07:00", "timezone": "Europe/Paris"}))
    # 19 Nov 2024, Paris is UTC+1: quiet from 21:00 to 06:00 UTC
    assert quiet_until(datetime(2024, 11, 19, 20, 59, tzinfo=UTC), quiet) is None
    assert quiet_until(datetime(2024, 11, 19, 21, 0, tzinfo=UTC), quiet) == datetime(2024, 11, 20, 6, 0, tzinfo=UTC)
    assert quiet_until(datetime(2024, 11, 20, 3, 0, tzinfo=UTC), quiet) == datetime(2024, 11, 20, 6, 0, tzinfo=UTC)
    assert quiet_until(datetime(2024, 11, 20, 6, 0, tzinfo=UTC), quiet) is None
    # in July Paris is UTC+2: the span follows summer time
    assert quiet_until(datetime(2024, 7, 1, 4, 30, tzinfo=UTC), quiet) == datetime(2024, 7, 1, 5, 0, tzinfo=UTC)


def test_quiet_hours_within_one_day() -> None:
    quiet = QuietHours.of(QuietHoursConfig.model_validate({"from": "12:00", "to": "14:00"}))
    assert quiet_until(datetime(2024, 11, 19, 13, 0, tzinfo=UTC), quiet) == datetime(2024, 11, 19, 14, 0, tzinfo=UTC)
    assert quiet_until(datetime(2024, 11, 19, 23, 0, tzinfo=UTC), quiet) is None


def test_digest_windows_are_aligned_to_the_clock() -> None:
    assert window_end(START + timedelta(minutes=1), 900) == START + timedelta(minutes=15)
    assert window_end(START + timedelta(minutes=14, seconds=59), 900) == START + timedelta(minutes=15)
    assert window_end(START, 900) == START  # a moment on a boundary closes that window


def test_a_long_digest_is_cut_with_a_count() -> None:
    alerts = [alert(n, "desk", START) for n in range(MOST_LINES + 5)]
    text = console_text(digest_message("msg_x", "desk", alerts, START))
    assert "Story number 0" in text and f"Story number {MOST_LINES - 1}" in text
    assert f"Story number {MOST_LINES}\n" not in text and "… and 5 more" in text


# --- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected_field", "words"),
    [
        ("    retry: []", "destinations[0].retry", "1 to 30"),
        ("    retry: [5s, soon]", "destinations[0].retry[1]", "duration"),
        ("    digest: 10s", "destinations[0].digest", "1m to 1d"),
        ("    quiet_hours: {from: '25:00', to: '07:00'}", "destinations[0].quiet_hours.from", "HH:MM"),
        ("    quiet_hours: {from: '22:00', to: '07:00', timezone: Mars/Olympus}",
         "destinations[0].quiet_hours.timezone", "unknown time zone"),
        ("    quiet_hours: {from: '22:00', to: '22:00'}", "destinations[0].quiet_hours", "different"),
        ("    quiet_hours: {from: '22:00', until: '07:00'}", "destinations[0].quiet_hours.until", ""),
    ],
)  # fmt: skip
def test_bad_cadence_settings_are_located(tmp_path: Path, line: str, expected_field: str, words: str) -> None:
    path = tmp_path / "wiremon.yaml"
    path.write_text(f"destinations:\n  - name: desk\n    type: console\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    (problem,) = [p for p in caught.value.problems if p.field == expected_field]
    assert problem.line == 4 and problem.file == str(path)
    assert words in problem.message


def test_ops_must_name_a_configured_destination(tmp_path: Path) -> None:
    path = tmp_path / "wiremon.yaml"
    path.write_text("destinations:\n  - {name: desk, type: console}\nops: pager\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    problem = caught.value.problems[0]
    assert problem.field == "ops" and problem.line == 3 and "'pager'" in problem.message and "desk" in problem.message
    path.write_text("destinations:\n  - {name: desk, type: console}\nops: desk\n", encoding="utf-8")
    assert load_settings(path).ops == "desk"


# --- retries over HTTP ------------------------------------------------------------------------------------


async def test_the_nth_retry_falls_within_the_jittered_bounds_of_the_configured_schedule(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("hook", 503)
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), retry=[10, 60, 600])
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(alert(1, "hook", START))
    waits = []
    for _ in range(5):
        await scene.drain()
        (row,) = await scene.rows()
        waits.append((row.next_attempt - scene.clock.now()).total_seconds())
        scene.clock.set(row.next_attempt)
    assert len(receiver.to("hook")) == 5
    for wait, planned in zip(waits, [10, 60, 600, 600, 600], strict=True):
        assert planned * 0.9 <= wait <= planned * 1.1, (wait, planned)
    assert len(set(waits[2:])) == 3  # the same row, jittered differently on each attempt
    receiver.answer("hook", 200)
    assert await scene.drain() == 1
    await scene.close()


async def test_a_retry_after_longer_than_the_schedule_wins(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("hook", 429, Retry_After="3600")
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), retry=[10])
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(alert(1, "hook", START))
    await scene.drain()
    (row,) = await scene.rows()
    assert row.next_attempt == START + timedelta(seconds=3600)
    await scene.close()


# --- digests --------------------------------------------------------------------------------------------


async def test_a_digest_lists_one_windows_alerts_in_one_message_and_the_next_window_in_the_next(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), digest=900)
    scene = await scene_of(tmp_path, session, dest)
    first = [alert(n, "hook", START + timedelta(minutes=m)) for n, m in [(1, 1), (2, 5), (3, 9)]]
    await scene.queue(*first)
    scene.clock.set(START + timedelta(minutes=10))
    assert await scene.drain() == 0
    assert not receiver.to("hook")
    assert {r.next_attempt for r in await scene.rows()} == {START + timedelta(minutes=15)}  # held, durably
    second = [alert(n, "hook", START + timedelta(minutes=m)) for n, m in [(4, 16), (5, 22)]]
    await scene.queue(*second)
    scene.clock.set(START + timedelta(minutes=15))
    assert await scene.drain() == 3
    scene.clock.set(START + timedelta(minutes=30))
    assert await scene.drain() == 2
    assert await scene.drain() == 0
    posts = receiver.to("hook")
    assert len(posts) == 2
    bodies = [p.json() for p in posts]
    assert [b["type"] for b in bodies] == ["wiremon.digest", "wiremon.digest"]
    assert [[a["id"] for a in b["alerts"]] for b in bodies] == [[a.id for a in first], [a.id for a in second]]
    assert posts[0].headers["webhook-id"] == bodies[0]["id"] != bodies[1]["id"]
    assert [r.alert.id for r in await scene.rows("delivered")] == [a.id for a in first + second]
    await scene.close()


async def test_a_slack_digest_is_one_message_listing_the_headlines_in_order(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    dest = DestinationConfig(name="desk", type="slack", url=receiver.url("desk"), digest=900)
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(*(alert(n, "desk", START + timedelta(minutes=n)) for n in (1, 2, 3)))
    scene.clock.set(START + timedelta(minutes=15))
    assert await scene.drain() == 3
    (post,) = receiver.to("desk")
    body = post.json()
    assert "3 alerts" in body["text"]
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert [s.split("|")[1].split(">")[0] for s in sections] == ["Story number 1", "Story number 2", "Story number 3"]
    await scene.close()


async def test_a_restart_during_a_digest_window_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), digest=900)
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(alert(1, "hook", START + timedelta(minutes=2)))
    scene.clock.set(START + timedelta(minutes=3))
    await scene.drain()
    await scene.restart()
    await scene.queue(alert(2, "hook", START + timedelta(minutes=4)))
    scene.clock.set(START + timedelta(minutes=15))
    assert await scene.drain() == 2
    await scene.restart()
    scene.clock.set(START + timedelta(minutes=45))
    assert await scene.drain() == 0
    (post,) = receiver.to("hook")
    assert len(post.json()["alerts"]) == 2
    await scene.close()


async def test_a_failed_digest_is_retried_whole_under_the_same_id(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.answer("hook", 503)
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), digest=900, retry=[60])
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(alert(1, "hook", START + timedelta(minutes=1)), alert(2, "hook", START + timedelta(minutes=2)))
    scene.clock.set(START + timedelta(minutes=15))
    assert await scene.drain() == 0
    await scene.queue(alert(3, "hook", START + timedelta(minutes=16)))  # the next window's: not in this digest
    receiver.answer("hook", 200)
    scene.clock.set(START + timedelta(minutes=17))
    assert await scene.drain() == 2
    failed, sent = receiver.to("hook")
    assert failed.headers["webhook-id"] == sent.headers["webhook-id"]
    assert [a["story"]["id"] for a in sent.json()["alerts"]] == ["item-1", "item-2"]
    await scene.close()


# --- quiet hours ------------------------------------------------------------------------------------------

NIGHT = datetime(2024, 11, 19, 22, 30, tzinfo=UTC)  # 23:30 in Paris
MORNING = datetime(2024, 11, 20, 6, 0, tzinfo=UTC)  # 07:00 in Paris
QUIET = QuietHoursConfig.model_validate({"from": "22:00", "to": "07:00", "timezone": "Europe/Paris"})


async def test_quiet_hours_hold_a_normal_alert_let_an_urgent_one_through_and_release_at_their_end(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), quiet_hours=QUIET)
    scene = await scene_of(tmp_path, session, dest, urgent=frozenset({"sirens"}), start=NIGHT)
    calm = alert(1, "hook", NIGHT)
    loud = alert(2, "hook", NIGHT, watchlists=("sirens",))
    await scene.queue(calm, loud)
    assert await scene.drain() == 1
    assert [p.json()["id"] for p in receiver.to("hook")] == [loud.id]
    (held,) = await scene.rows()
    assert held.alert.id == calm.id and held.next_attempt == MORNING and held.attempts == 0
    scene.clock.set(MORNING - timedelta(seconds=1))
    assert await scene.drain() == 0
    await scene.restart()  # held in the store, not in memory
    scene.clock.set(MORNING)
    assert await scene.drain() == 1
    assert [p.json()["id"] for p in receiver.to("hook")] == [loud.id, calm.id]
    await scene.close()


async def test_a_nights_alerts_make_one_morning_digest_and_urgent_ones_skip_it(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    dest = DestinationConfig(name="hook", type="webhook", url=receiver.url("hook"), quiet_hours=QUIET, digest=900)
    scene = await scene_of(tmp_path, session, dest, urgent=frozenset({"sirens"}), start=NIGHT)
    night = [alert(n, "hook", NIGHT + timedelta(hours=h)) for n, h in [(1, 0), (2, 2), (3, 5)]]
    loud = alert(9, "hook", NIGHT + timedelta(hours=3), watchlists=("sirens",))
    for item in [*night[:2], loud, night[2]]:
        scene.clock.set(item.detected_at)
        await scene.queue(item)
        await scene.drain()
    assert [p.json()["type"] for p in receiver.to("hook")] == ["wiremon.alert"]  # the urgent one, at once
    scene.clock.set(MORNING)
    assert await scene.drain() == 3
    digest = receiver.to("hook")[-1].json()
    assert digest["type"] == "wiremon.digest" and [a["id"] for a in digest["alerts"]] == [a.id for a in night]
    await scene.close()


def test_quiet_hours_ending_in_a_daylight_saving_gap_end_in_the_future_or_not_at_all() -> None:
    quiet = QuietHours.of(QuietHoursConfig.model_validate({"from": "23:00", "to": "02:30", "timezone": "Europe/Paris"}))
    # 30 March 2025: Paris clocks jump from 02:00 to 03:00, so 02:30 never happens that night
    for minute in range(0, 24 * 60, 7):
        moment = datetime(2025, 3, 29, 12, 0, tzinfo=UTC) + timedelta(minutes=minute)
        end = quiet_until(moment, quiet)
        assert end is None or end > moment
    assert quiet_until(datetime(2025, 3, 30, 0, 30, tzinfo=UTC), quiet) is not None  # 01:30 in Paris
    assert quiet_until(datetime(2025, 3, 30, 1, 5, tzinfo=UTC), quiet) is None  # 03:05 in Paris


async def test_a_bot_token_slack_digest_is_posted_to_its_channel_outside_any_thread(
    tmp_path: Path, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    api = receiver.url("api").removesuffix("api")
    dest = DestinationConfig(name="desk", type="slack", token="xoxb-test", channel="C0123456789", api_url=api,
                             digest=900)  # fmt: skip
    receiver.answer("chat.postMessage", 200, '{"ok": true, "channel": "C0123456789", "ts": "1.000100"}',
                    Content_Type="application/json")  # fmt: skip
    scene = await scene_of(tmp_path, session, dest)
    await scene.queue(*(alert(n, "desk", START + timedelta(minutes=n)) for n in (1, 2)))
    scene.clock.set(START + timedelta(minutes=15))
    assert await scene.drain() == 2
    (post,) = receiver.to("chat.postMessage")
    body = post.json()
    assert post.headers["Authorization"] == "Bearer xoxb-test"
    assert body["channel"] == "C0123456789" and "thread_ts" not in body
    assert "2 alerts" in body["text"]
    await scene.close()


def test_a_watchlist_digest_applies_only_when_every_matched_watchlist_has_one() -> None:
    from monitor.deliver.cadence import Cadence, digest_period

    digests = {"hourly": 3600.0, "quarterly": 900.0}

    def period(watchlists: tuple[str, ...], cadence: Cadence | None = None) -> float | None:
        return digest_period(alert(1, "desk", START, watchlists), cadence or Cadence(), digests)

    assert period(("hourly",)) == 3600.0
    assert period(("hourly", "quarterly")) == 900.0  # the shortest wins
    assert period(("hourly", "breaking")) is None  # a watchlist that wants it now: now
    assert period(("breaking",), Cadence(digest=1800.0)) == 1800.0  # the destination's own
    assert period(("hourly",), Cadence(digest=1800.0)) == 1800.0  # the destination's when shorter
    assert period(("quarterly",), Cadence(digest=1800.0)) == 900.0
