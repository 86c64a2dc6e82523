from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import load_settings, parse_duration


def write(tmp: Path, text: str) -> Path:
    path = tmp / "wiremon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "seconds"), [("60s", 60), ("5m", 300), ("1h", 3600), ("2d", 172800), (90, 90), ("1.5m", 90)]
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["5x", "", "-1m", 0, True, "m"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_full_config_loads_with_env_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_URL", "https://hooks.slack.test/services/T/B/X")
    path = write(
        tmp_path,
        "feeds:\n  - url: https://wire.test/rss\n    interval: 2m\n"
        "destinations:\n  - name: newsroom\n    type: slack\n    url: ${SLACK_URL}\n"
        "watchlists: lists/\nstore: data/w.db\n",
    )
    settings = load_settings(path)
    assert settings.feeds[0].interval == 120
    assert settings.feeds[0].name == "wire.test"
    assert settings.destinations[0].url == "https://hooks.slack.test/services/T/B/X"
    assert settings.watchlists_path == tmp_path.resolve() / "lists"
    assert settings.store_path == tmp_path.resolve() / "data/w.db"


def test_no_destinations_means_console(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "feeds: []\n"))
    assert [d.type for d in settings.effective_destinations()] == ["console"]


def test_every_problem_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds:\n"
        "  - url: https://wire.test/rss\n"
        "    intervl: 5m\n"
        "  - url: ftp://wire.test/rss\n"
        "destinations:\n"
        "  - name: hook\n"
        "    type: webhook\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (3, "feeds[0].intervl") in found
    assert (4, "feeds[1].url") in found
    assert any(p.field == "destinations[0]" and "needs a url" in p.message for p in caught.value.problems)
    assert all(p.file == str(path) for p in caught.value.problems)


def test_unset_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIREMON_TEST_UNSET", raising=False)
    path = write(tmp_path, "destinations:\n  - name: a\n    type: slack\n    url: ${WIREMON_TEST_UNSET}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    problem = caught.value.problems[0]
    assert "WIREMON_TEST_UNSET" in problem.message and problem.line == 4


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "feeds:\n  - url: [unclosed\n"))
    assert caught.value.problems[0].line is not None


def test_duplicate_keys_and_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "store: a.db\nstore: b.db\n"))
    assert "duplicate key" in caught.value.problems[0].message and caught.value.problems[0].line == 2
    text = "destinations:\n  - {name: a, type: console}\n  - {name: a, type: console}\n"
    with pytest.raises(ConfigError, match="duplicate destination name"):
        load_settings(write(tmp_path, text))


def test_bad_secret(tmp_path: Path) -> None:
    text = "destinations:\n  - {name: a, type: webhook, url: 'https://x.test/h', secret: 'whsec_not base64!'}\n"
    with pytest.raises(ConfigError, match="base64"):
        load_settings(write(tmp_path, text))
