"""Metrics: each method moves its series, registries stay apart, and the loop-lag monitor measures lateness."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.metrics import ALERT_OUTCOMES, POLL_OUTCOMES, LoopLagMonitor, Metrics

Labels = tuple[tuple[str, str], ...]


def scrape(metrics: Metrics) -> dict[tuple[str, Labels], float]:
    text = metrics.render().decode("utf-8")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_series_starts_at_zero_and_names_are_stable() -> None:
    seen = scrape(Metrics())
    for outcome in POLL_OUTCOMES:
        assert seen[("wiremon_polls_total", (("outcome", outcome),))] == 0
    for status in ("pending", "delivered", "dead"):
        assert seen[("wiremon_outbox_depth", (("status", status),))] == 0
    for name in (
        "wiremon_parse_errors_total", "wiremon_stories_total", "wiremon_duplicates_total",
        "wiremon_poll_seconds_count", "wiremon_delivery_seconds_count", "wiremon_event_loop_lag_seconds",
        "wiremon_event_loop_wakeup_lag_seconds_count",
    ):  # fmt: skip
        assert seen[(name, ())] == 0, name
    assert seen[("wiremon_config_reloads_total", (("result", "failed"),))] == 0


def test_each_method_moves_its_series() -> None:
    metrics = Metrics()
    metrics.poll("rate-limited", 0.02)
    metrics.parse_error()
    metrics.stories(5)
    metrics.stories(0)
    metrics.matched(["korea"])
    metrics.matched(["korea", "russia"])
    metrics.duplicates(2)
    for outcome in ALERT_OUTCOMES:
        metrics.alert("ops", outcome)
    metrics.alert("ops", "delivered", latency=90.0)
    metrics.outbox({"pending": 3, "dead": 1})
    metrics.config_reload(applied=True)
    metrics.config_reload(applied=False)
    metrics.loop_lag(0.2)
    seen = scrape(metrics)
    assert seen[("wiremon_polls_total", (("outcome", "rate-limited"),))] == 1
    assert seen[("wiremon_poll_seconds_bucket", (("le", "0.05"),))] == 1
    assert seen[("wiremon_parse_errors_total", ())] == 1
    assert seen[("wiremon_stories_total", ())] == 5
    assert seen[("wiremon_matches_total", (("watchlist", "korea"),))] == 2
    assert seen[("wiremon_matches_total", (("watchlist", "russia"),))] == 1
    assert seen[("wiremon_duplicates_total", ())] == 2
    assert seen[("wiremon_alerts_total", (("destination", "ops"), ("outcome", "delivered")))] == 2
    assert seen[("wiremon_alerts_total", (("destination", "ops"), ("outcome", "disabled")))] == 1
    assert seen[("wiremon_delivery_seconds_count", ())] == 1  # only a send that gives its latency
    assert seen[("wiremon_delivery_seconds_bucket", (("le", "60.0"),))] == 0
    assert seen[("wiremon_delivery_seconds_bucket", (("le", "300.0"),))] == 1
    assert seen[("wiremon_outbox_depth", (("status", "pending"),))] == 3
    assert seen[("wiremon_outbox_depth", (("status", "delivered"),))] == 0
    assert seen[("wiremon_config_reloads_total", (("result", "applied"),))] == 1
    assert seen[("wiremon_config_reloads_total", (("result", "failed"),))] == 1
    assert seen[("wiremon_event_loop_lag_seconds", ())] == 0.2


def test_outbox_gauge_drops_to_zero_when_a_status_empties() -> None:
    metrics = Metrics()
    metrics.outbox({"pending": 7})
    metrics.outbox({})
    assert scrape(metrics)[("wiremon_outbox_depth", (("status", "pending"),))] == 0


def test_two_daemons_keep_their_own_counts() -> None:
    one, other = Metrics(), Metrics()
    one.stories(3)
    assert scrape(one)[("wiremon_stories_total", ())] == 3
    assert scrape(other)[("wiremon_stories_total", ())] == 0


class SteppedTime:
    """A clock and a sleep: every sleep returns `late` seconds after it was due, and counts itself."""

    def __init__(self, late: float, wakeups: int) -> None:
        self.now = 100.0
        self.late = late
        self.wakeups = wakeups
        self.done = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if self.wakeups == 0:
            self.done.set()
            await asyncio.Event().wait()  # park until stopped
        self.wakeups -= 1
        self.now += seconds + self.late
        await asyncio.sleep(0)


async def test_loop_lag_monitor_reports_how_late_wakeups_fire() -> None:
    metrics = Metrics()
    time = SteppedTime(late=0.25, wakeups=3)
    monitor = LoopLagMonitor(metrics, interval=2.0, clock=time.clock, sleep=time.sleep)
    monitor.start()
    await asyncio.wait_for(time.done.wait(), 5)
    await monitor.stop()
    seen = scrape(metrics)
    assert seen[("wiremon_event_loop_lag_seconds", ())] == pytest.approx(0.25)
    assert seen[("wiremon_event_loop_wakeup_lag_seconds_count", ())] == 3
    assert seen[("wiremon_event_loop_wakeup_lag_seconds_bucket", (("le", "0.25"),))] == 3


async def test_loop_lag_monitor_on_the_real_loop_stops_cleanly() -> None:
    metrics = Metrics()
    woke = asyncio.Event()

    async def sleep(seconds: float) -> None:  # the loop's own sleep and clock, with a signal to wait on
        await asyncio.sleep(seconds)
        woke.set()

    monitor = LoopLagMonitor(metrics, interval=0.0, sleep=sleep)
    monitor.start()
    await asyncio.wait_for(woke.wait(), 5)
    await monitor.stop()
    await monitor.stop()  # twice is harmless
    seen = scrape(metrics)
    assert seen[("wiremon_event_loop_wakeup_lag_seconds_count", ())] >= 1
    assert 0 <= seen[("wiremon_event_loop_lag_seconds", ())] < 5
