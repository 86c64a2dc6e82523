"""The `wiremon` command as a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wiremon(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_example_config_checks_clean() -> None:
    result = wiremon("check", "--config", str(ROOT / "config" / "wiremon.yaml"))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_broken_watchlist_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "desk.yaml").write_text(
        "actors:\n"
        "  kim:\n"
        "    names: [\"Kim Jong-un\"]\n"
        "watchlists:\n"
        "  - name: good\n"
        "    query: 'kim AND treaty'\n"
        "  - name: broken\n"
        "    query: 'kim AND (russia OR'\n",
        encoding="utf-8",
    )
    (tmp_path / "wiremon.yaml").write_text("watchlists: lists/\n", encoding="utf-8")
    result = wiremon("check", "--config", str(tmp_path / "wiremon.yaml"))
    assert result.returncode == 2
    assert "desk.yaml:8" in result.stderr
    assert "broken" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_destination_in_watchlist(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(
        "watchlists:\n  - name: x\n    query: treaty\n    destinations: [nowhere]\n", encoding="utf-8"
    )
    (tmp_path / "wiremon.yaml").write_text("watchlists: w.yaml\n", encoding="utf-8")
    result = wiremon("check", "--config", str(tmp_path / "wiremon.yaml"))
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "w.yaml:2" in result.stderr


def test_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "wiremon.yaml").write_text("feeds:\n  - url: https://x.test/rss\n    every: 5m\n", encoding="utf-8")
    result = wiremon("run", "--config", str(tmp_path / "wiremon.yaml"))
    assert result.returncode == 2
    assert "wiremon.yaml:3" in result.stderr and "every" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = wiremon("check", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr
