"""deploy/ checked statically (no container engine here): every command is a real wiremon invocation, every
config it ships validates, and systemd accepts the unit."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.cli import build_parser
from monitor.match import load_watchlists
from monitor.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def assert_cli(argv: list[str]) -> None:
    assert Path(argv[0]).name == "wiremon", argv
    args = build_parser().parse_args(argv[1:])
    assert args.command == "run"


def test_dockerfile_runs_wiremon_and_checks_health() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    cmd = json.loads(next(line for line in lines if line.startswith("CMD ")).removeprefix("CMD "))
    assert_cli(cmd)
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert any("/healthz" in line for line in lines)


def test_systemd_unit_runs_wiremon() -> None:
    unit = (DEPLOY / "wiremon.service").read_text(encoding="utf-8")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert_cli(shlex.split(exec_start.removeprefix("ExecStart=")))
    for hardening in ("DynamicUser=yes", "StateDirectory=wiremon", "ProtectSystem=strict", "NoNewPrivileges=yes"):
        assert hardening in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    wiremon = Path(sys.executable).with_name("wiremon")
    unit = (DEPLOY / "wiremon.service").read_text(encoding="utf-8")
    unit = unit.replace("/opt/wiremon/.venv/bin/wiremon", str(wiremon))
    (tmp_path / "wiremon.service").write_text(unit, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "wiremon.service")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_kubernetes_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text(encoding="utf-8")))
    kinds = {d["kind"]: d for d in docs}
    assert {"ConfigMap", "Secret", "Deployment", "PersistentVolumeClaim"} <= set(kinds)
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert_cli(container["args"])
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    settings = yaml.safe_load(maps["wiremon-config"]["wiremon.yaml"])
    settings["destinations"][0]["url"] = "https://hooks.slack.test/x"
    settings["server"]["token"] = "t"
    assert Settings.model_validate(settings).store == "/var/lib/wiremon/wiremon.db"
    (tmp_path / "korea-russia.yaml").write_text(maps["wiremon-watchlists"]["korea-russia.yaml"], encoding="utf-8")
    assert [w.name for w in load_watchlists(tmp_path).watchlists] == ["dprk-russia"]


def test_compose_file() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    service = compose["services"]["wiremon"]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "wiremon-state:/var/lib/wiremon" in service["volumes"]
    assert service["env_file"] == "wiremon.env"
    assert (DEPLOY / "wiremon.env.example").is_file()
