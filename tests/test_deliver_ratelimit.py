"""The per-destination token bucket, over fake time; and which limiter each configured sink gets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from monitor.clock import FakeClock
from monitor.deliver import RateLimit, build_sinks, limiter_of
from monitor.deliver.ratelimit import DEFAULT_RATES
from monitor.errors import ConfigError
from monitor.settings import load_settings
from monitor.settings.models import DestinationConfig


def send_greedily(limiter: RateLimit, clock: FakeClock, seconds: float) -> list[float]:
    """Send whenever allowed for `seconds` of fake time, as a deliverer would; returns the send times."""
    start = clock.now()
    sent: list[float] = []
    for _ in range(100_000):  # a delay too short to move the clock would spin here
        if (elapsed := (clock.now() - start).total_seconds()) >= seconds:
            return sent
        wait = limiter.delay(clock.now())
        if wait > 0:
            clock.advance(wait)
            assert limiter.delay(clock.now()) == 0.0  # waiting the delay out is always enough
            continue
        limiter.spend(clock.now())
        sent.append(elapsed)
    raise AssertionError("the limiter never let a send through")


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


def test_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimit(1.0, 3)
    for _ in range(3):
        assert limiter.delay(clock.now()) == 0.0
        limiter.spend(clock.now())
    assert limiter.delay(clock.now()) == pytest.approx(1.0)
    clock.advance(0.25)
    assert limiter.delay(clock.now()) == pytest.approx(0.75)
    clock.advance(0.75)
    assert limiter.delay(clock.now()) == 0.0


def test_delay_only_looks() -> None:
    clock = FakeClock()
    limiter = RateLimit(2.0, 1)
    assert [limiter.delay(clock.now()) for _ in range(5)] == [0.0] * 5
    limiter.spend(clock.now())
    assert limiter.delay(clock.now()) == limiter.delay(clock.now()) == pytest.approx(0.5)


def test_a_quiet_spell_refills_only_up_to_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimit(1.0, 3)
    limiter.spend(clock.now())
    clock.advance(3600)
    assert send_greedily(limiter, clock, 0.5) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(("kind", "window", "most"), [("discord", 2.0, 5), ("teams", 1.0, 4), ("teams", 30.0, 60)])
def test_type_defaults_stay_within_the_services_windows(kind: str, window: float, most: int) -> None:
    rate = DEFAULT_RATES[kind]
    assert rate is not None
    clock = FakeClock()
    times = send_greedily(RateLimit(*rate), clock, 300)
    assert most_in_any_window(times, window) <= most
    assert len(times) >= 300 * rate[0] * 0.99  # and it does not hold back more than it must


def test_sends_that_ignore_delay_run_into_debt() -> None:
    clock = FakeClock()
    limiter = RateLimit(1.0, 1)
    for _ in range(4):
        limiter.spend(clock.now())
    assert limiter.delay(clock.now()) == pytest.approx(4.0)


def test_a_clock_stepping_back_adds_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimit(1.0, 1)
    limiter.spend(clock.now())
    clock.advance(-30)
    assert limiter.delay(clock.now()) == pytest.approx(1.0)
    limiter.spend(clock.now())  # spent "in the past": the bucket's time does not go back with it
    clock.advance(30)
    assert limiter.delay(clock.now()) == pytest.approx(2.0)


def test_a_hold_from_the_destination() -> None:
    clock = FakeClock()
    limiter = RateLimit(10.0, 5)
    limiter.hold(clock.now(), 4.0)
    assert limiter.delay(clock.now()) == 4.0
    limiter.hold(clock.now(), 1.0)  # a shorter hold does not cut the longer one short
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        limiter.hold(clock.now(), bad)
    clock.advance(3)
    assert limiter.delay(clock.now()) == 1.0
    clock.advance(1)
    assert limiter.delay(clock.now()) == 0.0
    limiter.hold(clock.now(), 1e300)  # capped at a day; a timedelta that large would overflow
    assert limiter.delay(clock.now()) == 86_400.0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("nan"), 1), (float("inf"), 1), (1.0, 0)])
def test_a_limit_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RateLimit(rate, burst)


# --- which limiter each sink gets ---------------------------------------------------------------------------


def test_each_type_gets_its_default_limit_and_its_own_bucket() -> None:
    destinations = [
        DestinationConfig(name="s1", type="slack", url="https://hooks.slack.test/1"),
        DestinationConfig(name="s2", type="slack", url="https://hooks.slack.test/2"),
        DestinationConfig(name="d", type="discord", url="https://discord.test/api/webhooks/1/x"),
        DestinationConfig(name="t", type="teams", url="https://teams.test/workflows/1"),
        DestinationConfig(name="w", type="webhook", url="https://hooks.test/w"),
        DestinationConfig(name="c", type="console"),
    ]
    sinks = build_sinks(destinations, None, FakeClock(), io.StringIO())  # type: ignore[arg-type]
    rates = {}
    for name, sink in sinks.items():
        limiter = limiter_of(sink)
        rates[name] = None if limiter is None else (limiter.rate_per_s, limiter.burst)
    assert rates == {"s1": (1.0, 3), "s2": (1.0, 3), "d": (1.0, 3), "t": (1.9, 2), "w": None, "c": None}
    assert limiter_of(sinks["s1"]) is not limiter_of(sinks["s2"])


def test_rate_limit_in_the_config_overrides_the_default(tmp_path: Path) -> None:
    path = tmp_path / "wiremon.yaml"
    path.write_text(
        "destinations:\n"
        "  - {name: s, type: slack, url: 'https://hooks.slack.test/1', rate_limit: {per_second: 0.2}}\n"
        "  - {name: w, type: webhook, url: 'https://hooks.test/w', rate_limit: {per_second: 50, burst: 10}}\n"
    )
    sinks = build_sinks(load_settings(path).destinations, None, FakeClock(), io.StringIO())  # type: ignore[arg-type]
    slack, hook = limiter_of(sinks["s"]), limiter_of(sinks["w"])
    assert slack is not None and (slack.rate_per_s, slack.burst) == (0.2, 1)
    assert hook is not None and (hook.rate_per_s, hook.burst) == (50.0, 10)


@pytest.mark.parametrize(
    ("rate_limit", "message"),
    [
        ("{per_second: 0}", "greater than 0"),
        ("{per_second: .nan}", "finite number"),
        ("{per_second: 1, burst: 0}", "greater than or equal to 1"),
        ("{burst: 3}", "Field required"),
        ("{per_second: 1, per_minute: 3}", "unknown setting 'per_minute'"),
    ],
)
def test_a_bad_rate_limit_says_where(tmp_path: Path, rate_limit: str, message: str) -> None:
    path = tmp_path / "wiremon.yaml"
    path.write_text(f"destinations:\n  - name: c\n    type: console\n    rate_limit: {rate_limit}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    [problem] = caught.value.problems
    assert problem.field is not None and problem.field.startswith("destinations[0].rate_limit"), problem
    assert message in problem.message, problem.message


def test_a_sink_without_a_limiter_attribute_is_unlimited() -> None:
    class Fake:
        name = "fake"

    assert limiter_of(Fake()) is None
