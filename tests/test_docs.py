"""The README is part of the product: every setting documented, its code samples true."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from monitor.deliver.signing import webhook_headers
from monitor.settings.models import DestinationConfig, FeedConfig, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
INTERNAL = {"base_dir"}  # set by the loader, not by users


@pytest.mark.parametrize("model", [Settings, FeedConfig, DestinationConfig])
def test_every_setting_is_documented(model: type) -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", README, flags=re.MULTILINE))
    missing = set(model.model_fields) - INTERNAL - documented
    assert not missing, f"settings missing from README.md tables: {sorted(missing)}"


def test_quick_start_commands_exist() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./wiremon demo", ".ci/run"]
    for command in commands:
        path = ROOT / command.split()[0]
        assert path.is_file() and os.access(path, os.X_OK), command


def test_readme_receiver_snippet_verifies_a_real_signature() -> None:
    section = README.split("### Verifying a signed webhook", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    verify = namespace["verify"]
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"id": "msg_1", "type": "wiremon.alert"}'
    headers = webhook_headers("msg_1", int(time.time()), body, secret)
    assert verify(secret, headers, body) == {"id": "msg_1", "type": "wiremon.alert"}  # type: ignore[operator]
    with pytest.raises(ValueError):
        verify(secret, headers, body + b" ")  # type: ignore[operator]


def test_every_metric_is_documented() -> None:
    from monitor.metrics import Metrics

    names = {m.name for m in Metrics().registry.collect()}  # counters without their _total suffix
    rows = set(re.findall(r"^\| `(wiremon_[a-z_]+)` \|", README, flags=re.MULTILINE))
    missing = {n for n in names if n not in rows and f"{n}_total" not in rows}
    assert names and not missing, f"metrics missing from README.md: {sorted(missing)}"
